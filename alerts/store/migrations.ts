/**
 * Versioned schema migrations, one ordered list per dialect. A version is applied once and
 * recorded in `schema_migrations` (version, applied_at); never edit an applied migration, add the
 * next version. Both lists must have the same versions.
 */
import {
  POSTGRES_ENGINE_MIGRATION,
  POSTGRES_ENGINE_REFUSED_MIGRATION,
  SQLITE_ENGINE_MIGRATION,
  SQLITE_ENGINE_REFUSED_MIGRATION,
} from './engine-migrations.js';

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
  {
    version: 4,
    name: 'hourly rollups of the request and error deltas',
    // Sums and counts per (target, metric, hour) of the additive metrics, all instances together,
    // so a burn-rate rule reads 72 rows per metric for a 3-day window instead of ~4,300 samples
    // (a Prometheus recording rule, kept by the database itself). A row's `ts` is the END of its
    // hour, inclusive: it holds the samples with ts in (ts − 1 h, ts], the rules' own left-open
    // window convention, so a window whose edges fall on the hour is a whole number of rows.
    // `ts + (H − ts % H) % H` rounds up to the hour for negative times too (% truncates).
    //
    // Triggers keep it in the same transaction as every write to samples (an insert adds, a
    // replacement adds the difference), so it can never be out of step with the samples, whoever
    // writes them. Deleting samples (pruning) does not subtract: rollup rows expire on their own
    // time, and an hour straddling the retention edge keeps its full sum. WITHOUT ROWID: the
    // primary key is the table, so a range read touches the key's b-tree only.
    // The migration runs under BEGIN IMMEDIATE (see migrate), so no sample can be written between
    // the backfill and the triggers.
    sql: `
      CREATE TABLE sample_rollups (
        target TEXT NOT NULL,
        metric TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (target, metric, ts)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX sample_rollups_ts ON sample_rollups (ts);

      INSERT INTO sample_rollups (target, metric, ts, value, n)
        SELECT target, metric, hour_end, SUM(value), COUNT(*) FROM (
          SELECT target, metric, ts + (3600000 - ts % 3600000) % 3600000 AS hour_end, value
          FROM samples WHERE metric IN ('requests_delta', 'errors_delta')
        ) GROUP BY target, metric, hour_end;

      CREATE TRIGGER samples_rollup_insert AFTER INSERT ON samples
      WHEN NEW.metric IN ('requests_delta', 'errors_delta')
      BEGIN
        INSERT INTO sample_rollups (target, metric, ts, value, n)
        VALUES (NEW.target, NEW.metric, NEW.ts + (3600000 - NEW.ts % 3600000) % 3600000, NEW.value, 1)
        ON CONFLICT (target, metric, ts) DO UPDATE SET value = value + excluded.value, n = n + 1;
      END;

      CREATE TRIGGER samples_rollup_update AFTER UPDATE OF value ON samples
      WHEN NEW.metric IN ('requests_delta', 'errors_delta')
      BEGIN
        UPDATE sample_rollups SET value = value + (NEW.value - OLD.value)
        WHERE target = NEW.target AND metric = NEW.metric
          AND ts = NEW.ts + (3600000 - NEW.ts % 3600000) % 3600000;
      END;
    `,
  },
  {
    version: 5,
    name: 'the time each sweep was recorded',
    // The heartbeat judges the sweeper's absence by when a sweep was recorded (the sweep's own
    // clock), never by its caller-given schedule time, which a forged request could set far
    // ahead. Existing rows take their schedule time. SQLite cannot add a NOT NULL column without
    // a constant default; every insert gives the value, and a missing one (0) would read as an
    // ancient sweep, which fires the heartbeat rather than hiding an absence.
    sql: `
      ALTER TABLE sweeps ADD COLUMN recorded_at INTEGER NOT NULL DEFAULT 0;
      -- A schedule time in the future (a forged one) is not a recording time: at most now.
      UPDATE sweeps SET recorded_at = MIN(ts, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
      CREATE INDEX sweeps_recorded_at ON sweeps (recorded_at, sweep_id);
    `,
  },
  {
    version: 6,
    name: 'alert ingest: messages, alerts by content, poison',
    // Exactly-once intake rests on the primary keys: a delivery records its messageId and its
    // alert's dedupe key with INSERT … ON CONFLICT DO NOTHING, so of two concurrent deliveries
    // one inserts and the other sees the conflict; never a read before the write. An alert's
    // hand-off is leased (lease_until) and then marked (handed_off_at), so a redelivery after a
    // crash finds it pending and hands it off, once. A stale alert (firing after its lifecycle's
    // resolution was stored) is kept and never handed off. Poison keeps the message's bytes as
    // a BLOB and its attributes as JSON text. Every table is pruned by received_at.
    sql: `
      CREATE TABLE ingest_messages (
        message_id TEXT PRIMARY KEY,
        dedupe_key TEXT NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX ingest_messages_received_at ON ingest_messages (received_at);

      CREATE TABLE ingest_alerts (
        dedupe_key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        lifecycle_id TEXT,
        alert TEXT NOT NULL,
        message_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        stale INTEGER NOT NULL CHECK (stale IN (0, 1)),
        lease_until INTEGER,
        handed_off_at INTEGER
      ) STRICT;
      CREATE INDEX ingest_alerts_received_at ON ingest_alerts (received_at);
      CREATE INDEX ingest_alerts_lifecycle ON ingest_alerts (lifecycle_id, status)
        WHERE lifecycle_id IS NOT NULL;

      CREATE TABLE ingest_poison (
        message_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        data BLOB NOT NULL,
        attributes TEXT NOT NULL,
        publish_time INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        dead_letter_lease_until INTEGER,
        dead_lettered_at INTEGER
      ) STRICT;
      CREATE INDEX ingest_poison_received_at ON ingest_poison (received_at, message_id);
    `,
  },
  {
    version: 7,
    name: 'alert ingest: admit in one round trip',
    // PostgreSQL only (its admit becomes one function call); SQLite admits in process, so its
    // version 7 changes nothing and is recorded to keep both lists at the same versions.
    sql: '-- nothing to change in SQLite',
  },
  SQLITE_ENGINE_MIGRATION,
  SQLITE_ENGINE_REFUSED_MIGRATION,
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
  {
    version: 4,
    name: 'hourly rollups of the request and error deltas',
    // As in SQLite (see there for the hour convention). Statement-level triggers over the
    // transition tables: one grouped upsert per appendSamples statement instead of one per row
    // (a sweep's 400 samples touch 2 rows per target). INSERT … ON CONFLICT DO UPDATE fires the
    // INSERT trigger for the rows it inserted and the UPDATE trigger for those it replaced.
    // Upserts run in key order, so concurrent appends lock rollup rows in one order.
    // `SET search_path FROM CURRENT` binds the functions to the schema they were created in.
    // The explicit lock keeps writers out from the backfill until the triggers are committed
    // (the migration's advisory lock only serialises migrations), so no sample is missed.
    sql: `
      LOCK TABLE samples IN SHARE ROW EXCLUSIVE MODE;
      CREATE TABLE sample_rollups (
        target TEXT NOT NULL,
        metric TEXT NOT NULL,
        ts BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (target, metric, ts)
      );
      CREATE INDEX sample_rollups_ts ON sample_rollups (ts);

      INSERT INTO sample_rollups (target, metric, ts, value, n)
        SELECT target, metric, ts + (3600000 - ts % 3600000) % 3600000, sum(value), count(*)
        FROM samples WHERE metric IN ('requests_delta', 'errors_delta')
        GROUP BY 1, 2, 3;

      CREATE FUNCTION samples_rollup_insert() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $fn$
      BEGIN
        INSERT INTO sample_rollups AS r (target, metric, ts, value, n)
          SELECT target, metric, ts + (3600000 - ts % 3600000) % 3600000, sum(value), count(*)
          FROM inserted WHERE metric IN ('requests_delta', 'errors_delta')
          GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (target, metric, ts)
          DO UPDATE SET value = r.value + excluded.value, n = r.n + excluded.n;
        RETURN NULL;
      END $fn$;
      CREATE TRIGGER samples_rollup_insert AFTER INSERT ON samples
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION samples_rollup_insert();

      CREATE FUNCTION samples_rollup_update() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $fn$
      BEGIN
        UPDATE sample_rollups AS r SET value = r.value + d.delta
        FROM (
          SELECT n.target, n.metric, n.ts + (3600000 - n.ts % 3600000) % 3600000 AS hour_end,
                 sum(n.value - o.value) AS delta
          FROM new_rows n
          JOIN old_rows o ON o.target = n.target AND o.metric = n.metric
                         AND o.instance = n.instance AND o.ts = n.ts
          WHERE n.metric IN ('requests_delta', 'errors_delta')
          GROUP BY 1, 2, 3
        ) AS d
        WHERE r.target = d.target AND r.metric = d.metric AND r.ts = d.hour_end;
        RETURN NULL;
      END $fn$;
      CREATE TRIGGER samples_rollup_update AFTER UPDATE ON samples
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION samples_rollup_update();
    `,
  },
  {
    version: 5,
    name: 'the time each sweep was recorded',
    // As in SQLite. The default, the database's clock, serves only a writer of an older build
    // during a rolling deploy; this build always gives the sweep's own clock. ALTER TABLE holds
    // its exclusive lock to the commit, so no row escapes the backfill.
    sql: `
      ALTER TABLE sweeps ADD COLUMN recorded_at BIGINT;
      -- A schedule time in the future (a forged one) is not a recording time: at most now.
      UPDATE sweeps SET recorded_at = LEAST(ts, (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint);
      ALTER TABLE sweeps
        ALTER COLUMN recorded_at SET DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint,
        ALTER COLUMN recorded_at SET NOT NULL;
      CREATE INDEX sweeps_recorded_at ON sweeps (recorded_at, sweep_id);
    `,
  },
  {
    version: 6,
    name: 'alert ingest: messages, alerts by content, poison',
    // As in SQLite (see there). The alert is jsonb; poison attributes are JSON text, since jsonb
    // cannot hold the escaped NUL a hostile attribute may carry, and its data bytea.
    sql: `
      CREATE TABLE ingest_messages (
        message_id TEXT PRIMARY KEY,
        dedupe_key TEXT NOT NULL,
        received_at BIGINT NOT NULL
      );
      CREATE INDEX ingest_messages_received_at ON ingest_messages (received_at);

      CREATE TABLE ingest_alerts (
        dedupe_key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        lifecycle_id TEXT,
        alert JSONB NOT NULL,
        message_id TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        stale BOOLEAN NOT NULL,
        lease_until BIGINT,
        handed_off_at BIGINT
      );
      CREATE INDEX ingest_alerts_received_at ON ingest_alerts (received_at);
      CREATE INDEX ingest_alerts_lifecycle ON ingest_alerts (lifecycle_id, status)
        WHERE lifecycle_id IS NOT NULL;

      CREATE TABLE ingest_poison (
        message_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        data BYTEA NOT NULL,
        attributes TEXT NOT NULL,
        publish_time BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        dead_letter_lease_until BIGINT,
        dead_lettered_at BIGINT
      );
      CREATE INDEX ingest_poison_received_at ON ingest_poison (received_at, message_id);
    `,
  },
  {
    version: 7,
    name: 'alert ingest: admit in one round trip',
    // The admit of postgres-ingest.ts (and the optional hand-off claim) as one function call, so
    // a delivery's admit is one round trip instead of one per statement. The same statements in
    // the same order, each with its own snapshot (a VOLATILE function under READ COMMITTED), so
    // the module comment there still holds: an insert that meets a concurrent uncommitted row
    // waits and does nothing, and the next statement sees that row; the advisory lock on the
    // lifecycle is the same key. Tables resolve through the caller's search_path, like the
    // statements did. p_lease_until null: no claim.
    sql: `
      CREATE FUNCTION ingest_admit(
        p_message_id TEXT, p_dedupe_key TEXT, p_source TEXT, p_status TEXT, p_lifecycle_id TEXT,
        p_alert JSONB, p_received_at BIGINT, p_claim_now BIGINT, p_lease_until BIGINT,
        OUT outcome TEXT, OUT handed_off BOOLEAN, OUT claimed BOOLEAN
      ) LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_stale BOOLEAN;
      BEGIN
        IF p_lifecycle_id IS NOT NULL THEN
          PERFORM pg_advisory_xact_lock(
            hashtext('runwatch.ingest.' || current_schema() || '.' || p_lifecycle_id));
        END IF;
        INSERT INTO ingest_messages (message_id, dedupe_key, received_at)
          VALUES (p_message_id, p_dedupe_key, p_received_at)
          ON CONFLICT (message_id) DO NOTHING;
        IF NOT FOUND THEN
          outcome := 'duplicate_message';
        ELSE
          -- The stale check is the insert's own, as before.
          INSERT INTO ingest_alerts AS a (dedupe_key, source, status, lifecycle_id, alert,
              message_id, received_at, stale, lease_until)
            SELECT p_dedupe_key, p_source, p_status, p_lifecycle_id, p_alert, p_message_id,
              p_received_at, s.stale, CASE WHEN s.stale THEN NULL ELSE p_lease_until END
            FROM (SELECT p_status = 'firing' AND p_lifecycle_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM ingest_alerts r
                WHERE r.lifecycle_id = p_lifecycle_id AND r.status = 'resolved')) AS s (stale)
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING a.stale INTO v_stale;
          IF NOT FOUND THEN
            outcome := 'duplicate_content';
          ELSE
            IF p_status = 'resolved' AND p_lifecycle_id IS NOT NULL THEN
              UPDATE ingest_alerts SET stale = true
                WHERE lifecycle_id = p_lifecycle_id AND status = 'firing'
                  AND handed_off_at IS NULL AND NOT stale;
            END IF;
            outcome := CASE WHEN v_stale THEN 'stale' ELSE 'new' END;
            handed_off := v_stale;
            claimed := NOT v_stale AND p_lease_until IS NOT NULL;
            RETURN;
          END IF;
        END IF;
        -- A duplicate: claim its lease when free (claimHandOff's condition), else say whether
        -- anything is left to hand off (a row gone, pruned, is settled).
        IF p_lease_until IS NOT NULL THEN
          UPDATE ingest_alerts SET lease_until = p_lease_until
            WHERE dedupe_key = p_dedupe_key AND handed_off_at IS NULL AND NOT stale
              AND (lease_until IS NULL OR lease_until <= p_claim_now);
          IF FOUND THEN
            handed_off := false;
            claimed := true;
            RETURN;
          END IF;
        END IF;
        claimed := false;
        SELECT a.stale OR a.handed_off_at IS NOT NULL INTO handed_off
          FROM ingest_alerts a WHERE a.dedupe_key = p_dedupe_key;
        handed_off := coalesce(handed_off, true);
      END
      $fn$;
    `,
  },
  POSTGRES_ENGINE_MIGRATION,
  POSTGRES_ENGINE_REFUSED_MIGRATION,
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
