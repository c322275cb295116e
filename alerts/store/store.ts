/**
 * The trend store: samples, per-instance counter state, sweep records and findings, behind one
 * interface with a SQLite and a PostgreSQL implementation (one contract test suite runs against
 * both). Times are epoch milliseconds throughout.
 */
import { describeValue, type ErrorSpec, RunwatchError } from '../../lib/errors.js';
import {
  type Bucket,
  type Finding,
  METRICS,
  type MetricName,
  type RollupMetric,
  type Sample,
} from '../types.js';

export const STORE_ERRORS = {
  STORE_ERR_URL_INVALID: {
    status: 500,
    surface: 'start',
    meaning:
      'STORE_URL is not a `sqlite:<path>` or `postgres://` URL; the message says which part.',
  },
  STORE_ERR_REFUSED_ON_CLOUD_RUN: {
    status: 500,
    surface: 'start',
    meaning:
      'STORE_URL is `sqlite:` on Cloud Run, whose instance disks are ephemeral and not shared; use `postgres://`.',
  },
  STORE_ERR_DIALECT_UNAVAILABLE: {
    status: 500,
    surface: 'start',
    meaning:
      "STORE_URL names a dialect whose store this installation does not carry: the deployed functions' packages hold the PostgreSQL store only, so a `sqlite:` URL there is refused; use `postgres://`.",
  },
  STORE_ERR_RETENTION_INVALID: {
    status: 500,
    surface: 'start',
    meaning: 'The retention (STORE_RETENTION_DAYS) is not a whole number of days from 1 to 3650.',
  },
  STORE_ERR_MIGRATION: {
    status: 500,
    surface: 'start',
    meaning: 'A schema migration failed, or the database is at a newer version than this build.',
  },
  STORE_ERR_SAMPLE_INVALID: {
    status: 500,
    meaning:
      'A sample has an unknown metric, a non-integer time, a non-finite value, or an empty instance or target or one holding NUL. The sweep validates its samples first and drops such ones (`SCRAPE_ERR_SAMPLE_INVALID`), so this means a caller skipped that.',
  },
  STORE_ERR_INGEST_INVALID: {
    status: 500,
    meaning:
      'An alert or poison message handed to the ingest store has an empty or unstorable key (messageId, dedupeKey, lifecycleId, code), a string holding NUL or a lone surrogate (PostgreSQL text and jsonb cannot hold them), or a time that is not an integer. Ingest checks with `admitProblem` / `poisonProblem` first and treats such a message as poison, so this means a caller skipped that.',
  },
} as const satisfies Record<string, { status: number; meaning: string; surface?: string }>;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

export const STORE_ERROR_SPECS: readonly ErrorSpec[] = Object.entries(STORE_ERRORS).map(
  ([code, s]) => ({
    code,
    statusCode: s.status,
    meaning: s.meaning,
    ...('surface' in s ? { surface: s.surface } : {}),
  }),
);

export class StoreError extends RunwatchError {
  declare readonly code: StoreErrorCode;

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { cause?: unknown; field?: string } = {},
  ) {
    super(code, STORE_ERRORS[code].status, message, options);
  }
}

/** Samples of one metric of one target with `from <= ts < to`, ascending by time, then instance. */
export interface WindowQuery {
  readonly target: string;
  readonly metric: MetricName;
  readonly from: number;
  readonly to: number;
  /** Absent: every instance. null: only per-target samples. A string: only that instance. */
  readonly instance?: string | null;
}

/** Hourly rollup rows of one additive metric of one target with `from <= ts < to` (ts: hour end). */
export interface RollupQuery {
  readonly target: string;
  readonly metric: RollupMetric;
  readonly from: number;
  readonly to: number;
}

/** The last scraped counter values of one service instance, for deltas and reset detection. */
export interface CounterState {
  readonly target: string;
  readonly instance: string;
  /** When the counters were scraped. */
  readonly ts: number;
  readonly requests: number;
  readonly errors: number;
  /** Latency histogram: [le label ("0.1", "+Inf"), cumulative count], summed over routes. */
  readonly buckets: readonly (readonly [string, number])[];
}

/** One health sweep, keyed `<job>@<scheduleTime>`; the summary is JSON. */
export interface SweepRecord {
  readonly sweepId: string;
  /** The caller-given time of the run (a Scheduler run's scheduled time). */
  readonly ts: number;
  /**
   * When the sweep was recorded, by the recording sweep's own clock (its injected `now`), not the
   * database's, so tests with a fake clock control it. The heartbeat trusts only this time.
   */
  readonly recordedAt: number;
  readonly summary: Readonly<Record<string, unknown>>;
}

/** The newest sweep, as the sweeper's heartbeat reads it. */
export type LatestSweep = Pick<SweepRecord, 'sweepId' | 'ts' | 'recordedAt'>;

export interface StoredFinding extends Finding {
  readonly sweepId: string;
}

export interface MigrationResult {
  /** Versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
  /** The schema version afterwards. */
  readonly version: number;
}

export interface TrendStore {
  /** Applies pending migrations; safe when several instances start at once. */
  migrate(): Promise<MigrationResult>;
  /** Versions recorded in `schema_migrations`, ascending. */
  appliedMigrations(): Promise<number[]>;
  /** Upserts by (target, metric, instance, ts): a retried append replaces, never duplicates. */
  appendSamples(samples: readonly Sample[]): Promise<void>;
  window(q: WindowQuery): Promise<Sample[]>;
  /**
   * The hourly sums of `requests_delta` or `errors_delta` (all instances) whose hour ends in
   * [from, to), ascending. Kept by the database in the transaction of every append (migration 4);
   * an hour's row holds the samples with ts in (end − 1 h, end].
   */
  rollups(q: RollupQuery): Promise<Bucket[]>;
  /** The newest sample time of the target (of one metric, if given), or null if never seen. */
  lastSeen(q: { readonly target: string; readonly metric?: MetricName }): Promise<number | null>;
  getCounterState(target: string, instance: string): Promise<CounterState | null>;
  setCounterState(state: CounterState): Promise<void>;
  /**
   * Inserts unless a sweep with that id exists; a duplicate returns the stored record (with the
   * first recording's `recordedAt`).
   */
  recordSweep(record: SweepRecord): Promise<{ inserted: boolean; record: SweepRecord }>;
  getSweep(sweepId: string): Promise<SweepRecord | null>;
  /**
   * The newest sweep by the time it was recorded (`recordedAt`, migration 5), not by its
   * caller-given schedule time, so a sweep stamped far ahead cannot hide missed sweeps; without
   * its summary; null when none is stored. The sweeper's heartbeat check reads it, with
   * `notAfter` (a recording time later than that is ignored: a sweeper whose clock runs far ahead
   * must not keep the heartbeat quiet).
   */
  latestSweep(q?: { readonly notAfter?: number }): Promise<LatestSweep | null>;
  recordFindings(findings: readonly Finding[], sweepId: string): Promise<void>;
  /** Findings with `ts >= from`, of one target if given, ascending by time then insertion. */
  findings(q?: { readonly target?: string; readonly from?: number }): Promise<StoredFinding[]>;
  /**
   * Deletes rows older than `before` (samples, hourly rollups whose hour ended before it,
   * findings, sweeps, stale counter state, then the ingest tables of the same database by their
   * received time: messages, alerts, poison), at most `limit` in all, and returns how many; call
   * again until it returns less than `limit`.
   */
  prune(q: { readonly before: number; readonly limit: number }): Promise<number>;
  close(): Promise<void>;
}

/** Null instances are stored as '' so (target, metric, instance, ts) can be a primary key. */
export const NO_INSTANCE = '';

const METRIC_SET: ReadonlySet<string> = new Set(METRICS);

/** A prune limit is a positive integer (SQLite reads a negative LIMIT as no limit). */
export function checkPruneLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`prune limit is ${limit}; expected a positive integer`);
  }
}

/** What is wrong with a sample the store cannot take, or null when it can take it. */
export function sampleProblem(
  s: Sample,
): { readonly field: string; readonly value: string; readonly expected: string } | null {
  const bad = (field: string, value: unknown, expected: string) => ({
    field,
    value: describeValue(value),
    expected,
  });
  if (!METRIC_SET.has(s.metric)) return bad('metric', s.metric, `one of ${METRICS.join(', ')}`);
  if (!Number.isSafeInteger(s.ts)) return bad('ts', s.ts, 'an integer epoch-millisecond time');
  if (!Number.isFinite(s.value)) return bad('value', String(s.value), 'a finite number');
  // PostgreSQL text cannot hold NUL; SQLite could, but both stores take the same samples.
  if (s.instance === NO_INSTANCE || s.instance?.includes('\u0000')) {
    return bad('instance', s.instance, 'a non-empty string without NUL, or null');
  }
  if (typeof s.target !== 'string' || s.target === '' || s.target.includes('\u0000')) {
    return bad('target', s.target, 'a non-empty string without NUL');
  }
  return null;
}

export function checkSample(s: Sample, index: number): void {
  const problem = sampleProblem(s);
  if (problem === null) return;
  throw new StoreError(
    'STORE_ERR_SAMPLE_INVALID',
    `sample ${index} field "${problem.field}" is ${problem.value}; expected ${problem.expected}`,
    { field: `[${index}].${problem.field}` },
  );
}
