/**
 * Migrations 8 and 9, the alert engine's tables (alerts/store/engine-store.ts), one per dialect; listed
 * in migrations.ts with the others.
 *
 * - `engine_alerts`: one row per fingerprint; `version` rises on every write, so a flush writes
 *   an evaluated state only over the row it read.
 * - `engine_groups`: one row per group key, with its timer (`next_flush_at`) and its
 *   notification log (the fingerprints of the last notification and when); `engine_members`
 *   says which alerts are in which group.
 * - `engine_outbox`: one row per notification and integration; `seq` orders a group's
 *   deliveries; a delivery is leased (`lease_until`) while it is being sent.
 * - `engine_silences`: silences from the definitions file and the admin API.
 */
export const SQLITE_ENGINE_MIGRATION = {
  version: 8,
  name: 'alert engine: alerts, groups, outbox, silences',
  sql: `
    CREATE TABLE engine_alerts (
      fingerprint TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      labels TEXT NOT NULL,
      annotations TEXT NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER,
      lifecycle INTEGER NOT NULL CHECK (lifecycle IN (0, 1)),
      last_event_at INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
      state_since INTEGER NOT NULL,
      fired_at INTEGER,
      version INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX engine_alerts_state ON engine_alerts (state, state_since);

    CREATE TABLE engine_groups (
      group_key TEXT PRIMARY KEY,
      route_id TEXT NOT NULL,
      receiver TEXT NOT NULL,
      group_labels TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      next_flush_at INTEGER NOT NULL,
      log_firing TEXT,
      log_resolved TEXT,
      log_at INTEGER
    ) STRICT;
    CREATE INDEX engine_groups_due ON engine_groups (next_flush_at);

    CREATE TABLE engine_members (
      group_key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      PRIMARY KEY (group_key, fingerprint)
    ) STRICT;
    CREATE INDEX engine_members_fingerprint ON engine_members (fingerprint);

    CREATE TABLE engine_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      notification_id TEXT NOT NULL,
      group_key TEXT NOT NULL,
      receiver TEXT NOT NULL,
      integration_index INTEGER NOT NULL,
      integration TEXT NOT NULL,
      payload TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      lease_until INTEGER,
      last_error_code TEXT,
      last_error TEXT,
      delivered_at INTEGER
    ) STRICT;
    CREATE INDEX engine_outbox_pending ON engine_outbox (status, next_attempt_at);
    CREATE INDEX engine_outbox_line ON engine_outbox (group_key, integration_index, status, seq);
    CREATE INDEX engine_outbox_created ON engine_outbox (created_at);

    CREATE TABLE engine_silences (
      id TEXT PRIMARY KEY,
      matchers TEXT NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      created_by TEXT NOT NULL,
      comment TEXT NOT NULL,
      origin TEXT NOT NULL CHECK (origin IN ('definitions', 'api')),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX engine_silences_ends ON engine_silences (ends_at);
  `,
} as const;

export const POSTGRES_ENGINE_MIGRATION = {
  version: 8,
  name: 'alert engine: alerts, groups, outbox, silences',
  // As in SQLite; labels, annotations and payloads are jsonb.
  sql: `
    CREATE TABLE engine_alerts (
      fingerprint TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      labels JSONB NOT NULL,
      annotations JSONB NOT NULL,
      starts_at BIGINT NOT NULL,
      ends_at BIGINT,
      lifecycle BOOLEAN NOT NULL,
      last_event_at BIGINT NOT NULL,
      received_at BIGINT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
      state_since BIGINT NOT NULL,
      fired_at BIGINT,
      version BIGINT NOT NULL
    );
    CREATE INDEX engine_alerts_state ON engine_alerts (state, state_since);

    CREATE TABLE engine_groups (
      group_key TEXT PRIMARY KEY,
      route_id TEXT NOT NULL,
      receiver TEXT NOT NULL,
      group_labels JSONB NOT NULL,
      created_at BIGINT NOT NULL,
      next_flush_at BIGINT NOT NULL,
      log_firing JSONB,
      log_resolved JSONB,
      log_at BIGINT
    );
    CREATE INDEX engine_groups_due ON engine_groups (next_flush_at);

    CREATE TABLE engine_members (
      group_key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      PRIMARY KEY (group_key, fingerprint)
    );
    CREATE INDEX engine_members_fingerprint ON engine_members (fingerprint);

    CREATE TABLE engine_outbox (
      seq BIGSERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      notification_id TEXT NOT NULL,
      group_key TEXT NOT NULL,
      receiver TEXT NOT NULL,
      integration_index INTEGER NOT NULL,
      integration JSONB NOT NULL,
      payload JSONB NOT NULL,
      created_at BIGINT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL,
      next_attempt_at BIGINT NOT NULL,
      lease_until BIGINT,
      last_error_code TEXT,
      last_error TEXT,
      delivered_at BIGINT
    );
    CREATE INDEX engine_outbox_pending ON engine_outbox (status, next_attempt_at);
    CREATE INDEX engine_outbox_line ON engine_outbox (group_key, integration_index, status, seq);
    CREATE INDEX engine_outbox_created ON engine_outbox (created_at);

    CREATE TABLE engine_silences (
      id TEXT PRIMARY KEY,
      matchers JSONB NOT NULL,
      starts_at BIGINT NOT NULL,
      ends_at BIGINT NOT NULL,
      created_by TEXT NOT NULL,
      comment TEXT NOT NULL,
      origin TEXT NOT NULL CHECK (origin IN ('definitions', 'api')),
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    );
    CREATE INDEX engine_silences_ends ON engine_silences (ends_at);
  `,
} as const;

/**
 * Migration 9: `engine_groups.refused`, the new alerts a full group refused since its last
 * notification (engine-store.ts `receive`'s member cap), reported by that notification.
 */
export const SQLITE_ENGINE_REFUSED_MIGRATION = {
  version: 9,
  name: 'alert engine: count the alerts a full group refused',
  sql: 'ALTER TABLE engine_groups ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;',
} as const;

export const POSTGRES_ENGINE_REFUSED_MIGRATION = {
  version: 9,
  name: 'alert engine: count the alerts a full group refused',
  sql: 'ALTER TABLE engine_groups ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;',
} as const;
