/**
 * The ingest store on SQLite, on the trend store's connection (SqliteStore.connection). Each
 * admit, with its claim, is one BEGIN IMMEDIATE transaction: it holds the write lock from its
 * first read, so the stale check, the inserts and the claim see one state even with other
 * processes on the file.
 */
import type Database from 'better-sqlite3';
import type { IncomingAlert } from '../types.js';
import {
  type AdmitInput,
  type AdmitResult,
  checkAdmit,
  checkInteger,
  checkPoison,
  type IngestStore,
  type PoisonInput,
  type PoisonRecord,
  type StoredAlert,
} from './ingest-store.js';

interface AlertRow {
  alert: string;
  message_id: string;
  received_at: number;
  stale: number;
  lease_until: number | null;
  handed_off_at: number | null;
}

interface PoisonRow {
  message_id: string;
  code: string;
  reason: string;
  data: Buffer;
  attributes: string;
  publish_time: number;
  received_at: number;
  dead_lettered_at: number | null;
}

export class SqliteIngestStore implements IngestStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #admit: (input: AdmitInput) => AdmitResult;

  /** `db` is migrated and owned by its trend store, which closes it. */
  constructor(db: Database.Database) {
    this.#db = db;
    const admit = db.transaction((input: AdmitInput) => this.#admitIn(input));
    this.#admit = (input) => admit.immediate(input);
  }

  #stmt<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], R>;
  }

  async admit(input: AdmitInput): Promise<AdmitResult> {
    checkAdmit(input);
    return this.#admit(input);
  }

  #admitIn({ messageId, alert, receivedAt, claim }: AdmitInput): AdmitResult {
    const key = alert.dedupeKey;
    const message = this.#stmt(
      `INSERT INTO ingest_messages (message_id, dedupe_key, received_at) VALUES (?, ?, ?)
       ON CONFLICT (message_id) DO NOTHING`,
    ).run(messageId, key, receivedAt);
    if (message.changes === 0) return this.#duplicate('duplicate_message', key, claim);
    const stale = alert.status === 'firing' && this.#resolved(alert.lifecycleId);
    const inserted = this.#stmt(
      `INSERT INTO ingest_alerts (dedupe_key, source, status, lifecycle_id, alert, message_id, received_at, stale, lease_until)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    ).run(
      key,
      alert.source,
      alert.status,
      alert.lifecycleId,
      JSON.stringify(alert),
      messageId,
      receivedAt,
      stale ? 1 : 0,
      stale || claim === undefined ? null : claim.now + claim.leaseMs,
    );
    if (inserted.changes === 0) return this.#duplicate('duplicate_content', key, claim);
    if (alert.status === 'resolved' && alert.lifecycleId !== null) {
      this.#stmt(
        `UPDATE ingest_alerts SET stale = 1 WHERE lifecycle_id = ? AND status = 'firing'
           AND handed_off_at IS NULL AND stale = 0`,
      ).run(alert.lifecycleId);
    }
    return stale
      ? { outcome: 'stale', handedOff: true, claimed: false }
      : { outcome: 'new', handedOff: false, claimed: claim !== undefined };
  }

  /** A duplicate's result: claimed when `claim` takes its free lease, else whether it is settled. */
  #duplicate(
    outcome: 'duplicate_message' | 'duplicate_content',
    key: string,
    claim: AdmitInput['claim'],
  ): AdmitResult {
    if (claim !== undefined && this.#claim(key, claim.now, claim.leaseMs)) {
      return { outcome, handedOff: false, claimed: true };
    }
    return { outcome, handedOff: this.#settled(key), claimed: false };
  }

  /** Whether nothing is left to hand off for the key (see AdmitResult.handedOff). */
  #settled(key: string): boolean {
    const row = this.#stmt<{ stale: number; handed_off_at: number | null }>(
      'SELECT stale, handed_off_at FROM ingest_alerts WHERE dedupe_key = ?',
    ).get(key);
    return row === undefined || row.stale === 1 || row.handed_off_at !== null;
  }

  /** The conditional update of `claimHandOff` (of concurrent claims one wins). */
  #claim(dedupeKey: string, now: number, leaseMs: number): boolean {
    return (
      this.#stmt(
        `UPDATE ingest_alerts SET lease_until = ? WHERE dedupe_key = ? AND handed_off_at IS NULL
           AND stale = 0 AND (lease_until IS NULL OR lease_until <= ?)`,
      ).run(now + leaseMs, dedupeKey, now).changes === 1
    );
  }

  #resolved(lifecycleId: string | null): boolean {
    if (lifecycleId === null) return false;
    return (
      this.#stmt(
        "SELECT 1 FROM ingest_alerts WHERE lifecycle_id = ? AND status = 'resolved' LIMIT 1",
      ).get(lifecycleId) !== undefined
    );
  }

  async claimHandOff(dedupeKey: string, now: number, leaseMs: number): Promise<boolean> {
    checkInteger('now', now);
    checkInteger('leaseMs', leaseMs, true);
    return this.#claim(dedupeKey, now, leaseMs);
  }

  async completeHandOff(dedupeKey: string, now: number): Promise<boolean> {
    checkInteger('now', now);
    return (
      this.#stmt(
        'UPDATE ingest_alerts SET handed_off_at = ?, lease_until = NULL WHERE dedupe_key = ? AND handed_off_at IS NULL',
      ).run(now, dedupeKey).changes === 1
    );
  }

  async getAlert(dedupeKey: string): Promise<StoredAlert | null> {
    const row = this.#stmt<AlertRow>(
      'SELECT alert, message_id, received_at, stale, lease_until, handed_off_at FROM ingest_alerts WHERE dedupe_key = ?',
    ).get(dedupeKey);
    if (row === undefined) return null;
    return {
      alert: JSON.parse(row.alert) as IncomingAlert,
      messageId: row.message_id,
      receivedAt: row.received_at,
      stale: row.stale === 1,
      leaseUntil: row.lease_until,
      handedOffAt: row.handed_off_at,
    };
  }

  async recordPoison(
    input: PoisonInput,
  ): Promise<{ inserted: boolean; deadLetteredAt: number | null }> {
    checkPoison(input);
    const info = this.#stmt(
      `INSERT INTO ingest_poison (message_id, code, reason, data, attributes, publish_time, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
    ).run(
      input.messageId,
      input.code,
      input.reason,
      input.data,
      JSON.stringify(input.attributes),
      input.publishTime,
      input.receivedAt,
    );
    if (info.changes === 1) return { inserted: true, deadLetteredAt: null };
    const row = this.#stmt<{ dead_lettered_at: number | null }>(
      'SELECT dead_lettered_at FROM ingest_poison WHERE message_id = ?',
    ).get(input.messageId);
    return { inserted: false, deadLetteredAt: row?.dead_lettered_at ?? null };
  }

  async claimDeadLetter(messageId: string, now: number, leaseMs: number): Promise<boolean> {
    checkInteger('now', now);
    checkInteger('leaseMs', leaseMs, true);
    return (
      this.#stmt(
        `UPDATE ingest_poison SET dead_letter_lease_until = ?
         WHERE message_id = ? AND dead_lettered_at IS NULL
           AND (dead_letter_lease_until IS NULL OR dead_letter_lease_until <= ?)`,
      ).run(now + leaseMs, messageId, now).changes === 1
    );
  }

  async markDeadLettered(messageId: string, now: number): Promise<boolean> {
    checkInteger('now', now);
    return (
      this.#stmt(
        'UPDATE ingest_poison SET dead_lettered_at = ? WHERE message_id = ? AND dead_lettered_at IS NULL',
      ).run(now, messageId).changes === 1
    );
  }

  async poison(q: { from?: number; limit: number }): Promise<PoisonRecord[]> {
    checkInteger('limit', q.limit, true);
    const from = q.from ?? Number.MIN_SAFE_INTEGER;
    checkInteger('from', from);
    return this.#stmt<PoisonRow>(
      `SELECT message_id, code, reason, data, attributes, publish_time, received_at, dead_lettered_at
       FROM ingest_poison WHERE received_at >= ? ORDER BY received_at, message_id LIMIT ?`,
    )
      .all(from, q.limit)
      .map((r) => ({
        messageId: r.message_id,
        code: r.code,
        reason: r.reason,
        data: r.data,
        attributes: JSON.parse(r.attributes) as Record<string, string>,
        publishTime: r.publish_time,
        receivedAt: r.received_at,
        deadLetteredAt: r.dead_lettered_at,
      }));
  }
}
