/**
 * The shared trend store on PostgreSQL (Cloud SQL in production) through a pg Pool. pg returns
 * BIGINT as a string, so times are converted with Number (epoch ms stay below 2^53).
 */
import pg from 'pg';
import {
  type Bucket,
  type Finding,
  type MetricName,
  ROLLUP_SPAN_MS,
  type Sample,
} from '../types.js';
import { INGEST_PRUNED } from './ingest-store.js';
import { LATEST_VERSION, POSTGRES_MIGRATIONS, pending } from './migrations.js';
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

export interface PostgresStoreOptions {
  /** A `postgres://` URL, including the Cloud SQL socket form `postgres://u:p@/db?host=/cloudsql/P:R:I`. */
  readonly connectionString: string;
  /** The schema to use (created by `migrate` if absent); default: the server's search_path. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** How long an idle connection is kept open; default pg's (10 s). */
  readonly idleTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Pruned in this order, each by its time column; the ingest tables share the retention. */
const PRUNED: readonly (readonly [table: string, time: string])[] = [
  ['samples', 'ts'],
  ['sample_rollups', 'ts'],
  ['findings', 'ts'],
  ['sweeps', 'ts'],
  ['counter_state', 'ts'],
  ...INGEST_PRUNED,
];

interface FindingRow {
  sweep_id: string;
  alertname: string;
  target: string;
  severity: StoredFinding['severity'];
  state: StoredFinding['state'];
  ts: string;
  labels: Record<string, string>;
  annotations: Finding['annotations'];
}

export class PostgresStore implements TrendStore {
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;

  constructor(options: PostgresStoreOptions) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new StoreError(
        'STORE_ERR_URL_INVALID',
        `schema ${JSON.stringify(options.schema)}: expected a lower-case SQL identifier (letters, digits, _)`,
        { field: 'schema' },
      );
    }
    this.#schema = options.schema;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 4,
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMillis: options.idleTimeoutMs }),
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.#pool.on('error', () => {});
  }

  /**
   * The pool, for the ingest store that shares it (postgres-ingest.ts; open.ts wires them). This
   * store owns it: `close` ends it.
   */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async migrate(): Promise<MigrationResult> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // A transaction-scoped advisory lock serialises instances starting at once; it is released
      // by COMMIT or ROLLBACK, so a crashed migration never leaves it held.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `runwatch.migrate.${this.#schema ?? ''}`,
      ]);
      if (this.#schema !== undefined)
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { todo, newer } = pending(POSTGRES_MIGRATIONS, await versions(client));
      if (newer !== null) {
        throw new StoreError(
          'STORE_ERR_MIGRATION',
          `the database schema is at version ${newer}; expected at most ${LATEST_VERSION}, the newest this build knows (a newer runwatch migrated it)`,
        );
      }
      for (const m of todo) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
      }
      await client.query('COMMIT');
      const after = await versions(client);
      return { applied: todo.map((m) => m.version), version: Math.max(0, ...after) };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      if (e instanceof StoreError) throw e;
      throw new StoreError('STORE_ERR_MIGRATION', `PostgreSQL migration failed: ${String(e)}`, {
        cause: e,
      });
    } finally {
      client.release();
    }
  }

  async appliedMigrations(): Promise<number[]> {
    return versions(this.#pool);
  }

  async appendSamples(samples: readonly Sample[]): Promise<void> {
    samples.forEach(checkSample);
    if (samples.length === 0) return;
    // One statement over arrays: atomic, and one round trip however many samples. Its triggers
    // add the request and error deltas to the hourly rollups in the same transaction (migration
    // 4). Key order, so that concurrent appends lock rows in one order.
    await this.#pool.query(
      `INSERT INTO samples (target, metric, instance, ts, value)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::float8[])
         AS u(target, metric, instance, ts, value)
       ORDER BY target, metric, instance, ts
       ON CONFLICT (target, metric, instance, ts) DO UPDATE SET value = excluded.value`,
      [
        samples.map((s) => s.target),
        samples.map((s) => s.metric),
        samples.map((s) => s.instance ?? NO_INSTANCE),
        samples.map((s) => String(s.ts)),
        samples.map((s) => s.value),
      ],
    );
  }

  async window(q: WindowQuery): Promise<Sample[]> {
    // Only the columns the query does not fix; the samples_window index covers them.
    const base =
      'SELECT instance, ts, value FROM samples WHERE target = $1 AND metric = $2 AND ts >= $3 AND ts < $4';
    const { rows } =
      q.instance === undefined
        ? await this.#pool.query(`${base} ORDER BY ts, instance`, [
            q.target,
            q.metric,
            q.from,
            q.to,
          ])
        : await this.#pool.query(`${base} AND instance = $5 ORDER BY ts`, [
            q.target,
            q.metric,
            q.from,
            q.to,
            q.instance ?? NO_INSTANCE,
          ]);
    return rows.map((r: { instance: string; ts: string; value: number }) => ({
      target: q.target,
      metric: q.metric,
      instance: r.instance === NO_INSTANCE ? null : r.instance,
      ts: Number(r.ts),
      value: r.value,
    }));
  }

  async rollups(q: RollupQuery): Promise<Bucket[]> {
    const { rows } = await this.#pool.query(
      'SELECT ts, value, n FROM sample_rollups WHERE target = $1 AND metric = $2 AND ts >= $3 AND ts < $4 ORDER BY ts',
      [q.target, q.metric, q.from, q.to],
    );
    return rows.map((r: { ts: string; value: number; n: string }) => ({
      target: q.target,
      metric: q.metric,
      ts: Number(r.ts),
      spanMs: ROLLUP_SPAN_MS,
      value: r.value,
      count: Number(r.n),
    }));
  }

  async lastSeen(q: { target: string; metric?: MetricName }): Promise<number | null> {
    const { rows } =
      q.metric === undefined
        ? await this.#pool.query('SELECT MAX(ts) AS ts FROM samples WHERE target = $1', [q.target])
        : await this.#pool.query(
            'SELECT MAX(ts) AS ts FROM samples WHERE target = $1 AND metric = $2',
            [q.target, q.metric],
          );
    const ts = (rows[0] as { ts: string | null } | undefined)?.ts ?? null;
    return ts === null ? null : Number(ts);
  }

  async getCounterState(target: string, instance: string): Promise<CounterState | null> {
    const { rows } = await this.#pool.query(
      'SELECT target, instance, ts, requests, errors, buckets FROM counter_state WHERE target = $1 AND instance = $2',
      [target, instance],
    );
    const r = rows[0] as (Omit<CounterState, 'ts'> & { ts: string }) | undefined;
    return r === undefined ? null : { ...r, ts: Number(r.ts) };
  }

  async setCounterState(s: CounterState): Promise<void> {
    await this.#pool.query(
      `INSERT INTO counter_state (target, instance, ts, requests, errors, buckets) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (target, instance) DO UPDATE SET ts = excluded.ts, requests = excluded.requests, errors = excluded.errors, buckets = excluded.buckets`,
      [s.target, s.instance, s.ts, s.requests, s.errors, JSON.stringify(s.buckets)],
    );
  }

  async recordSweep(record: SweepRecord): Promise<{ inserted: boolean; record: SweepRecord }> {
    const { rowCount } = await this.#pool.query(
      'INSERT INTO sweeps (sweep_id, ts, recorded_at, summary) VALUES ($1, $2, $3, $4) ON CONFLICT (sweep_id) DO NOTHING',
      [record.sweepId, record.ts, record.recordedAt, JSON.stringify(record.summary)],
    );
    if (rowCount === 1) return { inserted: true, record };
    const existing = await this.getSweep(record.sweepId);
    if (existing === null) throw new Error(`sweep ${record.sweepId} vanished after a conflict`);
    return { inserted: false, record: existing };
  }

  async getSweep(sweepId: string): Promise<SweepRecord | null> {
    const { rows } = await this.#pool.query(
      'SELECT sweep_id, ts, recorded_at, summary FROM sweeps WHERE sweep_id = $1',
      [sweepId],
    );
    const r = rows[0] as
      | { sweep_id: string; ts: string; recorded_at: string; summary: SweepRecord['summary'] }
      | undefined;
    return r === undefined
      ? null
      : {
          sweepId: r.sweep_id,
          ts: Number(r.ts),
          recordedAt: Number(r.recorded_at),
          summary: r.summary,
        };
  }

  async latestSweep(q: { readonly notAfter?: number } = {}): Promise<LatestSweep | null> {
    const { rows } = await this.#pool.query(
      'SELECT sweep_id, ts, recorded_at FROM sweeps WHERE recorded_at <= $1 ORDER BY recorded_at DESC, sweep_id DESC LIMIT 1',
      [q.notAfter ?? Number.MAX_SAFE_INTEGER],
    );
    const r = rows[0] as { sweep_id: string; ts: string; recorded_at: string } | undefined;
    return r === undefined
      ? null
      : { sweepId: r.sweep_id, ts: Number(r.ts), recordedAt: Number(r.recorded_at) };
  }

  async recordFindings(findings: readonly Finding[], sweepId: string): Promise<void> {
    if (findings.length === 0) return;
    await this.#pool.query(
      `INSERT INTO findings (sweep_id, alertname, target, severity, state, ts, labels, annotations)
       SELECT $1, alertname, target, severity, state, ts, labels, annotations
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::jsonb[], $8::jsonb[])
         WITH ORDINALITY AS f(alertname, target, severity, state, ts, labels, annotations, n)
       ORDER BY n`,
      [
        sweepId,
        findings.map((f) => f.alertname),
        findings.map((f) => f.target),
        findings.map((f) => f.severity),
        findings.map((f) => f.state),
        findings.map((f) => String(f.ts)),
        findings.map((f) => JSON.stringify(f.labels)),
        findings.map((f) => JSON.stringify(f.annotations)),
      ],
    );
  }

  async findings(q: { target?: string; from?: number } = {}): Promise<StoredFinding[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.target !== undefined) {
      params.push(q.target);
      where.push(`target = $${params.length}`);
    }
    if (q.from !== undefined) {
      params.push(q.from);
      where.push(`ts >= $${params.length}`);
    }
    const { rows } = await this.#pool.query(
      `SELECT sweep_id, alertname, target, severity, state, ts, labels, annotations FROM findings
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts, id`,
      params,
    );
    return (rows as FindingRow[]).map((r) => ({
      sweepId: r.sweep_id,
      alertname: r.alertname,
      target: r.target,
      severity: r.severity,
      state: r.state,
      ts: Number(r.ts),
      labels: r.labels,
      annotations: r.annotations,
    }));
  }

  async prune(q: { before: number; limit: number }): Promise<number> {
    checkPruneLimit(q.limit);
    let left = q.limit;
    for (const [table, time] of PRUNED) {
      if (left <= 0) break;
      const { rowCount } = await this.#pool.query(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${time} < $1 LIMIT $2)`,
        [q.before, left],
      );
      left -= rowCount ?? 0;
    }
    return q.limit - left;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

async function versions(db: pg.Pool | pg.PoolClient): Promise<number[]> {
  const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((r: { version: number }) => r.version);
}
