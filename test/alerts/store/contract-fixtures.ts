/** Samples and findings the store contract writes. */
import type { TrendStore } from '../../../alerts/store/store.js';
import type { Finding, Sample } from '../../../alerts/types.js';

export interface StoreFactory {
  /** A migrated store on its own empty database. */
  fresh(): Promise<TrendStore>;
  /** Two stores, not yet migrated, on one new empty database. */
  pair(): Promise<[TrendStore, TrendStore]>;
  /** A store on a new database at schema version 3 (before the rollups), not migrated further. */
  atVersion3(): Promise<TrendStore>;
}

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
