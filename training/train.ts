import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunwatchError } from '../lib/errors.js';
import {
  MODEL_JSON_FILE,
  MODEL_ONNX_FILE,
  type ModelPackageSpec,
} from '../lib/model-package/package.js';
import { featurizerSpec, resolveConfig, type TrainConfig } from './config.js';
import type { Example } from './data.js';
import { readDataset } from './data.js';
import { encodeNetwork } from './export-onnx.js';
import { roundToFloat16 } from './float16.js';
import { trainMember } from './member.js';
import {
  f1Report,
  type HonestReport,
  honestF1,
  type ScoredSet,
  tuneThresholds,
} from './metrics.js';
import { modelSpec } from './model-spec.js';
import type { NetworkWeights } from './network.js';
import { parseTrainArgs, trainUsage } from './options.js';
import { featurizeAll, type Rows, scoreRows } from './rows.js';

export interface TrainData {
  readonly labels: readonly string[];
  readonly train: readonly Example[];
  readonly dev: readonly Example[];
  /** sha256 of the train and dev files, when they came from files. */
  readonly sha256?: { readonly train: string; readonly dev: string };
}

export interface TrainResult {
  readonly spec: ModelPackageSpec & Record<string, unknown>;
  readonly onnx: Uint8Array;
  readonly members: readonly NetworkWeights[];
  readonly honest: HonestReport;
  readonly optimistic: {
    readonly macro: number;
    readonly micro: number;
    readonly perLabel: readonly number[];
  };
  readonly bestEpochs: readonly number[];
}

/** Member m's seed: distinct per member, a pure function of the run's seed. */
function memberSeed(seed: number, m: number): number {
  return (seed + Math.imul(m, 0x9e3779b1)) >>> 0;
}

/** The ensemble's scores of `dev`: the mean of its members' scores, like the graph's output. */
function ensembleScores(members: readonly NetworkWeights[], dev: Rows): Float32Array {
  const memberScores = members.map((w) => scoreRows(w, dev));
  const mean = new Float32Array(memberScores[0]?.length ?? 0);
  for (let i = 0; i < mean.length; i++) {
    let sum = 0;
    for (const scores of memberScores) sum += scores[i] ?? 0;
    mean[i] = sum / members.length;
  }
  return mean;
}

/**
 * Trains the classifier and returns the model package (spec + encoded ONNX) without writing it.
 * Deterministic: the same data and config give byte-identical `onnx`.
 */
export function trainModel(
  data: TrainData,
  overrides: Partial<TrainConfig> = {},
  log: (line: string) => void = () => {},
): TrainResult {
  const config = resolveConfig(overrides);
  const labels = data.labels.length;
  const featurizer = featurizerSpec(config);
  const trainExamples = config.limit > 0 ? data.train.slice(0, config.limit) : data.train;
  const t0 = performance.now();
  const train = featurizeAll(featurizer, trainExamples, labels);
  const dev = featurizeAll(featurizer, data.dev, labels);
  log(
    `featurized ${train.count} train + ${dev.count} dev texts (${(train.ids.length / Math.max(train.count, 1)).toFixed(1)} ids/text) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const members: NetworkWeights[] = [];
  const bestEpochs: number[] = [];
  for (let m = 0; m < config.members; m++) {
    const best = trainMember(train, dev, config, labels, memberSeed(config.seed, m), (line) =>
      log(`member ${m + 1}/${config.members} ${line}`),
    );
    // Export precision: embeddings are stored as float16, so thresholds are tuned on those values.
    roundToFloat16(best.weights.embedding);
    members.push(best.weights);
    bestEpochs.push(best.epoch);
  }
  const devSet: ScoredSet = {
    rows: dev.count,
    labels,
    scores: ensembleScores(members, dev),
    truth: dev.truth,
  };
  const thresholds = tuneThresholds(devSet);
  const honest = honestF1(devSet);
  const optimistic = f1Report(devSet, thresholds);
  const onnx = encodeNetwork(members);
  const spec = modelSpec({
    labels: data.labels,
    config,
    featurizer,
    thresholds,
    honest,
    optimistic,
    devRows: dev.count,
    trainRows: train.count,
    memberSeeds: members.map((_, m) => memberSeed(config.seed, m)),
    bestEpochs,
    dataSha256: data.sha256,
    onnxSha256: createHash('sha256').update(onnx).digest('hex'),
  });
  log(
    `ensemble of ${members.length}: dev macro-F1 honest ${honest.macro.toFixed(4)}, optimistic ${optimistic.macro.toFixed(4)} (float16 embeddings)`,
  );
  return { spec, onnx, members, honest, optimistic, bestEpochs };
}

/** Writes model.onnx and model.json of `result` into `dir` (created if needed). */
export async function writeModelPackage(dir: string, result: TrainResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_ONNX_FILE), result.onnx);
  await writeFile(join(dir, MODEL_JSON_FILE), `${JSON.stringify(result.spec, null, 2)}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log(trainUsage());
    return;
  }
  const args = parseTrainArgs(argv);
  // Options are checked before the data is read, so a typo fails in milliseconds.
  resolveConfig(args.config);
  const started = performance.now();
  const dataset = await readDataset(args.data);
  const result = trainModel(
    {
      labels: dataset.labels,
      train: dataset.train.examples,
      dev: dataset.dev.examples,
      sha256: { train: dataset.train.sha256, dev: dataset.dev.sha256 },
    },
    args.config,
    (line) => console.log(line),
  );
  await writeModelPackage(args.out, result);
  console.log(
    `wrote ${args.out} (model.onnx ${result.onnx.length} bytes) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    if (e instanceof RunwatchError) console.error(`${e.code}: ${e.message}`);
    else console.error(e);
    process.exitCode = 1;
  });
}
