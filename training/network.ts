import { createFeaturizer } from '../lib/model-package/featurizer.js';
import type { FeaturizerSpec } from '../lib/model-package/package.js';

/**
 * The classifier is an ensemble: the mean of the scores of one or more members, each trained from
 * its own seed. A member is an embedding bag over hashed n-gram ids, pooled by sum / sqrt(count), a ReLU
 * hidden layer and a sigmoid per label.
 *
 *   pooled = sum(E[id] for id != 0) / sqrt(max(count(id != 0), 1))  [dim]
 *   hidden = relu(pooled W1 + b1)                                    [hidden]
 *   scores = sigmoid(clip(hidden W2 + b2, -LOGIT_LIMIT, LOGIT_LIMIT)) [labels]
 *
 * Padding (id 0) is excluded from both the sum and the count, so scores do not depend on how far a
 * row was padded in its batch; E's row 0 is also kept at zero. A text without features pools to
 * the zero vector and scores sigmoid(relu(b1) W2 + b2).
 *
 * This module is the only place the member's arithmetic is written: the reference scores, the
 * trainer's forward and backward pass and the thresholds all run `forwardRow`, and `export-onnx.ts`
 * encodes the same formula as a graph.
 */
export interface NetworkShape {
  readonly buckets: number;
  readonly dim: number;
  readonly hidden: number;
  readonly labels: number;
}

/** A member's parameter arrays; a gradient has the same layout. */
export interface NetworkParameters {
  /** E [buckets, dim], row-major; row 0 is zeros. */
  readonly embedding: Float32Array;
  /** W1 [dim, hidden]. */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** W2 [hidden, labels]. */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export interface NetworkWeights extends NetworkShape, NetworkParameters {}

/** An ensemble's members; all share `buckets` and `labels`, since they read the same ids. */
export type Ensemble = readonly NetworkWeights[];

/**
 * Logits are clipped here before the sigmoid, in training, in the reference and in the graph: at
 * |logit| <= 15 a float32 sigmoid is strictly inside (0, 1) (1 - 3.1e-7 and 3.1e-7), so served
 * scores are never exactly 0 or 1.
 */
export const LOGIT_LIMIT = 15;

/** Non-padding ids of one featurized row, as numbers. */
export function featureIds(ids: ArrayLike<bigint | number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    if (id !== 0) out.push(id);
  }
  return out;
}

/**
 * Scratch of one row's pass through a member: `forwardRow` fills the activations, `backwardRow`
 * reads them and uses the deltas. Made once per shape and reused row after row. Float64 throughout:
 * JavaScript computes in float64, so storing an intermediate here never rounds it.
 */
export interface RowPass {
  /** The pooled vector, divided by `denominator` and multiplied by the dropout mask if any. */
  readonly pooled: Float64Array;
  /** sqrt(max(count of non-padding ids, 1)). */
  denominator: number;
  /** The hidden layer before and after the ReLU. */
  readonly preActivation: Float64Array;
  readonly hidden: Float64Array;
  /** The logits before clipping, and the label scores. */
  readonly logits: Float64Array;
  readonly scores: Float64Array;
  /** `backwardRow`'s gradients by the logits, the hidden layer and the pooled vector. */
  readonly dLogits: Float64Array;
  readonly dHidden: Float64Array;
  readonly dPooled: Float64Array;
}

export function createRowPass(shape: NetworkShape): RowPass {
  return {
    pooled: new Float64Array(shape.dim),
    denominator: 1,
    preActivation: new Float64Array(shape.hidden),
    hidden: new Float64Array(shape.hidden),
    logits: new Float64Array(shape.labels),
    scores: new Float64Array(shape.labels),
    dLogits: new Float64Array(shape.labels),
    dHidden: new Float64Array(shape.hidden),
    dPooled: new Float64Array(shape.dim),
  };
}

/**
 * The forward pass of one featurized row (padding ids allowed anywhere) into `pass`, in float64
 * arithmetic over the float32 weights. `mask` (training's dropout: 0 or 1/keep per dimension)
 * multiplies the pooled vector; without it the pass is the reference one.
 */
export function forwardRow(
  weights: NetworkWeights,
  ids: ArrayLike<bigint | number>,
  pass: RowPass,
  mask?: ArrayLike<number>,
): void {
  const { dim, hidden, labels, embedding, w1, b1, w2, b2 } = weights;
  const { pooled, preActivation, logits, scores } = pass;
  pooled.fill(0);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    if (id === 0) continue;
    if (!(Number.isInteger(id) && id > 0 && id < weights.buckets)) {
      throw new RangeError(`feature id ${id} is outside 0..${weights.buckets - 1}`);
    }
    count++;
    for (let d = 0; d < dim; d++) pooled[d] = (pooled[d] ?? 0) + (embedding[id * dim + d] ?? 0);
  }
  // sqrt(count) rather than count: a mean would drown the few word ids of a text among its many
  // char n-gram ids.
  const denominator = Math.sqrt(Math.max(count, 1));
  pass.denominator = denominator;
  for (let d = 0; d < dim; d++) {
    const value = (pooled[d] ?? 0) / denominator;
    pooled[d] = mask === undefined ? value : value * (mask[d] ?? 0);
  }
  for (let j = 0; j < hidden; j++) {
    let a = b1[j] ?? 0;
    for (let d = 0; d < dim; d++) a += (pooled[d] ?? 0) * (w1[d * hidden + j] ?? 0);
    preActivation[j] = a;
    pass.hidden[j] = Math.max(a, 0);
  }
  for (let k = 0; k < labels; k++) {
    let z = b2[k] ?? 0;
    for (let j = 0; j < hidden; j++) z += (pass.hidden[j] ?? 0) * (w2[j * labels + k] ?? 0);
    logits[k] = z;
    const clipped = Math.min(LOGIT_LIMIT, Math.max(-LOGIT_LIMIT, z));
    scores[k] = 1 / (1 + Math.exp(-clipped));
  }
}

/**
 * The backward pass of the row `forwardRow` just left in `pass`, with the same `ids` and `mask`:
 * adds to `gradients` the gradient of a loss whose derivative by each label's sigmoid input is
 * `dClipped`. Clipping passes no gradient, as in the graph: a saturated logit stops moving outward.
 */
export function backwardRow(
  weights: NetworkWeights,
  ids: ArrayLike<bigint | number>,
  pass: RowPass,
  dClipped: ArrayLike<number>,
  gradients: NetworkParameters,
  mask?: ArrayLike<number>,
): void {
  const { dim, hidden, labels, w1, w2 } = weights;
  const { pooled, preActivation, logits, dLogits, dHidden, dPooled } = pass;
  for (let k = 0; k < labels; k++) {
    const z = logits[k] ?? 0;
    dLogits[k] = z > -LOGIT_LIMIT && z < LOGIT_LIMIT ? (dClipped[k] ?? 0) : 0;
  }
  const { embedding: gEmb, w1: gW1, b1: gB1, w2: gW2, b2: gB2 } = gradients;
  for (let k = 0; k < labels; k++) gB2[k] = (gB2[k] ?? 0) + (dLogits[k] ?? 0);
  for (let j = 0; j < hidden; j++) {
    const hj = pass.hidden[j] ?? 0;
    let g = 0;
    for (let k = 0; k < labels; k++) {
      const dzk = dLogits[k] ?? 0;
      gW2[j * labels + k] = (gW2[j * labels + k] ?? 0) + hj * dzk;
      g += (w2[j * labels + k] ?? 0) * dzk;
    }
    dHidden[j] = (preActivation[j] ?? 0) > 0 ? g : 0;
    gB1[j] = (gB1[j] ?? 0) + (dHidden[j] ?? 0);
  }
  for (let d = 0; d < dim; d++) {
    const pd = pooled[d] ?? 0;
    let g = 0;
    for (let j = 0; j < hidden; j++) {
      const dhj = dHidden[j] ?? 0;
      gW1[d * hidden + j] = (gW1[d * hidden + j] ?? 0) + pd * dhj;
      g += (w1[d * hidden + j] ?? 0) * dhj;
    }
    dPooled[d] = (mask === undefined ? g : g * (mask[d] ?? 0)) / pass.denominator;
  }
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    if (id === 0) continue;
    const base = id * dim;
    for (let d = 0; d < dim; d++) gEmb[base + d] = (gEmb[base + d] ?? 0) + (dPooled[d] ?? 0);
  }
}

/** One member's label scores for one featurized row. */
export function forwardMember(weights: NetworkWeights, ids: ArrayLike<bigint | number>): number[] {
  const pass = createRowPass(weights);
  forwardRow(weights, ids, pass);
  return Array.from(pass.scores);
}

/**
 * The reference forward pass of one featurized row (padding ids allowed anywhere), in float64
 * arithmetic over the float32 weights: the mean of the members' label scores.
 */
export function forward(ensemble: Ensemble, ids: ArrayLike<bigint | number>): number[] {
  const sums = new Float64Array(ensemble[0]?.labels ?? 0);
  for (const member of ensemble) {
    for (const [k, score] of forwardMember(member, ids).entries()) sums[k] = (sums[k] ?? 0) + score;
  }
  return Array.from(sums, (sum) => sum / ensemble.length);
}

/** Scores `texts` one at a time, featurized exactly as the service featurizes them. */
export function referenceScores(
  featurizer: FeaturizerSpec,
  ensemble: Ensemble,
  texts: readonly string[],
): number[][] {
  const f = createFeaturizer(featurizer);
  return texts.map((text) => forward(ensemble, f.featurize([text]).ids));
}

const PARAMETERS = ['embedding', 'w1', 'b1', 'w2', 'b2'] as const;

/** Weights of `w`'s shape, all zero: a gradient, or the start of a sum of weights. */
export function zeroWeights(w: NetworkWeights): NetworkWeights {
  return {
    ...w,
    embedding: new Float32Array(w.embedding.length),
    w1: new Float32Array(w.w1.length),
    b1: new Float32Array(w.b1.length),
    w2: new Float32Array(w.w2.length),
    b2: new Float32Array(w.b2.length),
  };
}

export function cloneWeights(w: NetworkWeights): NetworkWeights {
  return {
    ...w,
    embedding: w.embedding.slice(),
    w1: w.w1.slice(),
    b1: w.b1.slice(),
    w2: w.w2.slice(),
    b2: w.b2.slice(),
  };
}

/** `sum` += `w`, parameter by parameter, in float32. */
export function addWeights(sum: NetworkParameters, w: NetworkParameters): void {
  for (const name of PARAMETERS) {
    const target = sum[name];
    const source = w[name];
    for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) + (source[i] ?? 0);
  }
}

/** `w` *= `factor`, parameter by parameter, in float32. */
export function scaleWeights(w: NetworkParameters, factor: number): void {
  for (const name of PARAMETERS) {
    const target = w[name];
    for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) * factor;
  }
}
