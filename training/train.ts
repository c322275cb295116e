import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunwatchError } from '../lib/errors.js';
import { createFeaturizer } from '../lib/model-package/featurizer.js';
import {
  type FeaturizerSpec,
  MODEL_JSON_FILE,
  MODEL_ONNX_FILE,
  type ModelPackageSpec,
} from '../lib/model-package/package.js';
import { featurizerSpec, resolveConfig, type TrainConfig } from './config.js';
import { type Example, readDataset } from './data.js';
import { encodeNetwork } from './export-onnx.js';
import { roundToFloat16 } from './float16.js';
import {
  f1Report,
  type HonestReport,
  honestF1,
  type ScoredSet,
  tuneThresholds,
} from './metrics.js';
import { featureIds, forwardMember, LOGIT_LIMIT, type NetworkWeights } from './network.js';
import { parseTrainArgs, trainUsage } from './options.js';
import { mulberry32, shuffleInPlace } from './prng.js';

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

/** Featurized rows: the non-padding ids of row i are `ids[offsets[i]..offsets[i+1])`. */
interface Rows {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
  readonly truth: Uint8Array;
  readonly count: number;
}

function featurizeAll(spec: FeaturizerSpec, examples: readonly Example[], labels: number): Rows {
  const featurizer = createFeaturizer(spec);
  const parts: number[][] = [];
  let total = 0;
  for (const example of examples) {
    const ids = featureIds(featurizer.featurize([example.text]).ids);
    parts.push(ids);
    total += ids.length;
  }
  const ids = new Int32Array(total);
  const offsets = new Int32Array(examples.length + 1);
  const truth = new Uint8Array(examples.length * labels);
  let at = 0;
  for (const [i, part] of parts.entries()) {
    ids.set(part, at);
    at += part.length;
    offsets[i + 1] = at;
    for (const k of examples[i]?.labels ?? []) truth[i * labels + k] = 1;
  }
  return { ids, offsets, truth, count: examples.length };
}

/** Adam's first and second moment estimates for one parameter array. */
class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** One Adam step on `param[from..to)` with gradient `grad[from..to)`, then zeroes the gradient. */
function adamStep(
  param: Float32Array,
  grad: Float32Array,
  state: Adam,
  from: number,
  to: number,
  lr: number,
  correction1: number,
  correction2: number,
): void {
  const { m, v } = state;
  for (let i = from; i < to; i++) {
    const g = grad[i] ?? 0;
    const mi = BETA1 * (m[i] ?? 0) + (1 - BETA1) * g;
    const vi = BETA2 * (v[i] ?? 0) + (1 - BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] =
      (param[i] ?? 0) - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + EPSILON);
    grad[i] = 0;
  }
}

/** Scores of every row by the reference forward pass, so thresholds see what is exported. */
function scoreRows(weights: NetworkWeights, rows: Rows): Float32Array {
  const out = new Float32Array(rows.count * weights.labels);
  for (let r = 0; r < rows.count; r++) {
    const ids = rows.ids.subarray(rows.offsets[r] ?? 0, rows.offsets[r + 1] ?? 0);
    out.set(forwardMember(weights, ids), r * weights.labels);
  }
  return out;
}

function cloneWeights(w: NetworkWeights): NetworkWeights {
  return {
    ...w,
    embedding: w.embedding.slice(),
    w1: w.w1.slice(),
    b1: w.b1.slice(),
    w2: w.w2.slice(),
    b2: w.b2.slice(),
  };
}

/**
 * Trains one member from `seed` and returns its weights at the epoch with the best honest dev
 * macro-F1 (float32; the caller rounds the embedding for export).
 */
function trainMember(
  train: Rows,
  dev: Rows,
  config: TrainConfig,
  labels: number,
  seed: number,
  log: (line: string) => void,
): { weights: NetworkWeights; epoch: number; honest: number } {
  const { buckets, dim, hidden } = config;
  const random = mulberry32(seed);
  const uniform = (scale: number) => (random() * 2 - 1) * scale;
  const embedding = new Float32Array(buckets * dim);
  for (let i = dim; i < embedding.length; i++) embedding[i] = uniform(0.1);
  const w1 = Float32Array.from({ length: dim * hidden }, () =>
    uniform(Math.sqrt(6 / (dim + hidden))),
  );
  const b1 = new Float32Array(hidden);
  const w2 = Float32Array.from({ length: hidden * labels }, () =>
    uniform(Math.sqrt(6 / (hidden + labels))),
  );
  // Start each label at its base rate, so early steps learn features rather than priors.
  const positives = new Float64Array(labels);
  for (let i = 0; i < train.truth.length; i++)
    positives[i % labels] = (positives[i % labels] ?? 0) + (train.truth[i] ?? 0);
  const b2 = Float32Array.from(positives, (p) => {
    const rate = Math.min(Math.max(p / Math.max(train.count, 1), 1e-3), 1 - 1e-3);
    return Math.log(rate / (1 - rate));
  });
  const posWeight = Float64Array.from(
    positives,
    (p) => ((train.count - p + 1) / (p + 1)) ** config.posWeightPower,
  );
  const weights: NetworkWeights = { buckets, dim, hidden, labels, embedding, w1, b1, w2, b2 };

  const gEmb = new Float32Array(buckets * dim);
  const gW1 = new Float32Array(dim * hidden);
  const gB1 = new Float32Array(hidden);
  const gW2 = new Float32Array(hidden * labels);
  const gB2 = new Float32Array(labels);
  const aEmb = new Adam(buckets * dim);
  const aW1 = new Adam(dim * hidden);
  const aB1 = new Adam(hidden);
  const aW2 = new Adam(hidden * labels);
  const aB2 = new Adam(labels);
  /** Step count per embedding row, for the lazy bias correction of rows seen rarely. */
  const rowSteps = new Int32Array(buckets);
  const touchedAt = new Int32Array(buckets).fill(-1);
  const touched: number[] = [];

  const pooled = new Float64Array(dim);
  const mask = new Float64Array(dim);
  const pre = new Float64Array(hidden);
  const h = new Float64Array(hidden);
  const dz = new Float64Array(labels);
  const dh = new Float64Array(hidden);
  const dPooled = new Float64Array(dim);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const keep = 1 - config.dropout;
  const bag = new Int32Array(config.maxFeatures);

  let best: { weights: NetworkWeights; honest: number; epoch: number } | undefined;
  let average: NetworkWeights | undefined;
  let averaged = 0;
  let step = 0;
  const batches = Math.ceil(train.count / config.batchSize);
  const totalSteps = batches * config.epochs;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const te = performance.now();
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const from = b * config.batchSize;
      const to = Math.min(from + config.batchSize, train.count);
      const scale = 1 / (to - from);
      for (let q = from; q < to; q++) {
        const r = order[q] ?? 0;
        const start = train.offsets[r] ?? 0;
        const end = train.offsets[r + 1] ?? 0;
        let count = 0;
        for (let p = start; p < end; p++) {
          if (config.featureDropout > 0 && random() < config.featureDropout) continue;
          bag[count++] = train.ids[p] ?? 0;
        }
        const n = Math.sqrt(Math.max(count, 1));
        pooled.fill(0);
        for (let p = 0; p < count; p++) {
          const base = (bag[p] ?? 0) * dim;
          for (let d = 0; d < dim; d++) pooled[d] = (pooled[d] ?? 0) + (embedding[base + d] ?? 0);
        }
        for (let d = 0; d < dim; d++) {
          const m = config.dropout > 0 ? (random() < config.dropout ? 0 : 1 / keep) : 1;
          mask[d] = m;
          pooled[d] = ((pooled[d] ?? 0) / n) * m;
        }
        for (let j = 0; j < hidden; j++) {
          let a = b1[j] ?? 0;
          for (let d = 0; d < dim; d++) a += (pooled[d] ?? 0) * (w1[d * hidden + j] ?? 0);
          pre[j] = a;
          h[j] = Math.max(a, 0);
        }
        for (let k = 0; k < labels; k++) {
          let z = b2[k] ?? 0;
          for (let j = 0; j < hidden; j++) z += (h[j] ?? 0) * (w2[j * labels + k] ?? 0);
          const y = train.truth[r * labels + k] ?? 0;
          const clipped = Math.min(LOGIT_LIMIT, Math.max(-LOGIT_LIMIT, z));
          const prob = 1 / (1 + Math.exp(-clipped));
          const pw = posWeight[k] ?? 1;
          lossSum -= y === 1 ? pw * Math.log(prob + 1e-12) : Math.log(1 - prob + 1e-12);
          // Clipping passes no gradient, as in the graph: a saturated logit stops moving outward.
          const inside = z > -LOGIT_LIMIT && z < LOGIT_LIMIT;
          dz[k] = inside ? (y === 1 ? pw * (prob - 1) : prob) * scale : 0;
        }
        for (let k = 0; k < labels; k++) gB2[k] = (gB2[k] ?? 0) + (dz[k] ?? 0);
        for (let j = 0; j < hidden; j++) {
          const hj = h[j] ?? 0;
          let g = 0;
          for (let k = 0; k < labels; k++) {
            const dzk = dz[k] ?? 0;
            gW2[j * labels + k] = (gW2[j * labels + k] ?? 0) + hj * dzk;
            g += (w2[j * labels + k] ?? 0) * dzk;
          }
          dh[j] = (pre[j] ?? 0) > 0 ? g : 0;
          gB1[j] = (gB1[j] ?? 0) + (dh[j] ?? 0);
        }
        for (let d = 0; d < dim; d++) {
          const pd = pooled[d] ?? 0;
          let g = 0;
          for (let j = 0; j < hidden; j++) {
            const dhj = dh[j] ?? 0;
            gW1[d * hidden + j] = (gW1[d * hidden + j] ?? 0) + pd * dhj;
            g += (w1[d * hidden + j] ?? 0) * dhj;
          }
          dPooled[d] = (g * (mask[d] ?? 0)) / n;
        }
        for (let p = 0; p < count; p++) {
          const id = bag[p] ?? 0;
          if (touchedAt[id] !== b) {
            touchedAt[id] = b;
            touched.push(id);
          }
          const base = id * dim;
          for (let d = 0; d < dim; d++) gEmb[base + d] = (gEmb[base + d] ?? 0) + (dPooled[d] ?? 0);
        }
      }
      step++;
      const decay = 1 - (1 - config.lrFloor) * ((step - 1) / Math.max(totalSteps - 1, 1));
      const c1 = 1 - BETA1 ** step;
      const c2 = 1 - BETA2 ** step;
      const lr = config.lr * decay;
      adamStep(w1, gW1, aW1, 0, w1.length, lr, c1, c2);
      adamStep(b1, gB1, aB1, 0, b1.length, lr, c1, c2);
      adamStep(w2, gW2, aW2, 0, w2.length, lr, c1, c2);
      adamStep(b2, gB2, aB2, 0, b2.length, lr, c1, c2);
      const embLr = config.embeddingLr * decay;
      for (const id of touched) {
        const t = (rowSteps[id] ?? 0) + 1;
        rowSteps[id] = t;
        adamStep(
          embedding,
          gEmb,
          aEmb,
          id * dim,
          (id + 1) * dim,
          embLr,
          1 - BETA1 ** t,
          1 - BETA2 ** t,
        );
      }
      touched.length = 0;
    }
    touchedAt.fill(-1);
    const devSet: ScoredSet = {
      rows: dev.count,
      labels,
      scores: scoreRows(weights, dev),
      truth: dev.truth,
    };
    const honest = honestF1(devSet);
    const optimistic = f1Report(devSet, tuneThresholds(devSet));
    log(
      `epoch ${epoch}: loss ${(lossSum / train.count).toFixed(4)}, dev macro-F1 honest ${honest.macro.toFixed(4)} optimistic ${optimistic.macro.toFixed(4)} (${((performance.now() - te) / 1000).toFixed(1)} s)`,
    );
    if (config.averageFrom > 0) {
      if (epoch >= config.averageFrom) {
        average ??= zeroWeights(weights);
        addWeights(average, weights);
        averaged++;
      }
    } else if (best === undefined || honest.macro > best.honest) {
      best = { weights: cloneWeights(weights), honest: honest.macro, epoch };
    }
  }
  if (average !== undefined) {
    scaleWeights(average, 1 / averaged);
    const devSet: ScoredSet = {
      rows: dev.count,
      labels,
      scores: scoreRows(average, dev),
      truth: dev.truth,
    };
    const honest = honestF1(devSet).macro;
    log(
      `average of epochs ${config.averageFrom}..${config.epochs}: dev macro-F1 honest ${honest.toFixed(4)}`,
    );
    return { weights: average, honest, epoch: config.epochs };
  }
  if (best === undefined) throw new Error('unreachable: epochs >= 1');
  return best;
}

function zeroWeights(w: NetworkWeights): NetworkWeights {
  return {
    ...w,
    embedding: new Float32Array(w.embedding.length),
    w1: new Float32Array(w.w1.length),
    b1: new Float32Array(w.b1.length),
    w2: new Float32Array(w.w2.length),
    b2: new Float32Array(w.b2.length),
  };
}

const PARAMETERS = ['embedding', 'w1', 'b1', 'w2', 'b2'] as const;

function addWeights(sum: NetworkWeights, w: NetworkWeights): void {
  for (const name of PARAMETERS) {
    const target = sum[name];
    const source = w[name];
    for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) + (source[i] ?? 0);
  }
}

function scaleWeights(w: NetworkWeights, factor: number): void {
  for (const name of PARAMETERS) {
    const target = w[name];
    for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) * factor;
  }
}

/** Member m's seed: distinct per member, a pure function of the run's seed. */
function memberSeed(seed: number, m: number): number {
  return (seed + Math.imul(m, 0x9e3779b1)) >>> 0;
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
  const spec = featurizerSpec(config);
  const trainExamples = config.limit > 0 ? data.train.slice(0, config.limit) : data.train;
  const t0 = performance.now();
  const train = featurizeAll(spec, trainExamples, labels);
  const dev = featurizeAll(spec, data.dev, labels);
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
  const memberScores = members.map((w) => scoreRows(w, dev));
  const mean = new Float32Array(dev.count * labels);
  for (let i = 0; i < mean.length; i++) {
    let sum = 0;
    for (const scores of memberScores) sum += scores[i] ?? 0;
    mean[i] = sum / members.length;
  }
  const devSet: ScoredSet = { rows: dev.count, labels, scores: mean, truth: dev.truth };
  const thresholds = tuneThresholds(devSet);
  const honest = honestF1(devSet);
  const optimistic = f1Report(devSet, thresholds);
  const onnx = encodeNetwork(members);
  const onnxSha = createHash('sha256').update(onnx).digest('hex');
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const perLabel = (values: readonly number[]) =>
    Object.fromEntries(data.labels.map((label, k) => [label, round(values[k] ?? 0)]));
  const modelSpec = {
    name: 'emotion-ekman',
    version: `1.0.0+${onnxSha.slice(0, 12)}`,
    labels: [...data.labels],
    thresholds: thresholds.map((t) => Math.round(t * 1e6) / 1e6),
    featurizer: spec,
    inputs: { ids: 'ids' },
    outputs: { scores: 'scores' },
    architecture: {
      type: 'ensemble of embedding-bag MLPs, mean of member sigmoids',
      members: config.members,
      pooling: 'sum over non-padding ids / sqrt(max(count, 1))',
      embedding: `float16 [${config.buckets}, ${config.dim}] per member`,
      hidden: config.hidden,
      activation: 'relu',
      output: `sigmoid(clip(logits, -${LOGIT_LIMIT}, ${LOGIT_LIMIT}))`,
    },
    metrics: {
      split: 'dev',
      dev_rows: dev.count,
      honest_macro_f1: round(honest.macro),
      honest_micro_f1: round(honest.micro),
      honest_method:
        'thresholds tuned on one half of dev, scored on the other, both ways, 5 seeded shuffles; mean of 10',
      optimistic_macro_f1: round(optimistic.macro),
      optimistic_micro_f1: round(optimistic.micro),
      per_label_f1: perLabel(optimistic.perLabel),
      honest_per_label_f1: perLabel(honest.perLabel),
    },
    training: {
      config,
      seed: config.seed,
      member_seeds: members.map((_, m) => memberSeed(config.seed, m)),
      member_weights:
        config.averageFrom > 0
          ? `mean of each member's weights after epochs ${config.averageFrom}..${config.epochs} (no epoch selection)`
          : `each member at its epoch of best honest dev macro-F1: ${bestEpochs.join(', ')}`,
      train_rows: train.count,
      data_sha256: data.sha256 ?? null,
      model_onnx_sha256: onnxSha,
    },
  };
  log(
    `ensemble of ${members.length}: dev macro-F1 honest ${honest.macro.toFixed(4)}, optimistic ${optimistic.macro.toFixed(4)} (float16 embeddings)`,
  );
  return { spec: modelSpec, onnx, members, honest, optimistic, bestEpochs };
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
