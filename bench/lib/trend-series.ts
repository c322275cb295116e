/**
 * A realistic trend series for one target, as the health sweep writes it: one sweep a minute,
 * eight samples per sweep (the whole metric vocabulary). `requests_delta` and `errors_delta`
 * belong to the instance that answered the scrape (one of three, at random, as behind a Cloud
 * Run URL); the others are per target. Values follow a daily cycle with noise, a rare failed
 * probe and a rare degraded health.
 *
 * Values are a pure function of the target and the minute (a PRNG seeded per minute), so two
 * stores seeded over the same minutes hold exactly the same samples.
 */
import type { MetricName, Sample } from '../../alerts/types.js';
import { mulberry32 } from '../../training/prng.js';

export const MINUTE_MS = 60_000;
export const SAMPLES_PER_MINUTE = 8;
const DAY_MINUTES = 1440;
const INSTANCES = ['emotion-00042-abc-1f3a', 'emotion-00042-abc-7c0e', 'emotion-00042-abc-d921'];

/** The samples of the sweep at minute `minute` (epoch minutes), in the order a sweep writes them. */
export function sweepSamples(target: string, minute: number): Sample[] {
  const rand = mulberry32(minute * 2654435761 + target.length);
  const ts = minute * MINUTE_MS;
  const daily = 0.5 + 0.5 * Math.sin((2 * Math.PI * (minute % DAY_MINUTES)) / DAY_MINUTES);
  const up = rand() < 0.999 ? 1 : 0;
  const requests = Math.round(300 + 600 * daily + 60 * rand());
  const errors = rand() < 0.2 ? Math.round(rand() * 3) : 0;
  const p50 = 18 + 10 * daily + 4 * rand();
  const instance = INSTANCES[Math.floor(rand() * INSTANCES.length)] ?? null;
  const at = (metric: MetricName, value: number, inst: string | null = null): Sample => ({
    target,
    metric,
    instance: inst,
    ts,
    value,
  });
  return [
    at('up', up),
    at('health_status', up === 1 ? (rand() < 0.002 ? 1 : 0) : 3),
    at('probe_latency_ms', 6 + 4 * rand() + 3 * daily),
    at('requests_delta', requests, instance),
    at('errors_delta', errors, instance),
    at('error_ratio', errors / requests),
    at('latency_p50_ms', p50),
    at('latency_p95_ms', p50 * (3 + rand())),
  ];
}

/**
 * Samples of the sweeps from minute `first` to `last` inclusive, in chunks of about `chunk`
 * samples (whole sweeps), oldest first: feed each chunk to one `appendSamples`.
 */
export function* seriesChunks(
  target: string,
  first: number,
  last: number,
  chunk: number,
): Generator<Sample[]> {
  let batch: Sample[] = [];
  for (let m = first; m <= last; m++) {
    batch.push(...sweepSamples(target, m));
    if (batch.length >= chunk) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
