/**
 * Slope forecast, `predict_linear` semantics: a least-squares line through the samples of one
 * metric in (t − range, t], extrapolated to t + horizon. It fires when the projection is past the
 * threshold in the bad direction (`above`: projection ≥ threshold and rising; `below`:
 * projection ≤ threshold and falling) and at least `min_points` samples were fitted. The forecast
 * annotation is the time (epoch ms) at which the line crosses the threshold; `observed` is the
 * newest value. A flat or improving trend never fires, however bad the level (a threshold rule
 * watches the level). One pass over the range: O(window).
 */

import { METRICS, type MetricName, type Sample } from '../../types.js';
import {
  decide,
  durationMs,
  durationSchema,
  formatDuration,
  PREVIOUS_EVALUATION_SLACK_MS,
  type RuleType,
  samplesIn,
} from '../rule.js';

export interface SlopeForecastParams {
  readonly metric: MetricName;
  readonly rangeMs: number;
  readonly horizonMs: number;
  readonly threshold: number;
  readonly direction: 'above' | 'below';
  readonly minPoints: number;
}

export interface LinearFit {
  /** Value per ms. */
  readonly slope: number;
  /** Value of the line at time t. */
  at(t: number): number;
}

/** Ordinary least squares of value on ts, centred on the mean time for precision; null if < 2 distinct times. */
export function leastSquares(points: readonly Sample[]): LinearFit | null {
  const n = points.length;
  if (n < 2) return null;
  let sumT = 0;
  let sumV = 0;
  for (const p of points) {
    sumT += p.ts;
    sumV += p.value;
  }
  const meanT = sumT / n;
  const meanV = sumV / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const dt = p.ts - meanT;
    sxx += dt * dt;
    sxy += dt * (p.value - meanV);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, at: (t) => meanV + slope * (t - meanT) };
}

export const slopeForecast: RuleType<SlopeForecastParams> = {
  type: 'slope_forecast',
  schema: {
    type: 'object',
    required: ['metric', 'range', 'horizon', 'threshold', 'direction'],
    properties: {
      metric: { enum: [...METRICS] },
      range: durationSchema,
      horizon: durationSchema,
      threshold: { type: 'number' },
      direction: { enum: ['above', 'below'] },
      min_points: { type: 'integer', minimum: 2 },
    },
  },
  parse(raw) {
    return {
      metric: raw.metric as MetricName,
      rangeMs: durationMs(raw.range as string),
      horizonMs: durationMs(raw.horizon as string),
      threshold: raw.threshold as number,
      direction: raw.direction as 'above' | 'below',
      minPoints: (raw.min_points as number | undefined) ?? 5,
    };
  },
  window: (p) => p.rangeMs + PREVIOUS_EVALUATION_SLACK_MS,
  metrics: (p) => [p.metric],
  evaluate(ctx) {
    const p = ctx.rule.params;
    const sign = p.direction === 'above' ? 1 : -1;
    return decide(ctx, (t) => {
      const points = samplesIn(ctx.samples, p.metric, t - p.rangeMs, t);
      if (points.length < p.minPoints) return null;
      const fit = leastSquares(points);
      if (fit === null || sign * fit.slope <= 0) return null;
      const projected = fit.at(t + p.horizonMs);
      if (sign * (projected - p.threshold) < 0) return null;
      const crossing = Math.round(t + (p.threshold - fit.at(t)) / fit.slope);
      return {
        observed: (points[points.length - 1] as Sample).value,
        threshold: p.threshold,
        forecast: crossing,
        vars: {
          metric: p.metric,
          projected,
          horizon: formatDuration(p.horizonMs),
          crossing: new Date(crossing).toISOString(),
          minutes_to_crossing: Math.max(0, (crossing - t) / 60_000),
        },
      };
    });
  },
};
