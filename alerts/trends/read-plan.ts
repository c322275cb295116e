/**
 * What one rule reads from the store for one evaluation: ranges of raw samples per metric and,
 * for a rule type with `rollup`, ranges of hourly buckets that stand in for the samples of its
 * additive metrics elsewhere. Pure, so the sweep and the tests plan alike.
 *
 * Which hours are raw: every hour in which an edge of an exact window can fall, for any
 * evaluation time t in [now − PREVIOUS_EVALUATION_SLACK_MS, now] (the previous evaluation is one
 * sweep earlier): the new edge t, and each old edge t − w for w in `exactMs`. Every other hour of
 * the window comes as its bucket. A window's sum is then raw samples near its edges plus whole
 * buckets between them, exactly what the raw samples give, at any such t. Windows not in
 * `exactMs` (the ticket pairs' 1d and 3d) may have their old edge inside a bucket, which the rule
 * pro-rates. For the Sloth pairs this reads about 4 hours of raw deltas (the last 2–3 hours and
 * the hour 6 h back) instead of 6 h 15 m (page) or 3 days (ticket).
 */

import { type MetricName, ROLLUP_SPAN_MS, type RollupMetric } from '../types.js';
import { PREVIOUS_EVALUATION_SLACK_MS, type RuleType } from './rule.js';

/** Times t with from < t ≤ to. */
export interface Range {
  readonly from: number;
  readonly to: number;
}

export interface ReadPlan {
  /** Per metric, the sample times to read raw: ascending, disjoint, none after now. */
  readonly raw: readonly { readonly metric: MetricName; readonly ranges: readonly Range[] }[];
  /** Per rollup metric, the hour ends whose buckets to read: ascending, disjoint. */
  readonly buckets: readonly {
    readonly metric: RollupMetric;
    readonly ranges: readonly Range[];
  }[];
}

const H = ROLLUP_SPAN_MS;
const floorH = (t: number) => Math.floor(t / H) * H;
const ceilH = (t: number) => Math.ceil(t / H) * H;

/** Sorts and joins ranges that overlap or touch. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last !== undefined && r.from <= last.to) {
      out[out.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    } else out.push(r);
  }
  return out;
}

export function readPlan<P>(type: RuleType<P>, params: P, now: number): ReadPlan {
  const start = now - type.window(params);
  const metrics = type.metrics(params);
  // Integer times: ts ≥ start is ts > start − 1.
  const whole: Range[] = [{ from: start - 1, to: now }];
  const rollup = type.rollup?.(params) ?? null;
  if (rollup === null) {
    return { raw: metrics.map((metric) => ({ metric, ranges: whole })), buckets: [] };
  }
  const slack = PREVIOUS_EVALUATION_SLACK_MS;
  // An edge anywhere in [lo, hi] can only cut the hours (e − H, e] with lo < e < hi + H: the raw
  // range (floorH(lo), ceilH(hi)]. Hour-aligned, so every other hour is a whole bucket.
  const zones = [[now - slack, now], ...rollup.exactMs.map((w) => [now - slack - w, now - w])];
  const hours = mergeRanges(
    zones.map(([lo, hi]) => ({ from: floorH(lo as number), to: ceilH(hi as number) })),
  );
  // Read from the window's start at most: no window of the rule reaches before it.
  const raw = hours
    .map((r) => ({ from: Math.max(r.from, start - 1), to: Math.min(r.to, now) }))
    .filter((r) => r.from < r.to);
  // Buckets: the hours ending after the window's start that no raw range holds (the first may
  // begin before the start; the rule pro-rates it). The newest raw range holds the current hour.
  const gaps: Range[] = [];
  let from = start;
  for (const r of hours) {
    if (r.from > from) gaps.push({ from, to: r.from });
    from = Math.max(from, r.to);
  }
  const rolled: ReadonlySet<MetricName> = new Set(rollup.metrics);
  return {
    raw: metrics.map((metric) => ({ metric, ranges: rolled.has(metric) ? raw : whole })),
    buckets: rollup.metrics.map((metric) => ({ metric, ranges: gaps })),
  };
}
