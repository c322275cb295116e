/** Samples and findings the store contract writes. */
import type { TrendStore } from '../../../alerts/store/store.js';
import type { Finding, Sample } from '../../../alerts/types.js';

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
}

/** Every migration version this build knows, in order. */
export const ALL_VERSIONS = [1, 2, 3, 4, 5];

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
