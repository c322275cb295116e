/**
 * Versioned schema migrations, one ordered list per dialect. A version is applied once and
 * recorded in `schema_migrations` (version, applied_at); never edit an applied migration, add the
 * next version. Both lists must have the same versions.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// STRICT tables reject a value of the wrong type instead of coercing it.
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'trend store',
    sql: `
      CREATE TABLE samples (
        target TEXT NOT NULL,
        metric TEXT NOT NULL,
        instance TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (target, metric, instance, ts)
      ) STRICT;
      CREATE INDEX samples_target_metric_ts ON samples (target, metric, ts);
      CREATE INDEX samples_target_ts ON samples (target, ts);
      CREATE INDEX samples_ts ON samples (ts);

      CREATE TABLE counter_state (
        target TEXT NOT NULL,
        instance TEXT NOT NULL,
        ts INTEGER NOT NULL,
        requests REAL NOT NULL,
        errors REAL NOT NULL,
        PRIMARY KEY (target, instance)
      ) STRICT;
      CREATE INDEX counter_state_ts ON counter_state (ts);

      CREATE TABLE sweeps (
        sweep_id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        summary TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sweeps_ts ON sweeps (ts);

      CREATE TABLE findings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sweep_id TEXT NOT NULL,
        alertname TEXT NOT NULL,
        target TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        ts INTEGER NOT NULL,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL
      ) STRICT;
      CREATE INDEX findings_target_ts ON findings (target, ts);
      CREATE INDEX findings_ts ON findings (ts);
    `,
  },
  {
    version: 2,
    name: 'latency buckets in the counter state',
    // JSON [[le, cumulative count], ...]: percentiles need the bucket deltas between sweeps.
    sql: `ALTER TABLE counter_state ADD COLUMN buckets TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'covering index for window queries',
    // A window query reads (instance, ts, value) of one target and metric in a time range, in
    // (ts, instance) order: this index answers it alone, in order, with no lookups into the table
    // (one per row before, the bulk of a 3-day window's cost) and no sort. It replaces
    // (target, metric, ts), its prefix.
    sql: `
      CREATE INDEX samples_window ON samples (target, metric, ts, instance, value);
      DROP INDEX samples_target_metric_ts;
    `,
  },
];

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'trend store',
    sql: `
      CREATE TABLE samples (
        target TEXT NOT NULL,
        metric TEXT NOT NULL,
        instance TEXT NOT NULL,
        ts BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (target, metric, instance, ts)
      );
      CREATE INDEX samples_target_metric_ts ON samples (target, metric, ts);
      CREATE INDEX samples_target_ts ON samples (target, ts);
      CREATE INDEX samples_ts ON samples (ts);

      CREATE TABLE counter_state (
        target TEXT NOT NULL,
        instance TEXT NOT NULL,
        ts BIGINT NOT NULL,
        requests DOUBLE PRECISION NOT NULL,
        errors DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (target, instance)
      );
      CREATE INDEX counter_state_ts ON counter_state (ts);

      CREATE TABLE sweeps (
        sweep_id TEXT PRIMARY KEY,
        ts BIGINT NOT NULL,
        summary JSONB NOT NULL
      );
      CREATE INDEX sweeps_ts ON sweeps (ts);

      CREATE TABLE findings (
        id BIGSERIAL PRIMARY KEY,
        sweep_id TEXT NOT NULL,
        alertname TEXT NOT NULL,
        target TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        ts BIGINT NOT NULL,
        labels JSONB NOT NULL,
        annotations JSONB NOT NULL
      );
      CREATE INDEX findings_target_ts ON findings (target, ts);
      CREATE INDEX findings_ts ON findings (ts);
    `,
  },
  {
    version: 2,
    name: 'latency buckets in the counter state',
    sql: `ALTER TABLE counter_state ADD COLUMN buckets JSONB NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'covering index for window queries',
    // As in SQLite: window queries become index-only scans in (ts, instance) order. Without it the
    // planner preferred samples_ts and filtered every other metric (and target) out of the range.
    sql: `
      CREATE INDEX samples_window ON samples (target, metric, ts, instance) INCLUDE (value);
      DROP INDEX samples_target_metric_ts;
    `,
  },
];

export const LATEST_VERSION = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));

/** The migrations not yet applied, in order; refuses a database newer than this build. */
export function pending(
  all: readonly Migration[],
  applied: readonly number[],
): { todo: Migration[]; newer: number | null } {
  const done = new Set(applied);
  const newest = applied.length === 0 ? 0 : Math.max(...applied);
  const latest = Math.max(0, ...all.map((m) => m.version));
  return {
    todo: all.filter((m) => !done.has(m.version)),
    newer: newest > latest ? newest : null,
  };
}
