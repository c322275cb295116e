/**
 * The ingest store on PostgreSQL, on the trend store's pool (PostgresStore.pool). Under READ
 * COMMITTED, an INSERT … ON CONFLICT DO NOTHING that meets a concurrent transaction's
 * uncommitted row waits for it and then does nothing, and the next statement sees that row; so
 * of two concurrent deliveries one is `new` and the other a duplicate that reads the winner's
 * state. An admit with a lifecycle first takes a transaction-scoped advisory lock on it, so the
 * stale check and a resolution's marking of pending firing alerts never interleave.
 */
import type pg from 'pg';
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
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await admitIn(client, input);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback;
      });
      throw e;
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it, not back to the pool.
      client.release(broken);
    }
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
    const { rowCount } = await this.#pool.query(
      'UPDATE ingest_alerts SET handed_off_at = $2, lease_until = NULL WHERE dedupe_key = $1 AND handed_off_at IS NULL',
      [dedupeKey, now],
    );
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

/** One admit inside the caller's transaction (see the module comment for why it is safe). */
async function admitIn(
  client: pg.PoolClient,
  { messageId, alert, receivedAt }: AdmitInput,
): Promise<AdmitResult> {
  const key = alert.dedupeKey;
  if (alert.lifecycleId !== null) {
    await client.query(
      "SELECT pg_advisory_xact_lock(hashtext('runwatch.ingest.' || current_schema() || '.' || $1))",
      [alert.lifecycleId],
    );
  }
  const message = await client.query(
    `INSERT INTO ingest_messages (message_id, dedupe_key, received_at) VALUES ($1, $2, $3)
     ON CONFLICT (message_id) DO NOTHING`,
    [messageId, key, receivedAt],
  );
  if (message.rowCount === 0) {
    return { outcome: 'duplicate_message', handedOff: await settled(client, key) };
  }
  // The stale check is the insert's own: the row is stale when, as it goes in, a resolved alert
  // of its lifecycle is stored.
  const inserted = await client.query(
    `INSERT INTO ingest_alerts (dedupe_key, source, status, lifecycle_id, alert, message_id, received_at, stale)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::text, $7::bigint,
       $3 = 'firing' AND $4 IS NOT NULL AND EXISTS (
         SELECT 1 FROM ingest_alerts WHERE lifecycle_id = $4 AND status = 'resolved')
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING stale`,
    [
      key,
      alert.source,
      alert.status,
      alert.lifecycleId,
      JSON.stringify(alert),
      messageId,
      receivedAt,
    ],
  );
  const row = inserted.rows[0] as { stale: boolean } | undefined;
  if (row === undefined) {
    return { outcome: 'duplicate_content', handedOff: await settled(client, key) };
  }
  if (alert.status === 'resolved' && alert.lifecycleId !== null) {
    await client.query(
      `UPDATE ingest_alerts SET stale = true WHERE lifecycle_id = $1 AND status = 'firing'
         AND handed_off_at IS NULL AND NOT stale`,
      [alert.lifecycleId],
    );
  }
  return row.stale ? { outcome: 'stale', handedOff: true } : { outcome: 'new', handedOff: false };
}

/** Whether nothing is left to hand off for the key (see AdmitResult.handedOff). */
async function settled(client: pg.PoolClient, key: string): Promise<boolean> {
  const { rows } = await client.query(
    'SELECT stale, handed_off_at FROM ingest_alerts WHERE dedupe_key = $1',
    [key],
  );
  const r = rows[0] as { stale: boolean; handed_off_at: string | null } | undefined;
  return r === undefined || r.stale || r.handed_off_at !== null;
}
