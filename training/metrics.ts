import { mulberry32, shuffleInPlace } from './prng.js';

/**
 * Multi-label scores and truth for `rows` examples and `labels` labels, row-major. A label is
 * predicted when its score is >= its threshold, the rule `service/routes/predict.ts` applies.
 */
export interface ScoredSet {
  readonly rows: number;
  readonly labels: number;
  readonly scores: ArrayLike<number>;
  /** 1 where the example carries the label, else 0. */
  readonly truth: Uint8Array;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

/**
 * F1 from counts. When there is nothing to find and nothing was predicted (2tp + fp + fn = 0) it is
 * 0, scikit-learn's default (`zero_division`), so a label absent from a slice drags macro-F1 down
 * rather than silently scoring perfect.
 */
export function f1FromCounts({ tp, fp, fn }: Counts): number {
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

function allRows(set: ScoredSet): number[] {
  return Array.from({ length: set.rows }, (_, i) => i);
}

/** Per-label counts over `rows` (all rows by default). */
export function countsPerLabel(
  set: ScoredSet,
  thresholds: readonly number[],
  rows: readonly number[] = allRows(set),
): Counts[] {
  const counts = Array.from({ length: set.labels }, () => ({ tp: 0, fp: 0, fn: 0 }));
  for (const r of rows) {
    for (let k = 0; k < set.labels; k++) {
      const predicted = (set.scores[r * set.labels + k] ?? 0) >= (thresholds[k] ?? 0.5);
      const actual = set.truth[r * set.labels + k] === 1;
      const c = counts[k] as Counts;
      if (predicted && actual) c.tp++;
      else if (predicted) c.fp++;
      else if (actual) c.fn++;
    }
  }
  return counts;
}

export interface F1Report {
  readonly macro: number;
  readonly micro: number;
  readonly perLabel: readonly number[];
}

export function f1Report(
  set: ScoredSet,
  thresholds: readonly number[],
  rows?: readonly number[],
): F1Report {
  const counts = countsPerLabel(set, thresholds, rows);
  const perLabel = counts.map(f1FromCounts);
  const total = counts.reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), {
    tp: 0,
    fp: 0,
    fn: 0,
  });
  return {
    macro: perLabel.reduce((a, b) => a + b, 0) / perLabel.length,
    micro: f1FromCounts(total),
    perLabel,
  };
}

/** Thresholds are kept inside (0, 1), as model.json requires, even when every score is 0 or 1. */
const MIN_THRESHOLD = 1e-6;
const MAX_THRESHOLD = 1 - 1e-6;

/**
 * The threshold maximizing F1 of one label over paired `scores` and `truth` (1/0). Candidates are
 * the midpoints between consecutive distinct scores (and just above the top score), so the
 * threshold falls where the decision actually changes; ties in F1 keep the highest threshold.
 */
export function bestThreshold(
  scores: readonly number[],
  truth: readonly number[],
): { threshold: number; f1: number } {
  const order = scores
    .map((_, i) => i)
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  const positives = truth.reduce((a, b) => a + b, 0);
  const top = scores[order[0] ?? 0] ?? 0;
  let best = { threshold: (top + 1) / 2, f1: 0 };
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    tp += truth[order[k] ?? 0] ?? 0;
    const here = scores[order[k] ?? 0] ?? 0;
    const next = k + 1 < order.length ? (scores[order[k + 1] ?? 0] ?? 0) : 0;
    // A cut is only possible between distinct scores (or below the lowest one).
    if (k + 1 < order.length && next === here) continue;
    const f1 = positives + k + 1 === 0 ? 0 : (2 * tp) / (positives + k + 1);
    if (f1 > best.f1) best = { threshold: (here + next) / 2, f1 };
  }
  return {
    threshold: Math.min(MAX_THRESHOLD, Math.max(MIN_THRESHOLD, best.threshold)),
    f1: best.f1,
  };
}

/** Per-label F1-optimal thresholds, tuned on `rows` only (all rows by default). */
export function tuneThresholds(set: ScoredSet, rows: readonly number[] = allRows(set)): number[] {
  return Array.from(
    { length: set.labels },
    (_, k) =>
      bestThreshold(
        rows.map((r) => set.scores[r * set.labels + k] ?? 0),
        rows.map((r) => set.truth[r * set.labels + k] ?? 0),
      ).threshold,
  );
}

export interface HonestSplit {
  /** Rows thresholds are tuned on. */
  readonly tune: readonly number[];
  /** Rows the tuned thresholds are scored on; disjoint from `tune`. */
  readonly score: readonly number[];
}

export interface HonestOptions {
  /** Folds per repeat; 2 = tune on one half, score on the other, both directions. */
  readonly folds?: number;
  /** Independent shufflings averaged, to shrink the variance of a single split. */
  readonly repeats?: number;
  readonly seed?: number;
}

/**
 * Cross-fitting splits of `rows` examples: per repeat, a seeded shuffle cut into `folds` folds;
 * each fold is scored once with thresholds tuned on the other folds.
 */
export function honestSplits(rows: number, options: HonestOptions = {}): HonestSplit[] {
  const folds = options.folds ?? 2;
  const repeats = options.repeats ?? 5;
  const random = mulberry32(options.seed ?? 20200501);
  const splits: HonestSplit[] = [];
  for (let r = 0; r < repeats; r++) {
    const order = Array.from({ length: rows }, (_, i) => i);
    shuffleInPlace(order, random);
    for (let f = 0; f < folds; f++) {
      const score = order.filter((_, i) => i % folds === f).sort((a, b) => a - b);
      const tune = order.filter((_, i) => i % folds !== f).sort((a, b) => a - b);
      splits.push({ tune, score });
    }
  }
  return splits;
}

export interface HonestReport {
  /** Mean over splits of macro-F1 on the scored rows, with thresholds tuned on the others. */
  readonly macro: number;
  readonly micro: number;
  readonly perLabel: readonly number[];
  readonly splits: number;
}

/** Honest F1: thresholds are never scored on the rows they were tuned on. */
export function honestF1(set: ScoredSet, options: HonestOptions = {}): HonestReport {
  const splits = honestSplits(set.rows, options);
  const perLabel = new Array<number>(set.labels).fill(0);
  let macro = 0;
  let micro = 0;
  for (const split of splits) {
    const report = f1Report(set, tuneThresholds(set, split.tune), split.score);
    macro += report.macro / splits.length;
    micro += report.micro / splits.length;
    for (const [k, f1] of report.perLabel.entries())
      perLabel[k] = (perLabel[k] ?? 0) + f1 / splits.length;
  }
  return { macro, micro, perLabel, splits: splits.length };
}
