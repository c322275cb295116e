import { describeValue } from '../errors.js';
import { MDL_ERR_PACKAGE_CORRUPT, type ModelError, modelError } from './errors.js';

/**
 * A model package is a directory holding exactly what the service needs to score text:
 *
 * - `model.onnx`: a graph taking int64 `ids` [N, L] (featurizer output, 0 = padding) and returning
 *   float `scores` [N, labels.length] in [0, 1];
 * - `model.json`: the `ModelPackageSpec` below, which names the graph's input and output and pins
 *   the featurizer that produced the training ids.
 *
 * The trainer writes both; the service only reads them. Field names are snake_case in the type too,
 * so a `ModelPackageSpec` round-trips through `JSON.stringify` unchanged. Unknown fields are
 * ignored so a trainer may add provenance (metrics, data hashes) without a service release.
 */
export const MODEL_ONNX_FILE = 'model.onnx';
export const MODEL_JSON_FILE = 'model.json';

/** Bounds of the featurizer schema; exported so the trainer validates against the same numbers. */
export const FEATURIZER_LIMITS = {
  minBuckets: 2,
  maxBuckets: 2 ** 24,
  maxNgram: 5,
  maxFeatures: 4096,
} as const;

/** Version 1 of the hashed n-gram featurizer; `featurizer.ts` documents the exact scheme. */
export interface FeaturizerSpec {
  readonly type: 'hashed-ngrams';
  readonly version: 1;
  /** Size of the id space, padding id 0 included; features hash into 1..buckets-1. */
  readonly buckets: number;
  readonly lowercase: boolean;
  /** Word n-gram orders to emit, e.g. [1, 2]; distinct integers in 1..5. */
  readonly word_ngrams: readonly number[];
  /** Character n-gram orders to emit, e.g. [3, 4]; distinct integers in 1..5. */
  readonly char_ngrams: readonly number[];
  /** Features kept per text; the rest of a long text is ignored. */
  readonly max_features: number;
}

export interface ModelPackageSpec {
  readonly name: string;
  readonly version: string;
  /** Output labels, in the order of the graph's score columns. */
  readonly labels: readonly string[];
  /** Per-label decision thresholds in (0, 1), same order as `labels`. */
  readonly thresholds: readonly number[];
  readonly featurizer: FeaturizerSpec;
  /** Graph input names, by role. */
  readonly inputs: { readonly ids: string };
  /** Graph output names, by role. */
  readonly outputs: { readonly scores: string };
}

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldError(path: string, field: string, value: unknown, expected: string): ModelError {
  return modelError(
    MDL_ERR_PACKAGE_CORRUPT,
    `${path} field ${JSON.stringify(field)} is ${describeValue(value)}; expected ${expected}`,
    { field },
  );
}

function objectField(path: string, parent: JsonObject, key: string, field: string): JsonObject {
  const value = parent[key];
  if (!isObject(value)) throw fieldError(path, field, value, 'an object');
  return value;
}

function nonEmptyString(path: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw fieldError(path, field, value, 'a non-empty string');
  }
  return value;
}

function integerIn(path: string, value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw fieldError(path, field, value, `an integer in ${min}..${max}`);
  }
  return value;
}

function labelsField(path: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw fieldError(path, 'labels', value, 'a non-empty array of distinct strings');
  }
  const labels: string[] = [];
  for (const [i, label] of value.entries()) {
    const field = `labels[${i}]`;
    if (typeof label !== 'string' || label.length === 0) {
      throw fieldError(path, field, label, 'a non-empty string');
    }
    const first = labels.indexOf(label);
    if (first !== -1) {
      throw fieldError(path, field, label, `a label distinct from labels[${first}]`);
    }
    labels.push(label);
  }
  return labels;
}

function thresholdsField(path: string, value: unknown, labelCount: number): number[] {
  if (!Array.isArray(value) || value.length !== labelCount) {
    throw fieldError(
      path,
      'thresholds',
      value,
      `an array of ${labelCount} numbers in (0, 1), one per label`,
    );
  }
  return value.map((threshold: unknown, i) => {
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) {
      throw fieldError(path, `thresholds[${i}]`, threshold, 'a number strictly between 0 and 1');
    }
    return threshold;
  });
}

function ngramsField(path: string, value: unknown, field: string): number[] {
  const expected = `an array of distinct integers in 1..${FEATURIZER_LIMITS.maxNgram}`;
  if (!Array.isArray(value)) throw fieldError(path, field, value, expected);
  const orders: number[] = [];
  for (const [i, order] of value.entries()) {
    const orderField = `${field}[${i}]`;
    integerIn(path, order, orderField, 1, FEATURIZER_LIMITS.maxNgram);
    const first = orders.indexOf(order);
    if (first !== -1) {
      throw fieldError(path, orderField, order, `an order distinct from ${field}[${first}]`);
    }
    orders.push(order);
  }
  return orders;
}

function featurizerField(path: string, root: JsonObject): FeaturizerSpec {
  const f = objectField(path, root, 'featurizer', 'featurizer');
  if (f.type !== 'hashed-ngrams') {
    throw fieldError(path, 'featurizer.type', f.type, '"hashed-ngrams"');
  }
  if (f.version !== 1) {
    throw fieldError(
      path,
      'featurizer.version',
      f.version,
      '1, the only version this service implements',
    );
  }
  const buckets = integerIn(
    path,
    f.buckets,
    'featurizer.buckets',
    FEATURIZER_LIMITS.minBuckets,
    FEATURIZER_LIMITS.maxBuckets,
  );
  if (typeof f.lowercase !== 'boolean') {
    throw fieldError(path, 'featurizer.lowercase', f.lowercase, 'true or false');
  }
  const wordNgrams = ngramsField(path, f.word_ngrams, 'featurizer.word_ngrams');
  const charNgrams = ngramsField(path, f.char_ngrams, 'featurizer.char_ngrams');
  if (wordNgrams.length === 0 && charNgrams.length === 0) {
    // Such a featurizer maps every text to padding, so the model would score all texts alike.
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${path} fields "featurizer.word_ngrams" and "featurizer.char_ngrams" are both empty; expected at least one n-gram order`,
      { field: 'featurizer' },
    );
  }
  const maxFeatures = integerIn(
    path,
    f.max_features,
    'featurizer.max_features',
    1,
    FEATURIZER_LIMITS.maxFeatures,
  );
  return {
    type: 'hashed-ngrams',
    version: 1,
    buckets,
    lowercase: f.lowercase,
    word_ngrams: wordNgrams,
    char_ngrams: charNgrams,
    max_features: maxFeatures,
  };
}

/**
 * Validates a parsed model.json. `path` is only used in messages. Throws a `ModelError`
 * (`MDL_ERR_PACKAGE_CORRUPT`) naming the first offending field; the result is a fresh object that
 * shares nothing with `json`.
 */
export function parseModelSpec(json: unknown, path: string): ModelPackageSpec {
  if (!isObject(json)) {
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${path} is ${describeValue(json)}; expected a JSON object`,
    );
  }
  const name = nonEmptyString(path, json.name, 'name');
  const version = nonEmptyString(path, json.version, 'version');
  const labels = labelsField(path, json.labels);
  const thresholds = thresholdsField(path, json.thresholds, labels.length);
  const featurizer = featurizerField(path, json);
  const inputs = objectField(path, json, 'inputs', 'inputs');
  const ids = nonEmptyString(path, inputs.ids, 'inputs.ids');
  const outputs = objectField(path, json, 'outputs', 'outputs');
  const scores = nonEmptyString(path, outputs.scores, 'outputs.scores');
  return {
    name,
    version,
    labels,
    thresholds,
    featurizer,
    inputs: { ids },
    outputs: { scores },
  };
}

/** Parses model.json text; invalid JSON is `MDL_ERR_PACKAGE_CORRUPT` like any schema failure. */
export function parseModelSpecText(text: string, path: string): ModelPackageSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw modelError(
      MDL_ERR_PACKAGE_CORRUPT,
      `${path} is not valid JSON (${reason}); expected a JSON object`,
      { cause },
    );
  }
  return parseModelSpec(json, path);
}
