/**
 * What one rule reads from the store for one evaluation: the raw window of each metric and, for a
 * rule type with `rollup`, the hourly buckets that stand in for the older samples of its additive
 * metrics. Pure, so the sweep and the tests plan alike.
 */
import type { RuleType } from './rule.js';
import { type MetricName, ROLLUP_SPAN_MS, type RollupMetric } from './sample.js';

export interface ReadPlan {
  /** Per metric, samples with `from <= ts <= now`. */
  readonly raw: readonly { readonly metric: MetricName; readonly from: number }[];
  /** Buckets of these metrics whose hour ends in [from, to); null: none. */
  readonly rollup: {
    readonly metrics: readonly RollupMetric[];
    readonly from: number;
    readonly to: number;
  } | null;
}

/**
 * The window is `now − window(params)` to `now`. With a rollup, the split is an hour end
 * `split` ≤ now − rawMs: buckets ending in (start, split] (the first may begin before the window;
 * the rule pro-rates it), raw samples of the rollup metrics after `split`, so the two meet
 * without overlap or gap. Other metrics read their whole window raw.
 */
export function readPlan<P>(type: RuleType<P>, params: P, now: number): ReadPlan {
  const start = now - type.window(params);
  const metrics = type.metrics(params);
  const rollup = type.rollup?.(params) ?? null;
  const split =
    rollup === null ? start : Math.floor((now - rollup.rawMs) / ROLLUP_SPAN_MS) * ROLLUP_SPAN_MS;
  if (rollup === null || split <= start) {
    return { raw: metrics.map((metric) => ({ metric, from: start })), rollup: null };
  }
  const rolled: ReadonlySet<MetricName> = new Set(rollup.metrics);
  return {
    raw: metrics.map((metric) => ({ metric, from: rolled.has(metric) ? split + 1 : start })),
    rollup: { metrics: rollup.metrics, from: start + 1, to: split + 1 },
  };
}
