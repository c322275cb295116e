/**
 * Multi-window, multi-burn-rate SLO alert (SRE workbook; Sloth's 30-day table as the default
 * pairs). The SLI comes from the scraped counters, not from probe counts: the error ratio over a
 * window W ending at t is Σ errors_delta / Σ requests_delta over the samples with ts in (t − W, t],
 * summed across service instances (each delta sample covers the interval since the previous scrape
 * of that instance). A pair (factor, short, long) fires when both windows' ratios exceed
 * factor × (1 − objective) and the long window saw at least `min_requests` requests (the
 * low-traffic guard). Pairs are OR'ed; the finding names the first firing pair (the fastest, in
 * the file's order) in its summary variables (`factor`, `short`, `long`, `burn_rate`), while the
 * labels carry the stable identity (`slo_objective`, `burn_pairs`) so that a switch from one pair
 * to another is the same alert. `observed` is the long-window burn rate, `threshold` the factor.
 * The window is the longest long window. O(window) per pair.
 *
 * Rollups (`rollup`, store migration 4): the sums read hourly buckets wherever no window edge
 * can fall, as a Prometheus recording rule would. Every short window and every long window up to
 * `EXACT_WINDOW_MS` (all the page pairs' windows, the ticket pairs' 2h and 6h) stays exact, at
 * `now` and at the previous evaluation (up to `PREVIOUS_EVALUATION_SLACK_MS` earlier): raw hours
 * around their edges, whole buckets between. Longer windows (the ticket pairs' 1d and 3d) may
 * have their old edge inside a bucket, which counts pro rata to the overlap. Its true share lies
 * between none and all of it, so such a sum errs by less than that one hour's requests (errors):
 * for traffic at a steady rate at most 1h/W relative (4 % for 1d, 1.4 % for 3d), and the ratio
 * not at all while the error ratio is steady across that hour.
 */

import { type Bucket, ROLLUP_METRICS, type Sample } from '../../types.js';
import {
  decide,
  durationMs,
  durationSchema,
  formatDuration,
  PREVIOUS_EVALUATION_SLACK_MS,
  type RuleType,
} from '../rule.js';

/** Long windows up to this length stay exact over rollups, like every short window (see `rollup`). */
export const EXACT_WINDOW_MS = 6 * 3_600_000;

export interface BurnPair {
  readonly factor: number;
  readonly shortMs: number;
  readonly longMs: number;
}

export interface BurnRateParams {
  /** E.g. 0.995: the error budget is 1 − objective. */
  readonly objective: number;
  readonly pairs: readonly BurnPair[];
  readonly minRequests: number;
}

/** Sloth `google-30d`: page 14.4× (5m, 1h) and 6× (30m, 6h); ticket 3× (2h, 1d) and 1× (6h, 3d). */
export const SLOTH_30D = {
  page: [
    { factor: 14.4, shortMs: 5 * 60_000, longMs: 3_600_000 },
    { factor: 6, shortMs: 30 * 60_000, longMs: 6 * 3_600_000 },
  ],
  ticket: [
    { factor: 3, shortMs: 2 * 3_600_000, longMs: 86_400_000 },
    { factor: 1, shortMs: 6 * 3_600_000, longMs: 3 * 86_400_000 },
  ],
} as const satisfies Record<string, readonly BurnPair[]>;

/**
 * Requests and errors with ts in (from, to], all instances: raw samples, plus each bucket times
 * the share of its span (end − spanMs, end] inside (from, to] (1 when inside, exactly).
 */
export function errorTotals(
  samples: readonly Sample[],
  from: number,
  to: number,
  buckets: readonly Bucket[] = [],
): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const s of samples) {
    if (s.ts <= from || s.ts > to) continue;
    if (s.metric === 'requests_delta') requests += s.value;
    else if (s.metric === 'errors_delta') errors += s.value;
  }
  for (const b of buckets) {
    const overlap = Math.min(b.ts, to) - Math.max(b.ts - b.spanMs, from);
    if (overlap <= 0) continue;
    const part = overlap >= b.spanMs ? b.value : (b.value * overlap) / b.spanMs;
    if (b.metric === 'requests_delta') requests += part;
    else errors += part;
  }
  return { requests, errors };
}

const ratio = (t: { requests: number; errors: number }): number =>
  t.requests > 0 ? t.errors / t.requests : 0;

export const burnRate: RuleType<BurnRateParams> = {
  type: 'burn_rate',
  schema: {
    type: 'object',
    required: ['objective', 'pairs', 'min_requests'],
    properties: {
      objective: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      min_requests: { type: 'number', minimum: 0 },
      pairs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['factor', 'short', 'long'],
          additionalProperties: false,
          properties: {
            factor: { type: 'number', exclusiveMinimum: 0 },
            short: durationSchema,
            long: durationSchema,
          },
        },
      },
    },
  },
  parse(raw) {
    const pairs = raw.pairs as readonly { factor: number; short: string; long: string }[];
    return {
      objective: raw.objective as number,
      minRequests: raw.min_requests as number,
      pairs: pairs.map((p) => ({
        factor: p.factor,
        shortMs: durationMs(p.short),
        longMs: durationMs(p.long),
      })),
    };
  },
  window: (p) => Math.max(...p.pairs.map((x) => x.longMs)) + PREVIOUS_EVALUATION_SLACK_MS,
  metrics: () => ROLLUP_METRICS,
  rollup(p) {
    const exactMs = p.pairs.flatMap((x) =>
      x.longMs <= EXACT_WINDOW_MS ? [x.shortMs, x.longMs] : [x.shortMs],
    );
    return { metrics: ROLLUP_METRICS, exactMs: [...new Set(exactMs)] };
  },
  evaluate(ctx) {
    const buckets = ctx.buckets ?? [];
    const p = ctx.rule.params;
    const budget = 1 - p.objective;
    const labels = {
      slo_objective: String(p.objective),
      burn_pairs: p.pairs
        .map((x) => `${x.factor}x(${formatDuration(x.shortMs)},${formatDuration(x.longMs)})`)
        .join(' '),
    };
    return decide(ctx, (t) => {
      for (const pair of p.pairs) {
        const long = errorTotals(ctx.samples, t - pair.longMs, t, buckets);
        if (long.requests < p.minRequests || long.requests === 0) continue;
        const limit = pair.factor * budget;
        if (ratio(long) <= limit) continue;
        const short = errorTotals(ctx.samples, t - pair.shortMs, t, buckets);
        if (ratio(short) <= limit) continue;
        return {
          observed: ratio(long) / budget,
          threshold: pair.factor,
          labels,
          vars: {
            factor: pair.factor,
            short: formatDuration(pair.shortMs),
            long: formatDuration(pair.longMs),
            burn_rate: ratio(long) / budget,
            short_burn_rate: ratio(short) / budget,
            error_ratio_long: ratio(long),
            requests_long: long.requests,
            objective: p.objective,
          },
        };
      }
      return null;
    });
  },
};
