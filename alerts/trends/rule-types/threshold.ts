/**
 * Threshold with `for` (dwell) and `keep_firing_for` (hold), Prometheus semantics replayed over the
 * window's samples of one per-target metric (`up`, `latency_p95_ms`, `health_status`, ...):
 *
 * - The condition is `value <op> threshold`, judged at each sample time.
 * - Pending starts at the first sample of an unbroken run of true samples (`activeAt`). The rule
 *   fires at a sample time t when every sample from `activeAt` to t is true and t − activeAt ≥
 *   `for`. With `for: 0` the first true sample fires. One false sample resets the run.
 * - Once firing, it stays firing while the samples are true. From the first false sample the
 *   hold starts: it keeps firing while t − (first false sample) < `keep_firing_for`, and a true
 *   sample inside the hold cancels it without a new `for` (Prometheus keeps the active alert), so
 *   a flapping series keeps one alert open. With one sweep a minute and `keep_firing_for: 2m`,
 *   two good sweeps in a row are held and the third resolves. `keep_firing_for: 0` resolves at
 *   the first false sample. Between sweeps the newest sample stands (as a PromQL instant query
 *   reads the latest sample); a series that stops is the absence rule's business.
 * - The replay starts inactive at now − window, window = for + keep_firing_for + `history`
 *   (default 1h) + the previous-evaluation slack. An episode that started before that is
 *   re-established only if the condition holds for `for` inside the window: the price of a
 *   bounded window. Missing samples are not false samples; the absence rule covers silence.
 */

import { METRICS, type MetricName } from '../../types.js';
import {
  decide,
  durationMs,
  durationSchema,
  type EvalContext,
  formatDuration,
  PREVIOUS_EVALUATION_SLACK_MS,
  type RuleType,
} from '../rule.js';

export const OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Op = (typeof OPS)[number];

export interface ThresholdParams {
  readonly metric: MetricName;
  readonly op: Op;
  readonly value: number;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly historyMs: number;
}

export function compare(op: Op, a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

interface Replay {
  /** Firing at time t (t ≥ the last replayed sample). */
  firingAt(t: number): { observed: number } | null;
}

/**
 * Runs Prometheus's pending/firing/hold state machine over the samples with ts ≤ until and
 * returns a judge for times at or after the last of them. O(samples).
 */
function replay(p: ThresholdParams, ctx: EvalContext<ThresholdParams>, until: number): Replay {
  let activeAt: number | undefined; // first sample of the current run of true samples
  let falseSince: number | undefined; // first false sample while firing (the hold's start)
  let firing = false;
  let lastValue = Number.NaN;
  for (const s of ctx.samples) {
    if (s.metric !== p.metric || s.ts > until) continue;
    lastValue = s.value;
    if (compare(p.op, s.value, p.value)) {
      falseSince = undefined;
      activeAt ??= s.ts;
      if (s.ts - activeAt >= p.forMs) firing = true;
    } else {
      activeAt = undefined;
      if (firing) {
        falseSince ??= s.ts;
        if (s.ts - falseSince >= p.keepFiringForMs) {
          firing = false;
          falseSince = undefined;
        }
      }
    }
  }
  return {
    firingAt(t) {
      if (!firing) return null;
      if (falseSince !== undefined && t - falseSince >= p.keepFiringForMs) return null;
      return { observed: lastValue };
    },
  };
}

export const threshold: RuleType<ThresholdParams> = {
  type: 'threshold',
  schema: {
    type: 'object',
    required: ['metric', 'op', 'value'],
    properties: {
      metric: { enum: [...METRICS] },
      op: { enum: [...OPS] },
      value: { type: 'number' },
      for: durationSchema,
      keep_firing_for: durationSchema,
      history: durationSchema,
    },
  },
  parse(raw) {
    return {
      metric: raw.metric as MetricName,
      op: raw.op as Op,
      value: raw.value as number,
      forMs: durationMs((raw.for as string | undefined) ?? '0s'),
      keepFiringForMs: durationMs((raw.keep_firing_for as string | undefined) ?? '0s'),
      historyMs: durationMs((raw.history as string | undefined) ?? '1h'),
    };
  },
  window: (p) => p.forMs + p.keepFiringForMs + p.historyMs + PREVIOUS_EVALUATION_SLACK_MS,
  metrics: (p) => [p.metric],
  evaluate(ctx) {
    const p = ctx.rule.params;
    const parts = (t: number) => {
      const hit = replay(p, ctx, t).firingAt(t);
      if (hit === null) return null;
      return {
        observed: hit.observed,
        threshold: p.value,
        vars: {
          metric: p.metric,
          op: p.op,
          for: formatDuration(p.forMs),
          keep_firing_for: formatDuration(p.keepFiringForMs),
        },
      };
    };
    return decide(ctx, parts);
  },
};
