/**
 * The trend-rule contract. A rule type is one file under `rules/`; it is pure over a bounded window
 * of samples: the same rule, target, `now` and samples always give the same finding. Nothing is
 * remembered between evaluations: `for`, `keep_firing_for` and resolution are recomputed from the
 * window itself, which is why each type states how much history it needs (`window`).
 */
import type { Bucket, Finding, MetricName, RollupMetric, Sample, Severity } from '../types.js';

/** A loaded rule: the common fields of `alerts/definitions/trend-rules/*.yaml`, plus the type's parsed params. */
export interface RuleSpec<P = unknown> {
  readonly alertname: string;
  readonly type: string;
  readonly severity: Severity;
  /** Targets the rule applies to; undefined means every target. */
  readonly targets: readonly string[] | undefined;
  /** A template: `{{name}}` is replaced by the finding's variables (see `renderSummary`). */
  readonly summary: string;
  readonly runbook_url: string | undefined;
  /** Where the rule came from, for messages: `file#index`. */
  readonly source: string;
  readonly params: P;
}

export interface EvalContext<P> {
  readonly target: string;
  /** Evaluation time, epoch ms. */
  readonly now: number;
  /**
   * The previous evaluation time, if the caller knows it. A rule reports `resolved` when it was
   * firing at `prev` and is not at `now`. Without it, `prev` is the latest sample time before
   * `now` (sweeps write then evaluate, so that is the previous sweep).
   */
  readonly prev?: number;
  /**
   * Samples of this target for every metric in `metrics(params)`, `ts` ascending, ts ≤ now. With
   * `buckets`, a rolled-up metric's samples come only for some hours (whole, except where the
   * window starts or at now): samples and buckets never cover the same time.
   */
  readonly samples: readonly Sample[];
  /**
   * Only for a rule type with `rollup`: hourly sums of its rollup metrics (ascending by end) for
   * the hours of its window that `samples` do not hold. The first may reach back before the
   * window; a rule pro-rates a bucket its window cuts. Absent or empty: every sample is raw.
   */
  readonly buckets?: readonly Bucket[];
  readonly rule: RuleSpec<P>;
}

/** What a rule type with additive metrics accepts as hourly sums (see `RuleType.rollup`). */
export interface RollupSpec {
  readonly metrics: readonly RollupMetric[];
  /**
   * Window lengths whose sums must stay exact: the hours where their edges can fall (at `now` and
   * down to `PREVIOUS_EVALUATION_SLACK_MS` earlier) come raw, the hours between as buckets
   * (`readPlan`). Other windows may have their old edge inside a bucket.
   */
  readonly exactMs: readonly number[];
}

export interface RuleType<P> {
  readonly type: string;
  /** JSON schema of the type's own YAML fields (durations as strings such as `5m`). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Turns the validated YAML fields into params (durations to ms, defaults filled in). */
  parse(raw: Readonly<Record<string, unknown>>): P;
  /** Milliseconds of history `evaluate` needs before `now`; the store returns no more. */
  window(params: P): number;
  metrics(params: P): readonly MetricName[];
  /**
   * Optional, for sums of additive metrics over long windows (a Prometheus recording rule's job):
   * the metrics whose older samples may come as hourly sums, or null when the params need none.
   * Without it (or null) `evaluate` always gets raw samples for the whole window.
   */
  rollup?(params: P): RollupSpec | null;
  /** A firing finding, a resolved one (firing at `prev`, not now), or null. O(samples + buckets). */
  evaluate(ctx: EvalContext<P>): Finding | null;
}

/**
 * History added to every window so that the previous evaluation (one sweep earlier) sees its own
 * full window too. Sweeps run every 1 to 5 minutes; 15 minutes leaves room for a missed one.
 */
export const PREVIOUS_EVALUATION_SLACK_MS = 15 * 60_000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d)$';
export const durationSchema = { type: 'string', pattern: DURATION_PATTERN } as const;

/** `90s`, `5m`, `1h`, `3d` → ms. The schema has already checked the shape. */
export function durationMs(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (m === null) throw new TypeError(`not a duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The shortest spelling of a duration in ms, for labels: 300000 → `5m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The previous evaluation time: `ctx.prev`, else the latest sample time strictly before `now`. */
export function previousTime(ctx: EvalContext<unknown>): number | undefined {
  if (ctx.prev !== undefined) return ctx.prev;
  for (let i = ctx.samples.length - 1; i >= 0; i--) {
    const ts = (ctx.samples[i] as Sample).ts;
    if (ts < ctx.now) return ts;
  }
  return undefined;
}

/** Samples of one metric with `from < ts ≤ to` (ascending input, ascending output). */
export function samplesIn(
  samples: readonly Sample[],
  metric: MetricName,
  from: number,
  to: number,
): Sample[] {
  return samples.filter((s) => s.metric === metric && s.ts > from && s.ts <= to);
}

/** Replaces `{{name}}` by `vars[name]` (numbers rounded to 4 significant digits); unknown stay. */
export function renderSummary(
  template: string,
  vars: Readonly<Record<string, string | number | undefined>>,
): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? String(Number(v.toPrecision(4))) : v;
  });
}

export interface FindingParts {
  readonly observed?: number | undefined;
  readonly threshold?: number | undefined;
  readonly forecast?: number | undefined;
  /** Extra labels (part of the alert's identity: keep them stable, e.g. a burn-rate pair). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra template variables for the summary. */
  readonly vars?: Readonly<Record<string, string | number | undefined>>;
}

/** Builds a finding with the common labels (alertname, target, severity) and annotations. */
export function makeFinding(
  ctx: EvalContext<unknown>,
  state: Finding['state'],
  parts: FindingParts,
): Finding {
  const { rule, target, now } = ctx;
  const vars = {
    alertname: rule.alertname,
    target,
    severity: rule.severity,
    state,
    value: parts.observed,
    threshold: parts.threshold,
    forecast: parts.forecast,
    ...parts.vars,
  };
  const annotations: {
    summary: string;
    observed?: number;
    threshold?: number;
    forecast?: number;
    runbook_url?: string;
  } = { summary: renderSummary(rule.summary, vars) };
  if (parts.observed !== undefined) annotations.observed = parts.observed;
  if (parts.threshold !== undefined) annotations.threshold = parts.threshold;
  if (parts.forecast !== undefined) annotations.forecast = parts.forecast;
  if (rule.runbook_url !== undefined) annotations.runbook_url = rule.runbook_url;
  return {
    alertname: rule.alertname,
    target,
    severity: rule.severity,
    state,
    ts: now,
    labels: {
      ...parts.labels,
      alertname: rule.alertname,
      target,
      severity: rule.severity,
    },
    annotations,
  };
}

/**
 * The shared firing/resolved decision for rules whose condition is a pure function of the samples
 * up to a time: firing now → firing; firing at the previous evaluation only → resolved; else null.
 */
export function decide<R extends FindingParts>(
  ctx: EvalContext<unknown>,
  firingAt: (t: number) => R | null,
): Finding | null {
  const now = firingAt(ctx.now);
  if (now !== null) return makeFinding(ctx, 'firing', now);
  const prevT = previousTime(ctx);
  if (prevT === undefined) return null;
  const before = firingAt(prevT);
  return before === null ? null : makeFinding(ctx, 'resolved', before);
}
