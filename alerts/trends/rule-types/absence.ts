/**
 * Absence: fires when no sample of `metric` for the target has a ts in (t − for, t]. A target that
 * was never seen (no samples at all in the window) is absent too, so the rule must be given the
 * target list (its `targets`, or every configured target) rather than only targets with data.
 * Resolution needs `ctx.prev`: after a silence the latest sample before `now` is old, so the
 * default previous time (the latest sample time) cannot tell whether the rule was firing.
 * The sweeper's own absence is not visible here (it writes the samples); that check runs in
 * `trendReport` or the engine's tick.
 */

import { METRICS, type MetricName } from '../../types.js';
import {
  decide,
  durationMs,
  durationSchema,
  formatDuration,
  PREVIOUS_EVALUATION_SLACK_MS,
  type RuleType,
} from '../rule.js';

export interface AbsenceParams {
  readonly metric: MetricName;
  readonly forMs: number;
}

export const absence: RuleType<AbsenceParams> = {
  type: 'absence',
  schema: {
    type: 'object',
    required: ['metric', 'for'],
    properties: { metric: { enum: [...METRICS] }, for: durationSchema },
  },
  parse: (raw) => ({ metric: raw.metric as MetricName, forMs: durationMs(raw.for as string) }),
  window: (p) => p.forMs + PREVIOUS_EVALUATION_SLACK_MS,
  metrics: (p) => [p.metric],
  evaluate(ctx) {
    const p = ctx.rule.params;
    return decide(ctx, (t) => {
      let lastSeen: number | undefined;
      for (const s of ctx.samples) if (s.metric === p.metric && s.ts <= t) lastSeen = s.ts;
      if (lastSeen !== undefined && lastSeen > t - p.forMs) return null;
      const silentMin = lastSeen === undefined ? undefined : (t - lastSeen) / 60_000;
      return {
        ...(silentMin === undefined ? {} : { observed: silentMin }),
        threshold: p.forMs / 60_000,
        vars: {
          metric: p.metric,
          for: formatDuration(p.forMs),
          last_seen:
            lastSeen === undefined ? 'not in the window' : new Date(lastSeen).toISOString(),
        },
      };
    });
  },
};
