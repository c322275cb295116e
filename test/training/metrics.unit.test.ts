import test from 'ava';
import {
  bestThreshold,
  f1FromCounts,
  f1Report,
  honestF1,
  honestSplits,
  type ScoredSet,
  tuneThresholds,
} from '../../training/metrics.js';

test('metrics: F1 is 0 when a label has no positives and none are predicted', (t) => {
  t.is(f1FromCounts({ tp: 0, fp: 0, fn: 0 }), 0);
  t.is(f1FromCounts({ tp: 0, fp: 3, fn: 0 }), 0);
  t.is(f1FromCounts({ tp: 2, fp: 1, fn: 1 }), 2 / 3);
});

test('metrics: macro-F1 averages labels and micro-F1 pools their counts', (t) => {
  // Label 0: tp 1, fp 1 -> 2/3. Label 1: fn 1, never predicted -> 0.
  const set: ScoredSet = {
    rows: 3,
    labels: 2,
    scores: [0.9, 0.1, 0.8, 0.2, 0.1, 0.3],
    truth: Uint8Array.of(1, 0, 0, 0, 0, 1),
  };
  const report = f1Report(set, [0.5, 0.5]);
  t.deepEqual(report.perLabel, [2 / 3, 0]);
  t.is(report.macro, 1 / 3);
  t.is(report.micro, f1FromCounts({ tp: 1, fp: 1, fn: 1 }));
});

test('metrics: threshold search finds the F1 optimum between the scores that decide it', (t) => {
  // Cutting after the top 3 gives tp 2, fp 1, fn 0: F1 0.8, better than any other cut.
  const scores = [0.95, 0.9, 0.7, 0.4, 0.3, 0.2];
  const truth = [1, 0, 1, 0, 0, 0];
  const { threshold, f1 } = bestThreshold(scores, truth);
  t.is(f1, 0.8);
  t.is(threshold, (0.7 + 0.4) / 2);
  // Exhaustive check: no threshold does better.
  for (let x = 0.001; x < 1; x += 0.001) {
    const tp = scores.filter((s, i) => s >= x && truth[i] === 1).length;
    const predicted = scores.filter((s) => s >= x).length;
    t.true((2 * tp) / (predicted + 2) <= f1 + 1e-12);
  }
});

test('metrics: threshold search never splits tied scores and stays inside (0, 1)', (t) => {
  const tied = bestThreshold([0.5, 0.5, 0.5, 0.1], [1, 0, 0, 0]);
  t.true(tied.threshold < 0.5 && tied.threshold > 0.1);
  const saturated = bestThreshold([1, 1, 0], [1, 1, 0]);
  t.true(saturated.threshold > 0 && saturated.threshold < 1);
  t.is(saturated.f1, 1);
  const noPositives = bestThreshold([0.2, 0.9], [0, 0]);
  t.true(noPositives.threshold > 0.9 && noPositives.threshold < 1);
});

test('metrics: honest splits score every row once per repeat, never on their tuning rows', (t) => {
  const splits = honestSplits(101, { folds: 2, repeats: 3, seed: 5 });
  t.is(splits.length, 6);
  for (let r = 0; r < 3; r++) {
    const scored = splits.slice(r * 2, r * 2 + 2).flatMap((s) => [...s.score]);
    t.deepEqual(
      scored.sort((a, b) => a - b),
      Array.from({ length: 101 }, (_, i) => i),
    );
  }
  for (const split of splits) {
    const tune = new Set(split.tune);
    t.false(split.score.some((row) => tune.has(row)));
    t.is(split.tune.length + split.score.length, 101);
  }
});

test('metrics: honest F1 falls below tuned-on-all F1 when thresholds overfit noise', (t) => {
  // Pure noise: tuning on all rows finds a lucky threshold; tuning on other rows cannot.
  let state = 1;
  const noise = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const rows = 400;
  const scores = Array.from({ length: rows }, noise);
  const truth = Uint8Array.from({ length: rows }, () => (noise() < 0.1 ? 1 : 0));
  const set: ScoredSet = { rows, labels: 1, scores, truth };
  const optimistic = f1Report(set, tuneThresholds(set)).macro;
  const honest = honestF1(set, { seed: 3 }).macro;
  t.true(honest < optimistic, `honest ${honest} vs optimistic ${optimistic}`);
});
