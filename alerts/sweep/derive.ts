/**
 * From a scrape of the service's `/metrics` to trend samples, per Cloud Run instance.
 *
 * A Cloud Run URL reaches a random instance, and each instance's counters start at zero, so
 * deltas are only meaningful between two scrapes of the *same* instance (the `instance` label,
 * also sent as `X-Instance-Id`). A counter lower than last time means the instance restarted
 * under the same id (or the id was reused): the delta is then the new value itself, as
 * Prometheus's `increase()` treats a reset.
 *
 * Pure: the caller loads the previous snapshots from the store and saves the new ones.
 */
import type { Sample } from '../types.js';
import type { Exposition } from './prometheus-text.js';

/** Cumulative counters of one instance at one scrape. */
export interface CounterSnapshot {
  /** Scrape time, epoch ms. */
  readonly ts: number;
  readonly requests: number;
  readonly errors: number;
  /** Latency histogram buckets (upper bound in seconds → cumulative count), all routes. */
  readonly buckets: ReadonlyMap<number, number>;
}

/** The longest `instance` label kept (a Cloud Run instance id is about 100 characters). */
export const MAX_INSTANCE_LENGTH = 256;

/** Why an `instance` label cannot key a sample and a counter state, or null when it can. */
export function instanceProblem(instance: string): string | null {
  if (instance === '') return 'instance label empty';
  if (instance.length > MAX_INSTANCE_LENGTH) {
    return `instance label over ${MAX_INSTANCE_LENGTH} characters`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  if (/[\u0000-\u001f\u007f]/.test(instance)) return 'instance label with a control character';
  return null;
}

/** The scrape's HTTP series that could not be used, counted by reason. */
export type Dropped = Map<string, number>;

function drop(dropped: Dropped, reason: string, n = 1): void {
  dropped.set(reason, (dropped.get(reason) ?? 0) + n);
}

/**
 * Sums the HTTP series of every instance in the scrape: requests, 5xx errors, latency buckets.
 * A series the store could not take is dropped and counted instead: its `instance` label is
 * unusable (`instanceProblem`), its value or `le` is not a number, or its instance's sums are
 * not finite (two `1e308` series), in which case every series of that instance is dropped.
 * Series without an `instance` label are not the service's HTTP series and are ignored.
 */
export function scrapeSnapshots(
  exposition: Exposition,
  ts: number,
): { snapshots: Map<string, CounterSnapshot>; dropped: Dropped } {
  const acc = new Map<
    string,
    { requests: number; errors: number; buckets: Map<number, number>; series: number }
  >();
  const dropped: Dropped = new Map();
  const of = (instance: string) => {
    let a = acc.get(instance);
    if (a === undefined) {
      a = { requests: 0, errors: 0, buckets: new Map(), series: 0 };
      acc.set(instance, a);
    }
    return a;
  };
  for (const s of exposition.samples) {
    const isRequests = s.name === 'http_requests_total';
    if (!isRequests && s.name !== 'http_request_duration_seconds_bucket') continue;
    const instance = s.labels.instance;
    if (instance === undefined) continue;
    const problem = instanceProblem(instance);
    if (problem !== null) {
      drop(dropped, problem);
      continue;
    }
    if (!Number.isFinite(s.value)) {
      drop(dropped, 'value not finite');
      continue;
    }
    if (isRequests) {
      const a = of(instance);
      a.series++;
      a.requests += s.value;
      if (s.labels.status_class === '5xx') a.errors += s.value;
    } else {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      if (Number.isNaN(le)) {
        drop(dropped, 'le not a number');
        continue;
      }
      const a = of(instance);
      a.series++;
      a.buckets.set(le, (a.buckets.get(le) ?? 0) + s.value);
    }
  }
  const snapshots = new Map<string, CounterSnapshot>();
  for (const [instance, { series, ...a }] of acc) {
    const finite =
      Number.isFinite(a.requests) &&
      Number.isFinite(a.errors) &&
      [...a.buckets.values()].every(Number.isFinite);
    if (finite) snapshots.set(instance, { ts, ...a });
    else drop(dropped, 'sum not finite', series);
  }
  return { snapshots, dropped };
}

/** `scrapeSnapshots` without the count of what was dropped. */
export function snapshotsOf(exposition: Exposition, ts: number): Map<string, CounterSnapshot> {
  return scrapeSnapshots(exposition, ts).snapshots;
}

/** `cur - prev`, or `cur` when the counter went down (a reset). */
function increase(prev: number | undefined, cur: number): number {
  return prev === undefined || cur < prev ? cur : cur - prev;
}

export interface InstanceDelta {
  readonly instance: string;
  readonly requests: number;
  readonly errors: number;
  readonly buckets: ReadonlyMap<number, number>;
  /** A counter went down since the previous snapshot. */
  readonly reset: boolean;
}

/**
 * The increase of one instance's counters since `prev`. Without a previous snapshot there is no
 * interval to speak of, so the result is null: the first scrape of an instance only sets its
 * baseline (its lifetime totals are not one sweep's traffic).
 */
export function deltaOf(
  instance: string,
  prev: CounterSnapshot | undefined,
  cur: CounterSnapshot,
): InstanceDelta | null {
  if (prev === undefined) return null;
  const reset =
    cur.requests < prev.requests ||
    cur.errors < prev.errors ||
    [...cur.buckets].some(([le, n]) => n < (prev.buckets.get(le) ?? 0));
  const buckets = new Map<number, number>();
  for (const [le, n] of cur.buckets) {
    buckets.set(le, reset ? n : increase(prev.buckets.get(le), n));
  }
  return {
    instance,
    requests: reset ? cur.requests : increase(prev.requests, cur.requests),
    errors: reset ? cur.errors : increase(prev.errors, cur.errors),
    buckets,
    reset,
  };
}

/**
 * `histogram_quantile(q, ...)` over cumulative bucket counts: linear interpolation inside the
 * bucket holding the q-th observation, the lowest bucket starting at 0, and the highest finite
 * bound when the rank falls in +Inf. Null without observations.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/**
 * The counter-derived samples of one sweep of `target`: `requests_delta` and `errors_delta` per
 * instance, and, over the instances with a previous snapshot, `error_ratio`, `latency_p50_ms`
 * and `latency_p95_ms` (when there was traffic).
 */
export function counterSamples(
  target: string,
  ts: number,
  previous: ReadonlyMap<string, CounterSnapshot>,
  current: ReadonlyMap<string, CounterSnapshot>,
): Sample[] {
  const samples: Sample[] = [];
  let requests = 0;
  let errors = 0;
  const buckets = new Map<number, number>();
  for (const [instance, cur] of current) {
    const d = deltaOf(instance, previous.get(instance), cur);
    if (d === null) continue;
    samples.push({ target, metric: 'requests_delta', instance, ts, value: d.requests });
    samples.push({ target, metric: 'errors_delta', instance, ts, value: d.errors });
    requests += d.requests;
    errors += d.errors;
    for (const [le, n] of d.buckets) buckets.set(le, (buckets.get(le) ?? 0) + n);
  }
  if (requests > 0) {
    samples.push({ target, metric: 'error_ratio', instance: null, ts, value: errors / requests });
    for (const [metric, q] of [
      ['latency_p50_ms', 0.5],
      ['latency_p95_ms', 0.95],
    ] as const) {
      const seconds = histogramQuantile(q, buckets);
      if (seconds !== null) {
        samples.push({ target, metric, instance: null, ts, value: seconds * 1000 });
      }
    }
  }
  return samples;
}
