/** Synthetic series and a tiny evaluation driver for the rule tests. */
import { readPlan } from '../../../../alerts/trends/read-plan.js';
import type { EvalContext, RuleSpec, RuleType } from '../../../../alerts/trends/rule.js';
import {
  type Bucket,
  type Finding,
  type MetricName,
  ROLLUP_METRICS,
  ROLLUP_SPAN_MS,
  type RollupMetric,
  type Sample,
} from '../../../../alerts/types.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 0, 1);
export const TARGET = 'emotion';

/** Sloth's 30-day pairs as the YAML spells them: the page rule and the ticket rule. */
export const SLOTH_PAGE = [
  { factor: 14.4, short: '5m', long: '1h' },
  { factor: 6, short: '30m', long: '6h' },
];
export const SLOTH_TICKET = [
  { factor: 3, short: '2h', long: '1d' },
  { factor: 1, short: '6h', long: '3d' },
];

/** One sample a minute from T0, values in order. */
export function series(metric: MetricName, values: readonly number[], step = MIN): Sample[] {
  return values.map((value, i) => ({
    target: TARGET,
    metric,
    instance: null,
    ts: T0 + i * step,
    value,
  }));
}

export function spec<P>(
  type: RuleType<P>,
  raw: Record<string, unknown>,
  extra: Partial<RuleSpec<P>> = {},
): RuleSpec<P> {
  return {
    alertname: 'TestAlert',
    type: type.type,
    severity: 'warning',
    targets: undefined,
    summary: '{{target}} {{value}} {{threshold}}',
    runbook_url: undefined,
    source: 'test#0',
    params: type.parse(raw),
    ...extra,
  };
}

/** Evaluates the rule at `now` over the window it asks for, as the store would serve it. */
export function evaluateAt<P>(
  type: RuleType<P>,
  rule: RuleSpec<P>,
  samples: readonly Sample[],
  now: number,
  prev?: number,
): Finding | null {
  const from = now - type.window(rule.params);
  const metrics = new Set(type.metrics(rule.params));
  const ctx: EvalContext<P> = {
    target: TARGET,
    now,
    rule,
    samples: samples.filter((s) => s.ts >= from && s.ts <= now && metrics.has(s.metric)),
    ...(prev === undefined ? {} : { prev }),
  };
  return type.evaluate(ctx);
}

/** The state at each sample time (one evaluation per sweep): 'F' firing, 'R' resolved, '.' none. */
export function timeline<P>(
  type: RuleType<P>,
  rule: RuleSpec<P>,
  samples: readonly Sample[],
): string {
  const times = [...new Set(samples.map((s) => s.ts))].sort((a, b) => a - b);
  return times
    .map((t) => {
      const f = evaluateAt(type, rule, samples, t);
      return f === null ? '.' : f.state === 'firing' ? 'F' : 'R';
    })
    .join('');
}

/** The index (minutes after T0 at one sample a minute) of the first firing evaluation, or -1. */
export function firstFiring<P>(
  type: RuleType<P>,
  rule: RuleSpec<P>,
  samples: readonly Sample[],
): number {
  return timeline(type, rule, samples).indexOf('F');
}

/**
 * Hourly buckets of `samples` (the store's rollups, migration 4, computed in memory): per metric
 * and hour end `e`, the sum and count of the samples with ts in (e − 1 h, e], all instances.
 */
export function rollUp(samples: readonly Sample[]): Bucket[] {
  const rolled: ReadonlySet<string> = new Set(ROLLUP_METRICS);
  const byKey = new Map<string, Bucket>();
  for (const s of samples) {
    if (!rolled.has(s.metric)) continue;
    const end = Math.ceil(s.ts / ROLLUP_SPAN_MS) * ROLLUP_SPAN_MS;
    const key = `${s.metric} ${end}`;
    const had = byKey.get(key);
    byKey.set(key, {
      target: s.target,
      metric: s.metric as RollupMetric,
      ts: end,
      spanMs: ROLLUP_SPAN_MS,
      value: (had?.value ?? 0) + s.value,
      count: (had?.count ?? 0) + 1,
    });
  }
  return [...byKey.values()].sort((a, b) => a.ts - b.ts || a.metric.localeCompare(b.metric));
}

/**
 * Evaluates the rule at `now` as the sweep does (`readPlan`): raw samples where the plan reads
 * them, and for a rule type with `rollup` the hourly buckets of the older part.
 */
export function evaluateWithRollups<P>(
  type: RuleType<P>,
  rule: RuleSpec<P>,
  samples: readonly Sample[],
  now: number,
  prev?: number,
): Finding | null {
  const plan = readPlan(type, rule.params, now);
  const inRanges = (ranges: readonly { from: number; to: number }[], ts: number) =>
    ranges.some((r) => r.from < ts && ts <= r.to);
  const rawRanges = new Map(plan.raw.map((r) => [r.metric as string, r.ranges]));
  const bucketRanges = new Map(plan.buckets.map((b) => [b.metric as string, b.ranges]));
  const ctx: EvalContext<P> = {
    target: TARGET,
    now,
    rule,
    samples: samples.filter((s) => inRanges(rawRanges.get(s.metric) ?? [], s.ts)),
    ...(plan.buckets.length === 0
      ? {}
      : {
          buckets: rollUp(samples).filter((b) => inRanges(bucketRanges.get(b.metric) ?? [], b.ts)),
        }),
    ...(prev === undefined ? {} : { prev }),
  };
  return type.evaluate(ctx);
}
