import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  MDL_ERR_INFERENCE_FAILED,
  MDL_ERR_IO_MISMATCH,
  MDL_ERR_PACKAGE_CORRUPT,
  MDL_ERR_PACKAGE_MISSING,
  ModelError,
  modelError,
} from '../../lib/model-package/errors.js';
import {
  createFeaturizer,
  type FeaturizedBatch,
  type Featurizer,
} from '../../lib/model-package/featurizer.js';
import {
  MODEL_JSON_FILE,
  MODEL_ONNX_FILE,
  type ModelPackageSpec,
  parseModelSpecText,
} from '../../lib/model-package/package.js';
import type { Model } from './model.js';

/**
 * One session per process, single-threaded: Cloud Run scales by instances, and a model this small
 * gains nothing from intra-op threads while they would compete with the HTTP event loop.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/**
 * A failing run would also be logged by onnxruntime itself, as an unstructured stderr line; the
 * `ModelError` we raise carries the same message as its cause, so the runtime's copy is silenced.
 */
const RUN_OPTIONS: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `stat`, with "does not exist" as `undefined` and every other failure as a package error. */
async function statOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (cause) {
    const errno = errnoOf(cause);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${path} cannot be read (${errno ?? reasonOf(cause)}); expected a readable model package`,
      { cause },
    );
  }
}

async function checkPackageFiles(dir: string): Promise<void> {
  const expected = `a directory containing ${MODEL_ONNX_FILE} and ${MODEL_JSON_FILE}`;
  const dirStats = await statOrMissing(dir);
  if (dirStats === undefined) {
    throw modelError(
      MDL_ERR_PACKAGE_MISSING,
      `model package ${dir} does not exist; expected ${expected}`,
    );
  }
  if (!dirStats.isDirectory()) {
    throw modelError(
      MDL_ERR_PACKAGE_MISSING,
      `model package ${dir} is not a directory; expected ${expected}`,
    );
  }
  const absent: string[] = [];
  for (const file of [MODEL_ONNX_FILE, MODEL_JSON_FILE]) {
    const fileStats = await statOrMissing(join(dir, file));
    if (fileStats === undefined || !fileStats.isFile()) absent.push(file);
  }
  if (absent.length > 0) {
    throw modelError(
      MDL_ERR_PACKAGE_MISSING,
      `model package ${dir} has no file ${absent.join(' and no file ')}; expected ${expected}`,
    );
  }
}

async function readSpec(jsonPath: string): Promise<ModelPackageSpec> {
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (cause) {
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${jsonPath} cannot be read (${errnoOf(cause) ?? reasonOf(cause)}); expected a UTF-8 JSON file`,
      { cause },
    );
  }
  return parseModelSpecText(text, jsonPath);
}

async function createSession(onnxPath: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxPath, SESSION_OPTIONS);
  } catch (cause) {
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${onnxPath} does not load in onnxruntime (${reasonOf(cause)}); expected an ONNX model`,
      { cause },
    );
  }
}

function quoteNames(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(', ')}]`;
}

function mismatch(onnxPath: string, what: string, expected: string, cause?: unknown): ModelError {
  return modelError(
    MDL_ERR_IO_MISMATCH,
    `${onnxPath} ${what}; expected ${expected}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Checks the graph's signature against model.json: exactly one input, the int64 ids; an output
 * with the declared name, float, rank 2 and, when the graph pins it, as wide as `labels`. An extra
 * required input would make every run fail, so it is refused here rather than per request.
 */
function checkSignature(session: ort.InferenceSession, spec: ModelPackageSpec, onnxPath: string) {
  const idsName = spec.inputs.ids;
  const scoresName = spec.outputs.scores;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== idsName) {
    throw mismatch(
      onnxPath,
      `has graph inputs ${quoteNames(session.inputNames)}`,
      `exactly one input, ${JSON.stringify(idsName)} (model.json inputs.ids)`,
    );
  }
  if (!session.outputNames.includes(scoresName)) {
    throw mismatch(
      onnxPath,
      `has graph outputs ${quoteNames(session.outputNames)}`,
      `an output named ${JSON.stringify(scoresName)} (model.json outputs.scores)`,
    );
  }
  const input = session.inputMetadata.find((m) => m.name === idsName);
  if (input !== undefined && (!input.isTensor || input.type !== 'int64')) {
    const actual = input.isTensor ? `a ${input.type} tensor` : 'not a tensor';
    throw mismatch(onnxPath, `input ${JSON.stringify(idsName)} is ${actual}`, 'an int64 tensor');
  }
  const output = session.outputMetadata.find((m) => m.name === scoresName);
  if (output === undefined) return;
  if (!output.isTensor || output.type !== 'float32') {
    const actual = output.isTensor ? `a ${output.type} tensor` : 'not a tensor';
    throw mismatch(onnxPath, `output ${JSON.stringify(scoresName)} is ${actual}`, 'a float tensor');
  }
  if (output.shape.length === 0) return;
  const width = output.shape[1];
  if (output.shape.length !== 2 || (typeof width === 'number' && width !== spec.labels.length)) {
    throw mismatch(
      onnxPath,
      `output ${JSON.stringify(scoresName)} has shape [${output.shape.join(', ')}]`,
      `shape [N, ${spec.labels.length}], one column per model.json label`,
    );
  }
}

/** Row and column of the first score outside [0, 1] (NaN included), or undefined. */
function firstBadScore(data: Float32Array, cols: number): [number, number] | undefined {
  for (const [i, score] of data.entries()) {
    if (!(score >= 0 && score <= 1)) return [Math.floor(i / cols), i % cols];
  }
  return undefined;
}

/**
 * Runs one batch in a single `session.run` and returns the raw scores, row-major. A result of the
 * wrong type or shape is `MDL_ERR_IO_MISMATCH` (the graph does not honour model.json); runtime
 * errors propagate as thrown, for the caller to classify.
 */
async function runBatch(
  session: ort.InferenceSession,
  spec: ModelPackageSpec,
  onnxPath: string,
  batch: FeaturizedBatch,
): Promise<Float32Array> {
  const feeds = {
    [spec.inputs.ids]: new ort.Tensor('int64', batch.ids, [batch.rows, batch.cols]),
  };
  const results = await session.run(feeds, [spec.outputs.scores], RUN_OPTIONS);
  const scores = results[spec.outputs.scores];
  const width = spec.labels.length;
  if (
    scores === undefined ||
    scores.type !== 'float32' ||
    scores.dims.length !== 2 ||
    scores.dims[0] !== batch.rows ||
    scores.dims[1] !== width
  ) {
    const actual = scores === undefined ? 'missing' : `${scores.type} [${scores.dims.join(', ')}]`;
    throw mismatch(
      onnxPath,
      `output ${JSON.stringify(spec.outputs.scores)} is ${actual}`,
      `float32 [${batch.rows}, ${width}], one column per model.json label`,
    );
  }
  return scores.data as Float32Array;
}

/**
 * Feeds one row holding the padding id and the highest id the featurizer can emit: this proves,
 * before the service takes traffic, that the embedding covers `featurizer.buckets` and that the
 * output has the declared width and is a probability.
 */
async function probe(session: ort.InferenceSession, spec: ModelPackageSpec, onnxPath: string) {
  const batch = {
    ids: BigInt64Array.of(0n, BigInt(spec.featurizer.buckets - 1)),
    rows: 1,
    cols: 2,
  };
  let data: Float32Array;
  try {
    data = await runBatch(session, spec, onnxPath, batch);
  } catch (cause) {
    if (cause instanceof ModelError) throw cause;
    throw mismatch(
      onnxPath,
      `fails a probe run on ids [[0, ${spec.featurizer.buckets - 1}]] (${reasonOf(cause)})`,
      `a graph that accepts int64 ids [N, L] in 0..${spec.featurizer.buckets - 1} (model.json featurizer.buckets)`,
      cause,
    );
  }
  const bad = firstBadScore(data, spec.labels.length);
  if (bad !== undefined) {
    throw mismatch(
      onnxPath,
      `scores the probe row ${data[bad[0] * spec.labels.length + bad[1]]} for label ${JSON.stringify(spec.labels[bad[1]])}`,
      'scores in [0, 1]',
    );
  }
}

class OnnxModel implements Model {
  readonly name: string;
  readonly version: string;
  readonly labels: readonly string[];
  readonly thresholds: readonly number[];
  readonly #spec: ModelPackageSpec;
  readonly #session: ort.InferenceSession;
  readonly #featurizer: Featurizer;
  readonly #onnxPath: string;
  /**
   * Runs not yet settled, and who waits for none to be: `close` waits, so the session is never
   * released mid-run. A count, not a Set of runs: a long-lived Set with an add and a delete per
   * run keeps every run it held when it last grew alive until the next full GC (see
   * lifecycle/connections.ts on hash-table churn).
   */
  #running = 0;
  /** Set by `close` (which runs its release once) while it waits for the last run. */
  #onIdle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(spec: ModelPackageSpec, session: ort.InferenceSession, onnxPath: string) {
    this.name = spec.name;
    this.version = spec.version;
    this.labels = Object.freeze([...spec.labels]);
    this.thresholds = Object.freeze([...spec.thresholds]);
    this.#spec = spec;
    this.#session = session;
    this.#featurizer = createFeaturizer(spec.featurizer);
    this.#onnxPath = onnxPath;
  }

  async predict(texts: readonly string[]): Promise<number[][]> {
    if (this.#closing !== undefined) {
      throw modelError(
        MDL_ERR_INFERENCE_FAILED,
        `model is closed (${this.name} ${this.version}); expected predict calls before close()`,
      );
    }
    if (texts.length === 0) return [];
    // Counted before the first await, so a close() issued right after this call waits for it.
    this.#running++;
    try {
      return await this.#score(texts);
    } finally {
      this.#running--;
      if (this.#running === 0) this.#onIdle?.();
    }
  }

  /**
   * The id buffer of the run in flight, reused by the next run: a batch of 32 padded to 1024
   * columns is 256 KiB, and a fresh one per run made V8 run mark-compacts for the external memory
   * alone. Runs that overlap (the batcher keeps one at a time; other callers may not) get a fresh
   * buffer instead, since onnxruntime reads the input during the run.
   */
  #ids = new BigInt64Array(0);
  #idsBusy = false;

  readonly #allocIds = (length: number): BigInt64Array => {
    if (this.#idsBusy) return new BigInt64Array(length);
    this.#idsBusy = true;
    if (this.#ids.length < length)
      this.#ids = new BigInt64Array(Math.max(length, 2 * this.#ids.length));
    return this.#ids.subarray(0, length);
  };

  async #score(texts: readonly string[]): Promise<number[][]> {
    const width = this.labels.length;
    let data: Float32Array;
    // Whoever found the buffer free took it (featurize is synchronous, so nothing else ran in
    // between) and frees it when its run ends, however it ends.
    const wasBusy = this.#idsBusy;
    try {
      const batch = this.#featurizer.featurize(texts, this.#allocIds);
      data = await runBatch(this.#session, this.#spec, this.#onnxPath, batch);
    } catch (cause) {
      if (cause instanceof ModelError) throw cause;
      throw modelError(
        MDL_ERR_INFERENCE_FAILED,
        `scoring a batch of ${texts.length} texts with ${this.#onnxPath} failed (${reasonOf(cause)}); expected onnxruntime to score every featurized batch`,
        { cause },
      );
    } finally {
      if (!wasBusy) this.#idsBusy = false;
    }
    const bad = firstBadScore(data, width);
    if (bad !== undefined) {
      const [row, col] = bad;
      throw modelError(
        MDL_ERR_INFERENCE_FAILED,
        `model output ${JSON.stringify(this.#spec.outputs.scores)} row ${row} label ${JSON.stringify(this.labels[col])} is ${data[row * width + col]}; expected a finite score in [0, 1]`,
      );
    }
    return Array.from({ length: texts.length }, (_, row) =>
      Array.from(data.subarray(row * width, (row + 1) * width)),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.#release();
    return this.#closing;
  }

  async #release(): Promise<void> {
    if (this.#running > 0) {
      await new Promise<void>((wake) => {
        this.#onIdle = wake;
      });
    }
    await this.#session.release();
  }
}

/**
 * Loads and verifies a model package directory (see `package.ts`). Every failure is a
 * `ModelError` for which `isModelPackageError` is true: the package, not the request, is at fault.
 * On success the session has already scored one probe row, so the first request pays no warm-up.
 */
export async function loadModelPackage(dir: string): Promise<Model> {
  await checkPackageFiles(dir);
  const spec = await readSpec(join(dir, MODEL_JSON_FILE));
  const onnxPath = join(dir, MODEL_ONNX_FILE);
  const session = await createSession(onnxPath);
  try {
    checkSignature(session, spec, onnxPath);
    await probe(session, spec, onnxPath);
  } catch (e) {
    await session.release();
    throw e;
  }
  return new OnnxModel(spec, session, onnxPath);
}
