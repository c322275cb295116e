/** Samples, findings and alerts the store contract writes. */
import type { Stores } from '../../../alerts/store/open.js';
import type { TrendStore } from '../../../alerts/store/store.js';
import type { Finding, IncomingAlert, Sample } from '../../../alerts/types.js';

export interface StoreFactory {
  /** A migrated store on its own empty database. */
  fresh(): Promise<TrendStore>;
  /** Two stores, not yet migrated, on one new empty database. */
  pair(): Promise<[TrendStore, TrendStore]>;
  /**
   * A store on a new database migrated to `version` and no further, after which `seed` (SQL
   * both dialects take) runs: rows as an older build wrote them.
   */
  atVersion(version: number, seed?: string): Promise<TrendStore>;
  /** The trend and ingest stores of a new, migrated database, as `openStores` gives them. */
  stores(): Promise<Stores>;
  /** Two openings of one new, migrated database (two connections or pools: two instances). */
  storesPair(): Promise<[Stores, Stores]>;
}

/** Every migration version this build knows, in order. */
export const ALL_VERSIONS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export const T0 = 1_780_000_000_000;
export const MIN = 60_000;

export const s = (
  ts: number,
  value: number,
  over: Partial<Pick<Sample, 'target' | 'metric' | 'instance'>> = {},
): Sample => ({
  target: 'svc-a',
  metric: 'latency_p95_ms',
  instance: null,
  ts,
  value,
  ...over,
});

export const finding = (ts: number, over: Partial<Finding> = {}): Finding => ({
  alertname: 'LatencyRegression',
  target: 'svc-a',
  severity: 'warning',
  state: 'firing',
  ts,
  labels: { rule: 'latency-regression', target: 'svc-a' },
  annotations: { summary: 'p95 rose 25% over 3 windows', observed: 250.5, threshold: 200 },
  ...over,
});

/** A Cloud Monitoring incident event, as ingest normalises it (one-shot lifecycle). */
export const incident = (
  id: string,
  status: IncomingAlert['status'],
  over: Partial<IncomingAlert> = {},
): IncomingAlert => ({
  source: 'monitoring',
  dedupeKey: `monitoring:${id}:${status === 'firing' ? 'open' : 'closed'}`,
  lifecycleId: `monitoring:${id}`,
  status,
  labels: { alertname: 'UptimeCheckFailed', severity: 'critical', incident_id: id },
  annotations: {
    summary: `incident ${id} is ${status}`,
    url: 'https://console.cloud.google.com/x',
  },
  startsAt: T0,
  endsAt: status === 'firing' ? null : T0 + 5 * MIN,
  ...over,
});

/** A log-sink entry's alert: no lifecycle. */
export const logAlert = (insertId: string): IncomingAlert => ({
  source: 'log',
  dedupeKey: `log:${insertId}`,
  lifecycleId: null,
  status: 'firing',
  labels: { alertname: 'LogError', severity: 'warning' },
  annotations: { summary: 'ERROR in healthSweep: \u00e9t\u00e9 \ud83d\udd25' },
  startsAt: T0,
  endsAt: null,
});
