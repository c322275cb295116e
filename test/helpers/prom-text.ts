/**
 * Samples of a Prometheus text exposition, for assertions, through the health sweep's own parser
 * (alerts/sweep/prometheus-text.ts).
 */
import { type PromSample, parsePrometheusText } from '../../alerts/sweep/prometheus-text.js';

export type Sample = PromSample;

export function parseSamples(text: string): Sample[] {
  return [...parsePrometheusText(text).samples];
}

/** The value of the one sample with this name whose labels include `labels`, or undefined. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) {
    throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return found[0]?.value;
}
