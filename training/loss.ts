/**
 * The training objective: per label, binary cross-entropy on the member's sigmoid, with each
 * label's positive rows weighted up so that rare labels are not learnt as "never".
 */

/** Per label, how many of the rows in `truth` (row-major, `labels` per row) carry it. */
export function labelPositives(truth: Uint8Array, labels: number): Float64Array {
  const positives = new Float64Array(labels);
  for (let i = 0; i < truth.length; i++)
    positives[i % labels] = (positives[i % labels] ?? 0) + (truth[i] ?? 0);
  return positives;
}

/** Label k's positives weigh ((negatives + 1) / (positives + 1))^power over `rows` rows. */
export function positiveWeights(
  positives: Float64Array,
  rows: number,
  power: number,
): Float64Array {
  return Float64Array.from(positives, (p) => ((rows - p + 1) / (p + 1)) ** power);
}

/**
 * The weighted loss of one row: `scores` against `truth[offset..offset + scores.length)`. Writes
 * to `gradient` the loss's derivative by each label's sigmoid input, times `scale`. Returns `total`
 * minus the row's terms, taken one label at a time, so an epoch's loss is one running sum.
 */
export function weightedCrossEntropy(
  scores: ArrayLike<number>,
  truth: Uint8Array,
  offset: number,
  posWeight: Float64Array,
  scale: number,
  gradient: Float64Array,
  total: number,
): number {
  let sum = total;
  for (let k = 0; k < scores.length; k++) {
    const y = truth[offset + k] ?? 0;
    const prob = scores[k] ?? 0;
    const pw = posWeight[k] ?? 1;
    sum -= y === 1 ? pw * Math.log(prob + 1e-12) : Math.log(1 - prob + 1e-12);
    gradient[k] = (y === 1 ? pw * (prob - 1) : prob) * scale;
  }
  return sum;
}
