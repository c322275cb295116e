/**
 * The ingest store on PostgreSQL, on the trend store's pool (PostgresStore.pool). Under READ
 * COMMITTED, an INSERT … ON CONFLICT DO NOTHING that meets a concurrent transaction's
 * uncommitted row waits for it and then does nothing, and the next statement sees that row; so
 * of two concurrent deliveries one is `new` and the other a duplicate that reads the winner's
 * state. An admit with a lifecycle first takes a transaction-scoped advisory lock on it, so the
 * stale check and a resolution's marking of pending firing alerts never interleave. The admit's
 * statements run in the function `ingest_admit` (migration 7), one statement and so one
 * transaction and one round trip.
 */
import type pg from 'pg';
import type { IncomingAlert } from '../types.js';
import {
  type AdmitInput,
  type AdmitOutcome,
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
  alert: IncomingAlert;
  message_id: string;
  received_at: string;
  stale: boolean;
  lease_until: string | null;
  handed_off_at: string | null;
}

interface PoisonRow {
  message_id: string;
  code: string;
  reason: string;
  data: Buffer;
  attributes: string;
  publish_time: string;
  received_at: string;
  dead_lettered_at: string | null;
}

const orNull = (v: string | null): number | null => (v === null ? null : Number(v));

export class PostgresIngestStore implements IngestStore {
  readonly #pool: pg.Pool;

  /** `pool` is migrated and owned by its trend store, which ends it. */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async admit(input: AdmitInput): Promise<AdmitResult> {
    checkAdmit(input);
    const { messageId, alert, receivedAt, claim } = input;
    // One round trip: the function of migration 7 runs the admit's statements in the one
    // transaction of this statement. Named, so each connection parses and plans it once.
    const { rows } = await this.#pool.query({
      name: 'runwatch.ingest_admit',
      text: `SELECT outcome, handed_off, claimed FROM ingest_admit($1::text, $2::text, $3::text,
        $4::text, $5::text, $6::jsonb, $7::bigint, $8::bigint, $9::bigint)`,
      values: [
        messageId,
        alert.dedupeKey,
        alert.source,
        alert.status,
        alert.lifecycleId,
        JSON.stringify(alert),
        receivedAt,
        claim?.now ?? null,
        claim === undefined ? null : claim.now + claim.leaseMs,
      ],
    });
    const r = rows[0] as { outcome: AdmitOutcome; handed_off: boolean; claimed: boolean };
    return { outcome: r.outcome, handedOff: r.handed_off, claimed: r.claimed };
  }

  async claimHandOff(dedupeKey: string, now: number, leaseMs: number): Promise<boolean> {
    checkInteger('now', now);
    checkInteger('leaseMs', leaseMs, true);
    const { rowCount } = await this.#pool.query(
      `UPDATE ingest_alerts SET lease_until = $2 WHERE dedupe_key = $1 AND handed_off_at IS NULL
         AND NOT stale AND (lease_until IS NULL OR lease_until <= $3)`,
      [dedupeKey, now + leaseMs, now],
    );
    return rowCount === 1;
  }

  async completeHandOff(dedupeKey: string, now: number): Promise<boolean> {
    checkInteger('now', now);
    const { rowCount } = await this.#pool.query({
      name: 'runwatch.ingest_complete',
      text: 'UPDATE ingest_alerts SET handed_off_at = $2, lease_until = NULL WHERE dedupe_key = $1 AND handed_off_at IS NULL',
      values: [dedupeKey, now],
    });
    return rowCount === 1;
  }

  async getAlert(dedupeKey: string): Promise<StoredAlert | null> {
    const { rows } = await this.#pool.query(
      'SELECT alert, message_id, received_at, stale, lease_until, handed_off_at FROM ingest_alerts WHERE dedupe_key = $1',
      [dedupeKey],
    );
    const r = rows[0] as AlertRow | undefined;
    if (r === undefined) return null;
    return {
      alert: r.alert,
      messageId: r.message_id,
      receivedAt: Number(r.received_at),
      stale: r.stale,
      leaseUntil: orNull(r.lease_until),
      handedOffAt: orNull(r.handed_off_at),
    };
  }

  async recordPoison(
    input: PoisonInput,
  ): Promise<{ inserted: boolean; deadLetteredAt: number | null }> {
    checkPoison(input);
    const { rowCount } = await this.#pool.query(
      `INSERT INTO ingest_poison (message_id, code, reason, data, attributes, publish_time, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING`,
      [
        input.messageId,
        input.code,
        input.reason,
        input.data,
        JSON.stringify(input.attributes),
        input.publishTime,
        input.receivedAt,
      ],
    );
    if (rowCount === 1) return { inserted: true, deadLetteredAt: null };
    const { rows } = await this.#pool.query(
      'SELECT dead_lettered_at FROM ingest_poison WHERE message_id = $1',
      [input.messageId],
    );
    const r = rows[0] as { dead_lettered_at: string | null } | undefined;
    return { inserted: false, deadLetteredAt: orNull(r?.dead_lettered_at ?? null) };
  }

  async claimDeadLetter(messageId: string, now: number, leaseMs: number): Promise<boolean> {
    checkInteger('now', now);
    checkInteger('leaseMs', leaseMs, true);
    const { rowCount } = await this.#pool.query(
      `UPDATE ingest_poison SET dead_letter_lease_until = $2 + $3
       WHERE message_id = $1 AND dead_lettered_at IS NULL
         AND (dead_letter_lease_until IS NULL OR dead_letter_lease_until <= $2)`,
      [messageId, now, leaseMs],
    );
    return rowCount === 1;
  }

  async markDeadLettered(messageId: string, now: number): Promise<boolean> {
    checkInteger('now', now);
    const { rowCount } = await this.#pool.query(
      'UPDATE ingest_poison SET dead_lettered_at = $2 WHERE message_id = $1 AND dead_lettered_at IS NULL',
      [messageId, now],
    );
    return rowCount === 1;
  }

  async poison(q: { from?: number; limit: number }): Promise<PoisonRecord[]> {
    checkInteger('limit', q.limit, true);
    const from = q.from ?? Number.MIN_SAFE_INTEGER;
    checkInteger('from', from);
    const { rows } = await this.#pool.query(
      `SELECT message_id, code, reason, data, attributes, publish_time, received_at, dead_lettered_at
       FROM ingest_poison WHERE received_at >= $1 ORDER BY received_at, message_id LIMIT $2`,
      [from, q.limit],
    );
    return (rows as PoisonRow[]).map((r) => ({
      messageId: r.message_id,
      code: r.code,
      reason: r.reason,
      data: r.data,
      attributes: JSON.parse(r.attributes) as Record<string, string>,
      publishTime: Number(r.publish_time),
      receivedAt: Number(r.received_at),
      deadLetteredAt: orNull(r.dead_lettered_at),
    }));
  }
}
