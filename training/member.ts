import { MemberOptimizer } from './adam.js';
import type { TrainConfig } from './config.js';
import { labelPositives, positiveWeights, weightedCrossEntropy } from './loss.js';
import { f1Report, honestF1, type ScoredSet, tuneThresholds } from './metrics.js';
import {
  addWeights,
  backwardRow,
  cloneWeights,
  createRowPass,
  forwardRow,
  type NetworkParameters,
  type NetworkWeights,
  type RowPass,
  scaleWeights,
  zeroWeights,
} from './network.js';
import { mulberry32, shuffleInPlace } from './prng.js';
import { type Rows, scoreRows } from './rows.js';

export interface MemberResult {
  readonly weights: NetworkWeights;
  /** The epoch the weights are from (the last one when they are an average). */
  readonly epoch: number;
  /** Honest dev macro-F1 of `weights`. */
  readonly honest: number;
}

/**
 * Trains one member from `seed` and returns its weights (float32; the caller rounds the embedding
 * for export): the average over epochs `averageFrom`..last, or with `averageFrom` 0 the epoch with
 * the best honest dev macro-F1. Every random draw comes from `seed`'s generator in one fixed
 * order (initial weights; then per epoch the shuffle, and per row its feature and pooled dropout),
 * so the same inputs give the same weights bit for bit.
 */
export function trainMember(
  train: Rows,
  dev: Rows,
  config: TrainConfig,
  labels: number,
  seed: number,
  log: (line: string) => void,
): MemberResult {
  const random = mulberry32(seed);
  const positives = labelPositives(train.truth, labels);
  const weights = initialWeights(config, labels, positives, train.count, random);
  const run = startRun(config, train, labels, weights, positives, random);
  const keeper = config.averageFrom > 0 ? averageOfEpochs(config.averageFrom) : bestEpoch();
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const started = performance.now();
    const loss = trainEpoch(run);
    const devSet = scoredSet(weights, dev, labels);
    const honest = honestF1(devSet);
    const optimistic = f1Report(devSet, tuneThresholds(devSet));
    log(
      `epoch ${epoch}: loss ${loss.toFixed(4)}, dev macro-F1 honest ${honest.macro.toFixed(4)} optimistic ${optimistic.macro.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    keeper.keep(weights, epoch, honest.macro);
  }
  return keeper.result(dev, labels, log);
}

/**
 * Uniform (Glorot) dense weights, small random embedding rows except the padding row 0, and
 * output biases at each label's base rate, so early steps learn features rather than priors.
 */
function initialWeights(
  config: TrainConfig,
  labels: number,
  positives: Float64Array,
  rows: number,
  random: () => number,
): NetworkWeights {
  const { buckets, dim, hidden } = config;
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
  const b2 = Float32Array.from(positives, (p) => {
    const rate = Math.min(Math.max(p / Math.max(rows, 1), 1e-3), 1 - 1e-3);
    return Math.log(rate / (1 - rate));
  });
  return { buckets, dim, hidden, labels, embedding, w1, b1, w2, b2 };
}

/** What the steps of one member's training share; the arrays are reused for every row. */
interface MemberRun {
  readonly config: TrainConfig;
  readonly train: Rows;
  readonly labels: number;
  readonly random: () => number;
  readonly weights: NetworkWeights;
  readonly gradients: NetworkParameters;
  readonly optimizer: MemberOptimizer;
  readonly posWeight: Float64Array;
  readonly totalSteps: number;
  /** Training rows in visiting order, reshuffled every epoch. */
  readonly order: Int32Array;
  /** The row's ids that survive feature dropout. */
  readonly bag: Int32Array;
  /** Dropout on the pooled vector: 0 or 1/keep per dimension. */
  readonly mask: Float64Array;
  readonly pass: RowPass;
  /** The loss's derivative by each label's sigmoid input. */
  readonly dClipped: Float64Array;
}

function startRun(
  config: TrainConfig,
  train: Rows,
  labels: number,
  weights: NetworkWeights,
  positives: Float64Array,
  random: () => number,
): MemberRun {
  return {
    config,
    train,
    labels,
    random,
    weights,
    gradients: zeroWeights(weights),
    optimizer: new MemberOptimizer(weights),
    posWeight: positiveWeights(positives, train.count, config.posWeightPower),
    totalSteps: Math.ceil(train.count / config.batchSize) * config.epochs,
    order: Int32Array.from({ length: train.count }, (_, i) => i),
    bag: new Int32Array(config.maxFeatures),
    mask: new Float64Array(config.dim),
    pass: createRowPass(weights),
    dClipped: new Float64Array(labels),
  };
}

/** One pass over the training rows in a fresh order; returns the mean loss per row. */
function trainEpoch(run: MemberRun): number {
  const { train, config } = run;
  shuffleInPlace(run.order, run.random);
  let lossSum = 0;
  for (let from = 0; from < train.count; from += config.batchSize) {
    lossSum = trainBatch(run, from, Math.min(from + config.batchSize, train.count), lossSum);
  }
  return lossSum / train.count;
}

/** Accumulates the gradient of rows `order[from..to)`, then takes one step; returns `lossSum` plus their loss. */
function trainBatch(run: MemberRun, from: number, to: number, lossSum: number): number {
  const scale = 1 / (to - from);
  let sum = lossSum;
  for (let q = from; q < to; q++) sum = trainRow(run, run.order[q] ?? 0, scale, sum);
  const { lr, embeddingLr } = stepSizes(run.config, run.optimizer.steps, run.totalSteps);
  run.optimizer.step(run.weights, run.gradients, lr, embeddingLr);
  return sum;
}

/** Both step sizes decay linearly from their configured value to `lrFloor` of it at the last step. */
function stepSizes(
  config: TrainConfig,
  step: number,
  totalSteps: number,
): { lr: number; embeddingLr: number } {
  const decay = 1 - (1 - config.lrFloor) * (step / Math.max(totalSteps - 1, 1));
  return { lr: config.lr * decay, embeddingLr: config.embeddingLr * decay };
}

/** Adds row `r`'s gradient, scaled by `scale`, to the run's; returns `lossSum` plus its loss. */
function trainRow(run: MemberRun, r: number, scale: number, lossSum: number): number {
  const { weights, pass, mask } = run;
  const ids = sampleBag(run, r);
  sampleMask(run);
  forwardRow(weights, ids, pass, mask);
  const sum = weightedCrossEntropy(
    pass.scores,
    run.train.truth,
    r * run.labels,
    run.posWeight,
    scale,
    run.dClipped,
    lossSum,
  );
  backwardRow(weights, ids, pass, run.dClipped, run.gradients, mask);
  run.optimizer.touch(ids);
  return sum;
}

/** Row `r`'s ids, each left out with probability `featureDropout`. */
function sampleBag(run: MemberRun, r: number): Int32Array {
  const { train, bag, config } = run;
  const start = train.offsets[r] ?? 0;
  const end = train.offsets[r + 1] ?? 0;
  let count = 0;
  for (let p = start; p < end; p++) {
    if (config.featureDropout > 0 && run.random() < config.featureDropout) continue;
    bag[count++] = train.ids[p] ?? 0;
  }
  return bag.subarray(0, count);
}

/** Inverted dropout: each pooled dimension is zeroed with probability `dropout`, the rest scaled up. */
function sampleMask(run: MemberRun): void {
  const { dropout } = run.config;
  const keep = 1 - dropout;
  for (let d = 0; d < run.mask.length; d++) {
    run.mask[d] = dropout > 0 ? (run.random() < dropout ? 0 : 1 / keep) : 1;
  }
}

function scoredSet(weights: NetworkWeights, dev: Rows, labels: number): ScoredSet {
  return { rows: dev.count, labels, scores: scoreRows(weights, dev), truth: dev.truth };
}

/** Which of a member's epochs make its final weights. */
interface EpochKeeper {
  /** Offers the weights at the end of `epoch`, whose honest dev macro-F1 is `honest`. */
  keep(weights: NetworkWeights, epoch: number, honest: number): void;
  result(dev: Rows, labels: number, log: (line: string) => void): MemberResult;
}

/** Keeps a copy of the epoch with the best honest dev macro-F1 (the first, on ties). */
function bestEpoch(): EpochKeeper {
  let best: MemberResult | undefined;
  return {
    keep(weights, epoch, honest) {
      if (best === undefined || honest > best.honest) {
        best = { weights: cloneWeights(weights), honest, epoch };
      }
    },
    result() {
      if (best === undefined) throw new Error('unreachable: epochs >= 1');
      return best;
    },
  };
}

/** Averages the weights at the end of every epoch from `from` on; no epoch is selected on dev. */
function averageOfEpochs(from: number): EpochKeeper {
  let sum: NetworkWeights | undefined;
  let count = 0;
  let last = 0;
  return {
    keep(weights, epoch) {
      last = epoch;
      if (epoch < from) return;
      sum ??= zeroWeights(weights);
      addWeights(sum, weights);
      count++;
    },
    result(dev, labels, log) {
      if (sum === undefined) throw new Error('unreachable: averageFrom <= epochs');
      scaleWeights(sum, 1 / count);
      const honest = honestF1(scoredSet(sum, dev, labels)).macro;
      log(`average of epochs ${from}..${last}: dev macro-F1 honest ${honest.toFixed(4)}`);
      return { weights: sum, honest, epoch: last };
    },
  };
}
