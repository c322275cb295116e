/**
 * The embedded trend store: one SQLite file through better-sqlite3, in WAL mode so readers never
 * block the writer. Calls are synchronous underneath; the interface is async for PostgreSQL.
 */
import Database from 'better-sqlite3';
import {
  type Bucket,
  type Finding,
  type MetricName,
  ROLLUP_SPAN_MS,
  type Sample,
} from '../types.js';
import { INGEST_PRUNED } from './ingest-store.js';
import { LATEST_VERSION, pending, SQLITE_MIGRATIONS } from './migrations.js';
import {
  type CounterState,
  checkPruneLimit,
  checkSample,
  type LatestSweep,
  type MigrationResult,
  NO_INSTANCE,
  type RollupQuery,
  type StoredFinding,
  StoreError,
  type SweepRecord,
  type TrendStore,
  type WindowQuery,
} from './store.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  readonly path: string;
  /** How long a writer waits for another connection's lock before failing. */
  readonly busyTimeoutMs?: number;
}

interface FindingRow {
  sweep_id: string;
  alertname: string;
  target: string;
  severity: string;
  state: string;
  ts: number;
  labels: string;
  annotations: string;
}

/**
 * Pruned in this order, each by its time column and the key it deletes by (sample_rollups is
 * WITHOUT ROWID, the others have a rowid); the ingest tables share the database and retention.
 */
const PRUNED: readonly (readonly [table: string, time: string, key: string])[] = [
  ['samples', 'ts', 'rowid'],
  ['sample_rollups', 'ts', 'target, metric, ts'],
  ['findings', 'ts', 'rowid'],
  ['sweeps', 'ts', 'rowid'],
  ['counter_state', 'ts', 'rowid'],
  ...INGEST_PRUNED.map(([table, time]) => [table, time, 'rowid'] as const),
];

const WINDOW_SQL =
  'SELECT instance, ts, value FROM samples WHERE target = ? AND metric = ? AND ts >= ? AND ts < ?';
const WINDOW_SQL_BY_INSTANCE = {
  all: `${WINDOW_SQL} ORDER BY ts, instance`,
  one: `${WINDOW_SQL} AND instance = ? ORDER BY ts`,
} as const;

/** A window row: instance ('' for none), ts, value. */
type WindowRow = [string, number, number];
type WindowStatement = Database.Statement<unknown[], WindowRow>;

export class SqliteStore implements TrendStore {
  readonly #db: Database.Database;
  /**
   * Statements by SQL text, prepared on first use (after migrate) and kept: better-sqlite3
   * compiles on every `prepare`, and a sweep runs most of these once per target or instance.
   */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(options: SqliteStoreOptions) {
    this.#db = new Database(options.path);
    // busy_timeout first: switching to WAL takes a lock another starting instance may hold.
    this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
  }

  /**
   * The connection, for the ingest store that shares it (sqlite-ingest.ts; open.ts wires them).
   * This store owns it: `close` closes it.
   */
  get connection(): Database.Database {
    return this.#db;
  }

  async migrate(): Promise<MigrationResult> {
    // BEGIN IMMEDIATE takes the write lock before reading the applied versions, so two processes
    // starting at once serialise here and the second finds nothing left to do.
    const run = this.#db.transaction((): number[] => {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
      );
      const { todo, newer } = pending(SQLITE_MIGRATIONS, this.#versions());
      if (newer !== null) {
        throw new StoreError(
          'STORE_ERR_MIGRATION',
          `the database schema is at version ${newer}; expected at most ${LATEST_VERSION}, the newest this build knows (a newer runwatch migrated it)`,
        );
      }
      const record = this.#db.prepare(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
      );
      for (const m of todo) {
        this.#db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
      return todo.map((m) => m.version);
    });
    try {
      const applied = run.immediate();
      return { applied, version: Math.max(0, ...this.#versions()) };
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError('STORE_ERR_MIGRATION', `SQLite migration failed: ${String(e)}`, {
        cause: e,
      });
    }
  }

  #versions(): number[] {
    return this.#db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((r) => r.version);
  }

  async appliedMigrations(): Promise<number[]> {
    return this.#versions();
  }

  async appendSamples(samples: readonly Sample[]): Promise<void> {
    samples.forEach(checkSample);
    // The triggers of migration 4 add request and error deltas to the hourly rollups inside this
    // same transaction.
    const insert = this.#stmt(
      `INSERT INTO samples (target, metric, instance, ts, value) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (target, metric, instance, ts) DO UPDATE SET value = excluded.value`,
    );
    this.#db.transaction(() => {
      for (const s of samples)
        insert.run(s.target, s.metric, s.instance ?? NO_INSTANCE, s.ts, s.value);
    })();
  }

  async window(q: WindowQuery): Promise<Sample[]> {
    // Only the columns the query does not fix, as arrays: building row objects of five columns
    // was half the cost of a long window. Statements are prepared once per store.
    const rows =
      q.instance === undefined
        ? this.#windowStatement('all').all(q.target, q.metric, q.from, q.to)
        : this.#windowStatement('one').all(
            q.target,
            q.metric,
            q.from,
            q.to,
            q.instance ?? NO_INSTANCE,
          );
    const out: Sample[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [instance, ts, value] = rows[i] as WindowRow;
      out[i] = {
        target: q.target,
        metric: q.metric,
        instance: instance === NO_INSTANCE ? null : instance,
        ts,
        value,
      };
    }
    return out;
  }

  async rollups(q: RollupQuery): Promise<Bucket[]> {
    return this.#stmt<[number, number, number]>(
      'SELECT ts, value, n FROM sample_rollups WHERE target = ? AND metric = ? AND ts >= ? AND ts < ? ORDER BY ts',
    )
      .raw(true)
      .all(q.target, q.metric, q.from, q.to)
      .map(([ts, value, count]) => ({
        target: q.target,
        metric: q.metric,
        ts,
        spanMs: ROLLUP_SPAN_MS,
        value,
        count,
      }));
  }

  /** The window query over every instance or one, returning rows as arrays. */
  #windowStatement(instances: 'all' | 'one'): WindowStatement {
    return this.#stmt<WindowRow>(WINDOW_SQL_BY_INSTANCE[instances]).raw(true);
  }

  #stmt<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], R>;
  }

  async lastSeen(q: { target: string; metric?: MetricName }): Promise<number | null> {
    const row =
      q.metric === undefined
        ? this.#stmt<{ ts: number | null }>(
            'SELECT MAX(ts) AS ts FROM samples WHERE target = ?',
          ).get(q.target)
        : this.#stmt<{ ts: number | null }>(
            'SELECT MAX(ts) AS ts FROM samples WHERE target = ? AND metric = ?',
          ).get(q.target, q.metric);
    return row?.ts ?? null;
  }

  async getCounterState(target: string, instance: string): Promise<CounterState | null> {
    const row = this.#stmt<Omit<CounterState, 'buckets'> & { buckets: string }>(
      'SELECT target, instance, ts, requests, errors, buckets FROM counter_state WHERE target = ? AND instance = ?',
    ).get(target, instance);
    return row === undefined
      ? null
      : { ...row, buckets: JSON.parse(row.buckets) as CounterState['buckets'] };
  }

  async setCounterState(s: CounterState): Promise<void> {
    this.#stmt(
      `INSERT INTO counter_state (target, instance, ts, requests, errors, buckets) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (target, instance) DO UPDATE SET ts = excluded.ts, requests = excluded.requests, errors = excluded.errors, buckets = excluded.buckets`,
    ).run(s.target, s.instance, s.ts, s.requests, s.errors, JSON.stringify(s.buckets));
  }

  async recordSweep(record: SweepRecord): Promise<{ inserted: boolean; record: SweepRecord }> {
    const info = this.#stmt(
      'INSERT INTO sweeps (sweep_id, ts, recorded_at, summary) VALUES (?, ?, ?, ?) ON CONFLICT (sweep_id) DO NOTHING',
    ).run(record.sweepId, record.ts, record.recordedAt, JSON.stringify(record.summary));
    if (info.changes === 1) return { inserted: true, record };
    const existing = await this.getSweep(record.sweepId);
    if (existing === null) throw new Error(`sweep ${record.sweepId} vanished after a conflict`);
    return { inserted: false, record: existing };
  }

  async getSweep(sweepId: string): Promise<SweepRecord | null> {
    const row = this.#stmt<{ sweep_id: string; ts: number; recorded_at: number; summary: string }>(
      'SELECT sweep_id, ts, recorded_at, summary FROM sweeps WHERE sweep_id = ?',
    ).get(sweepId);
    return row === undefined
      ? null
      : {
          sweepId: row.sweep_id,
          ts: row.ts,
          recordedAt: row.recorded_at,
          summary: JSON.parse(row.summary),
        };
  }

  async latestSweep(q: { readonly notAfter?: number } = {}): Promise<LatestSweep | null> {
    const row = this.#stmt<{ sweep_id: string; ts: number; recorded_at: number }>(
      'SELECT sweep_id, ts, recorded_at FROM sweeps WHERE recorded_at <= ? ORDER BY recorded_at DESC, sweep_id DESC LIMIT 1',
    ).get(q.notAfter ?? Number.MAX_SAFE_INTEGER);
    return row === undefined
      ? null
      : { sweepId: row.sweep_id, ts: row.ts, recordedAt: row.recorded_at };
  }

  async recordFindings(findings: readonly Finding[], sweepId: string): Promise<void> {
    const insert = this.#stmt(
      `INSERT INTO findings (sweep_id, alertname, target, severity, state, ts, labels, annotations)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const f of findings)
        insert.run(
          sweepId,
          f.alertname,
          f.target,
          f.severity,
          f.state,
          f.ts,
          JSON.stringify(f.labels),
          JSON.stringify(f.annotations),
        );
    })();
  }

  async findings(q: { target?: string; from?: number } = {}): Promise<StoredFinding[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.target !== undefined) {
      where.push('target = ?');
      params.push(q.target);
    }
    if (q.from !== undefined) {
      where.push('ts >= ?');
      params.push(q.from);
    }
    const sql = `SELECT sweep_id, alertname, target, severity, state, ts, labels, annotations FROM findings
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, id`;
    return this.#stmt<FindingRow>(sql)
      .all(...params)
      .map((r) => ({
        sweepId: r.sweep_id,
        alertname: r.alertname,
        target: r.target,
        severity: r.severity as StoredFinding['severity'],
        state: r.state as StoredFinding['state'],
        ts: r.ts,
        labels: JSON.parse(r.labels),
        annotations: JSON.parse(r.annotations),
      }));
  }

  async prune(q: { before: number; limit: number }): Promise<number> {
    checkPruneLimit(q.limit);
    let left = q.limit;
    for (const [table, time, key] of PRUNED) {
      if (left <= 0) break;
      left -= this.#stmt(
        `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE ${time} < ? LIMIT ?)`,
      ).run(q.before, left).changes;
    }
    return q.limit - left;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
