/**
 * EWMA anomaly: the z-score of the newest sample in (t − range, t] against the exponentially
 * weighted mean and variance of the samples before it (West's incremental form:
 * d = x − μ; μ += α·d; σ² = (1 − α)(σ² + α·d²)), seeded with the first sample. It fires when
 * |z| ≥ `z` in the watched direction (`above`, `below` or `both`) and at least `min_samples`
 * samples precede the newest one. σ is floored at `min_stddev` (default 0; with σ = 0 any change
 * is an infinite z), so a nearly flat baseline does not turn jitter into alerts. O(window).
 */

import { METRICS, type MetricName, type Sample } from '../../types.js';
import {
  decide,
  durationMs,
  durationSchema,
  PREVIOUS_EVALUATION_SLACK_MS,
  type RuleType,
  samplesIn,
} from '../rule.js';

export interface EwmaAnomalyParams {
  readonly metric: MetricName;
  readonly rangeMs: number;
  readonly alpha: number;
  readonly z: number;
  readonly minSamples: number;
  readonly minStddev: number;
  readonly direction: 'above' | 'below' | 'both';
}

/** EWMA mean and variance of the values, in order. */
export function ewma(values: readonly number[], alpha: number): { mean: number; variance: number } {
  let mean = values[0] ?? 0;
  let variance = 0;
  for (let i = 1; i < values.length; i++) {
    const d = (values[i] as number) - mean;
    mean += alpha * d;
    variance = (1 - alpha) * (variance + alpha * d * d);
  }
  return { mean, variance };
}

export const ewmaAnomaly: RuleType<EwmaAnomalyParams> = {
  type: 'ewma_anomaly',
  schema: {
    type: 'object',
    required: ['metric', 'range'],
    properties: {
      metric: { enum: [...METRICS] },
      range: durationSchema,
      alpha: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      z: { type: 'number', exclusiveMinimum: 0 },
      min_samples: { type: 'integer', minimum: 2 },
      min_stddev: { type: 'number', minimum: 0 },
      direction: { enum: ['above', 'below', 'both'] },
    },
  },
  parse(raw) {
    return {
      metric: raw.metric as MetricName,
      rangeMs: durationMs(raw.range as string),
      alpha: (raw.alpha as number | undefined) ?? 0.3,
      z: (raw.z as number | undefined) ?? 3,
      minSamples: (raw.min_samples as number | undefined) ?? 10,
      minStddev: (raw.min_stddev as number | undefined) ?? 0,
      direction: (raw.direction as 'above' | 'below' | 'both' | undefined) ?? 'both',
    };
  },
  window: (p) => p.rangeMs + PREVIOUS_EVALUATION_SLACK_MS,
  metrics: (p) => [p.metric],
  evaluate(ctx) {
    const p = ctx.rule.params;
    return decide(ctx, (t) => {
      const points = samplesIn(ctx.samples, p.metric, t - p.rangeMs, t);
      if (points.length < p.minSamples + 1) return null;
      const newest = (points[points.length - 1] as Sample).value;
      const base = ewma(
        points.slice(0, -1).map((s) => s.value),
        p.alpha,
      );
      const sd = Math.max(Math.sqrt(base.variance), p.minStddev);
      const diff = newest - base.mean;
      const z = diff === 0 ? 0 : sd === 0 ? Math.sign(diff) * Number.POSITIVE_INFINITY : diff / sd;
      const hit =
        p.direction === 'above'
          ? z >= p.z
          : p.direction === 'below'
            ? z <= -p.z
            : Math.abs(z) >= p.z;
      if (!hit) return null;
      return {
        observed: newest,
        threshold: p.z,
        vars: { metric: p.metric, z, mean: base.mean, stddev: sd },
      };
    });
  },
};
