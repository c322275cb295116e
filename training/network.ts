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
 */
export interface NetworkWeights {
  readonly buckets: number;
  readonly dim: number;
  readonly hidden: number;
  readonly labels: number;
  /** E [buckets, dim], row-major; row 0 is zeros. */
  readonly embedding: Float32Array;
  /** W1 [dim, hidden]. */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  /** W2 [hidden, labels]. */
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

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

/** An ensemble's members; all share `buckets` and `labels`, since they read the same ids. */
export type Ensemble = readonly NetworkWeights[];

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

/** One member's label scores for one featurized row. */
export function forwardMember(weights: NetworkWeights, ids: ArrayLike<bigint | number>): number[] {
  const { dim, hidden, labels, embedding, w1, b1, w2, b2 } = weights;
  const pooled = new Float64Array(dim);
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
  // sqrt(count) rather than count: a mean drowns the few word ids among ~200 char n-gram ids of a
  // text; measured +0.01 dev macro-F1 over the mean.
  const denominator = Math.sqrt(Math.max(count, 1));
  for (let d = 0; d < dim; d++) pooled[d] = (pooled[d] ?? 0) / denominator;
  const h = new Float64Array(hidden);
  for (let j = 0; j < hidden; j++) {
    let a = b1[j] ?? 0;
    for (let d = 0; d < dim; d++) a += (pooled[d] ?? 0) * (w1[d * hidden + j] ?? 0);
    h[j] = Math.max(a, 0);
  }
  return Array.from({ length: labels }, (_, k) => {
    let z = b2[k] ?? 0;
    for (let j = 0; j < hidden; j++) z += (h[j] ?? 0) * (w2[j * labels + k] ?? 0);
    const clipped = Math.min(LOGIT_LIMIT, Math.max(-LOGIT_LIMIT, z));
    return 1 / (1 + Math.exp(-clipped));
  });
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
