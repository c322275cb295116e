/**
 * The engine store on PostgreSQL, on the trend store's pool (PostgresStore.pool). A receive or a
 * flush is one READ COMMITTED transaction that first takes a transaction-scoped advisory lock
 * per group key it touches (in key order, so two never wait on each other in a cycle): two
 * function instances handling one group run one after the other, and the second sees what the
 * first committed. A receive also locks its alert's row (FOR UPDATE), so events for one alert
 * through different groups serialise too. Deliveries are claimed with FOR UPDATE SKIP LOCKED.
 */
import type pg from 'pg';
import type { AlertRow } from '../engine/alert-state.js';
import type { Silence, SilenceSpec } from '../engine/types.js';
import {
  ACTIVE_COLUMNS,
  ALERT_COLUMNS,
  alertOf,
  alertValues,
  deliveryOf,
  groupOf,
  int,
  MAX_CLAIM,
  silenceOf,
  silenceValues,
} from './engine-rows.js';
import { type SourceFilter, sourceFilterSql } from './engine-sources.js';
import type {
  Delivery,
  DeliveryStatus,
  EngineStore,
  FlushChanges,
  FlushState,
  GroupRow,
  GroupTarget,
  ReceiveResult,
  RefusedJoin,
} from './engine-store.js';

type Raw = Record<string, unknown>;

/** The advisory lock key space of group keys (the ingest store's lifecycle locks use another). */
const GROUP_LOCK_SPACE = 'runwatch.engine.group:';
/** The advisory lock that serialises adding silences (their count is capped). */
const SILENCES_LOCK = 'runwatch.engine.silences';

export class PostgresEngineStore implements EngineStore {
  readonly #pool: pg.Pool;

  /** `pool` is migrated and owned by its trend store, which ends it. */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #transaction<T>(
    locks: readonly string[],
    fn: (c: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const keys = [...new Set(locks)].sort();
      if (keys.length > 0) {
        await client.query(
          'SELECT pg_advisory_xact_lock(hashtextextended($1 || k, 0)) FROM unnest($2::text[]) WITH ORDINALITY AS t(k, i) ORDER BY i',
          [GROUP_LOCK_SPACE, keys],
        );
      }
      const result = await fn(client);
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

  async receive(
    input: { fingerprint: string; groups: readonly GroupTarget[]; now: number; maxMembers: number },
    step: (row: AlertRow | null) => AlertRow | null,
  ): Promise<ReceiveResult> {
    // The groups it is already in count too: a resolution changes them.
    const { rows: current } = await this.#pool.query(
      'SELECT group_key FROM engine_members WHERE fingerprint = $1',
      [input.fingerprint],
    );
    const locks = [...input.groups.map((g) => g.groupKey), ...current.map((r) => r.group_key)];
    return this.#transaction(locks, async (c) => {
      const { rows } = await c.query(
        'SELECT * FROM engine_alerts WHERE fingerprint = $1 FOR UPDATE',
        [input.fingerprint],
      );
      const raw = rows[0] as Raw | undefined;
      const next = step(raw === undefined ? null : alertOf(raw));
      if (next === null) return { changed: false, due: [], refused: [] };
      // Under the groups' locks: no other receive changes their membership meanwhile. The count
      // reads at most maxMembers index entries, however large a group grew before.
      const { rows: room } =
        input.groups.length === 0
          ? { rows: [] }
          : await c.query(
              `SELECT k, EXISTS (SELECT 1 FROM engine_members m WHERE m.group_key = k AND m.fingerprint = $2)
             OR (SELECT count(*) FROM (SELECT 1 FROM engine_members m WHERE m.group_key = k LIMIT $3) x) < $3
             AS joinable
         FROM unnest($1::text[]) AS t(k)`,
              [input.groups.map((g) => g.groupKey), input.fingerprint, input.maxMembers],
            );
      const joinable = new Set(room.filter((r) => r.joinable === true).map((r) => r.k as string));
      const joins = input.groups.filter((g) => joinable.has(g.groupKey));
      const full = input.groups.filter((g) => !joinable.has(g.groupKey)).map((g) => g.groupKey);
      let refused: RefusedJoin[] = [];
      if (full.length > 0) {
        const { rows: counted } = await c.query(
          `UPDATE engine_groups SET refused = refused + 1 WHERE group_key = ANY($1::text[])
           RETURNING group_key, receiver, refused`,
          [full],
        );
        refused = counted
          .map((r) => ({
            groupKey: r.group_key as string,
            receiver: r.receiver as string,
            refused: int(r.refused),
          }))
          .sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
      }
      if (raw === undefined && joins.length === 0 && input.groups.length > 0)
        return { changed: false, due: [], refused };
      const values = alertValues(next, (b) => b);
      if (raw === undefined) {
        await c.query(
          `INSERT INTO engine_alerts (fingerprint, ${ALERT_COLUMNS}, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)`,
          [input.fingerprint, ...values],
        );
      } else {
        await c.query(
          `UPDATE engine_alerts SET (${ALERT_COLUMNS}) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12),
             version = version + 1 WHERE fingerprint = $1`,
          [input.fingerprint, ...values],
        );
      }
      if (joins.length > 0) {
        await c.query(
          `INSERT INTO engine_groups (group_key, route_id, receiver, group_labels, created_at, next_flush_at)
           SELECT k, r, v, l::jsonb, $5, f FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::bigint[])
             AS t(k, r, v, l, f)
           ON CONFLICT (group_key) DO NOTHING`,
          [
            joins.map((g) => g.groupKey),
            joins.map((g) => g.routeId),
            joins.map((g) => g.receiver),
            joins.map((g) => JSON.stringify(g.groupLabels)),
            input.now,
            joins.map((g) => g.firstFlushAt),
          ],
        );
        await c.query(
          `INSERT INTO engine_members (group_key, fingerprint) SELECT k, $2 FROM unnest($1::text[]) AS t(k)
           ON CONFLICT DO NOTHING`,
          [joins.map((g) => g.groupKey), input.fingerprint],
        );
      }
      const { rows: due } = await c.query(
        `SELECT g.group_key FROM engine_groups g JOIN engine_members m ON m.group_key = g.group_key
         WHERE m.fingerprint = $1 AND g.next_flush_at <= $2 ORDER BY g.group_key`,
        [input.fingerprint, input.now],
      );
      return { changed: true, due: due.map((r) => r.group_key as string), refused };
    });
  }

  async flush(
    groupKey: string,
    now: number,
    decide: (state: FlushState) => FlushChanges,
  ): Promise<FlushChanges | null> {
    return this.#transaction([groupKey], async (c) => {
      const { rows: groups } = await c.query('SELECT * FROM engine_groups WHERE group_key = $1', [
        groupKey,
      ]);
      const g = groups[0] as Raw | undefined;
      if (g === undefined || int(g.next_flush_at) > now) return null;
      const { rows: memberRows } = await c.query(
        `SELECT a.*, ARRAY(SELECT o.group_key FROM engine_members o WHERE o.fingerprint = a.fingerprint
             ORDER BY o.group_key COLLATE "C") AS group_keys
         FROM engine_alerts a JOIN engine_members m ON m.fingerprint = a.fingerprint
         WHERE m.group_key = $1 ORDER BY a.fingerprint`,
        [groupKey],
      );
      const { rows: silenceRows } = await c.query(
        'SELECT * FROM engine_silences WHERE starts_at <= $1 AND ends_at > $1 ORDER BY id',
        [now],
      );
      const versions = new Map(memberRows.map((r) => [r.fingerprint as string, int(r.version)]));
      const changes = decide({
        group: groupOf(g),
        members: memberRows.map(alertOf),
        silences: silenceRows.map(silenceOf),
        memberships: new Map(
          memberRows.map((r) => [r.fingerprint as string, r.group_keys as string[]]),
        ),
      } satisfies FlushState);
      if (changes.alerts.length > 0) {
        await c.query(
          `UPDATE engine_alerts a SET state = t.s, state_since = t.since, fired_at = t.fired,
             version = a.version + 1
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS t(fp, s, since, fired, v)
           WHERE a.fingerprint = t.fp AND a.version = t.v`,
          [
            changes.alerts.map((a) => a.fingerprint),
            changes.alerts.map((a) => a.state),
            changes.alerts.map((a) => a.stateSince),
            changes.alerts.map((a) => a.firedAt),
            changes.alerts.map((a) => versions.get(a.fingerprint) ?? -1),
          ],
        );
      }
      if (changes.deleteGroup) {
        await c.query('DELETE FROM engine_members WHERE group_key = $1', [groupKey]);
        await c.query('DELETE FROM engine_groups WHERE group_key = $1', [groupKey]);
      } else {
        if (changes.remove.length > 0) {
          await c.query(
            'DELETE FROM engine_members WHERE group_key = $1 AND fingerprint = ANY($2::text[])',
            [groupKey, changes.remove],
          );
        }
        await c.query(
          `UPDATE engine_groups SET next_flush_at = $2,
             log_firing = COALESCE($3::jsonb, log_firing), log_resolved = COALESCE($4::jsonb, log_resolved),
             log_at = COALESCE($5, log_at), refused = GREATEST(0, refused - $6)
           WHERE group_key = $1`,
          [
            groupKey,
            changes.nextFlushAt,
            changes.log === null ? null : JSON.stringify(changes.log.firing),
            changes.log === null ? null : JSON.stringify(changes.log.resolved),
            changes.log?.at ?? null,
            changes.refusedReported,
          ],
        );
      }
      if (changes.outbox.length > 0) {
        const o = changes.outbox;
        await c.query(
          `INSERT INTO engine_outbox (id, notification_id, group_key, receiver, integration_index, integration,
             payload, created_at, status, attempts, next_attempt_at)
           SELECT id, nid, $3, rcv, idx, integ::jsonb, payload::jsonb, created, 'pending', 0, created
           FROM unnest($1::text[], $2::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::bigint[])
             WITH ORDINALITY AS t(id, nid, rcv, idx, integ, payload, created, ord)
           ORDER BY ord`,
          [
            o.map((x) => x.id),
            o.map((x) => x.notification.id),
            groupKey,
            o.map((x) => x.notification.receiver),
            o.map((x) => x.integrationIndex),
            o.map((x) => JSON.stringify(x.integration)),
            o.map((x) => JSON.stringify(x.notification)),
            o.map((x) => x.notification.createdAt),
          ],
        );
      }
      return changes;
    });
  }

  async activeAlerts(q: { filter: SourceFilter; limit: number }): Promise<AlertRow[]> {
    const where = sourceFilterSql(q.filter, 'postgres', 2);
    const { rows } = await this.#pool.query(
      `SELECT ${ACTIVE_COLUMNS} FROM engine_alerts WHERE state IN ('firing', 'pending') AND ${where.sql}
       ORDER BY state, state_since, fingerprint LIMIT $1`,
      [q.limit, ...where.params],
    );
    return rows.map(alertOf);
  }

  async dueGroups(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.#pool.query(
      'SELECT group_key FROM engine_groups WHERE next_flush_at <= $1 ORDER BY next_flush_at, group_key LIMIT $2',
      [now, limit],
    );
    return rows.map((r) => r.group_key as string);
  }

  async getAlert(fingerprint: string): Promise<AlertRow | null> {
    const { rows } = await this.#pool.query('SELECT * FROM engine_alerts WHERE fingerprint = $1', [
      fingerprint,
    ]);
    return rows[0] === undefined ? null : alertOf(rows[0]);
  }

  async alerts(limit: number) {
    const { rows } = await this.#pool.query(
      `SELECT a.*, COALESCE((SELECT array_agg(m.group_key ORDER BY m.group_key) FROM engine_members m
         WHERE m.fingerprint = a.fingerprint), '{}') AS group_keys
       FROM engine_alerts a ORDER BY a.starts_at, a.fingerprint LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ alert: alertOf(r), groups: r.group_keys as string[] }));
  }

  async groups(limit: number): Promise<GroupRow[]> {
    const { rows } = await this.#pool.query(
      'SELECT * FROM engine_groups ORDER BY group_key LIMIT $1',
      [limit],
    );
    return rows.map(groupOf);
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
    const { rows } = await this.#pool.query(
      `UPDATE engine_outbox SET lease_until = $2, attempts = attempts + 1
       WHERE seq IN (
         SELECT o.seq FROM engine_outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until <= $1)
           AND NOT EXISTS (SELECT 1 FROM engine_outbox p WHERE p.group_key = o.group_key
             AND p.integration_index = o.integration_index AND p.status = 'pending' AND p.seq < o.seq)
         ORDER BY o.seq LIMIT $3 FOR UPDATE SKIP LOCKED)
         AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1)
       RETURNING *`,
      [now, now + leaseMs, Math.min(limit, MAX_CLAIM)],
    );
    return rows.map(deliveryOf).sort((a, b) => a.seq - b.seq);
  }

  async completeDelivery(id: string, leaseUntil: number, now: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE engine_outbox SET status = 'delivered', delivered_at = $2, lease_until = NULL
       WHERE id = $1 AND status = 'pending' AND lease_until = $3`,
      [id, now, leaseUntil],
    );
    return rowCount === 1;
  }

  async failDelivery(
    id: string,
    leaseUntil: number,
    failure: { code: string; message: string; retryAt: number | null },
  ): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE engine_outbox SET status = $3, next_attempt_at = COALESCE($4, next_attempt_at),
         lease_until = NULL, last_error_code = $5, last_error = $6
       WHERE id = $1 AND status = 'pending' AND lease_until = $2`,
      [
        id,
        leaseUntil,
        failure.retryAt === null ? 'failed' : 'pending',
        failure.retryAt,
        failure.code,
        failure.message,
      ],
    );
    return rowCount === 1;
  }

  async deliveries(q: {
    status?: DeliveryStatus;
    groupKey?: string;
    limit: number;
  }): Promise<Delivery[]> {
    const { rows } = await this.#pool.query(
      `SELECT * FROM engine_outbox WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR group_key = $2)
       ORDER BY seq DESC LIMIT $3`,
      [q.status ?? null, q.groupKey ?? null, q.limit],
    );
    return rows.map(deliveryOf);
  }

  async putSilence(
    s: SilenceSpec & { id: string; origin: Silence['origin'] },
    now: number,
  ): Promise<Silence> {
    const { rows } = await this.#pool.query(
      `INSERT INTO engine_silences (id, matchers, starts_at, ends_at, created_by, comment, origin, created_at, updated_at)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
         ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment,
         origin = excluded.origin, updated_at = excluded.updated_at
       RETURNING *`,
      silenceValues(s, now),
    );
    return silenceOf(rows[0]);
  }

  async addSilence(
    s: SilenceSpec & { id: string; origin: Silence['origin'] },
    now: number,
    maxActive: number,
  ): Promise<Silence | null> {
    return this.#transaction([], async (c) => {
      // One lock for every adder: under READ COMMITTED two counts would otherwise both see room.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [SILENCES_LOCK]);
      const { rows: counted } = await c.query(
        'SELECT count(*) AS n FROM engine_silences WHERE ends_at > $1',
        [now],
      );
      if (int(counted[0]?.n) >= maxActive) return null;
      const { rows } = await c.query(
        `INSERT INTO engine_silences (id, matchers, starts_at, ends_at, created_by, comment, origin, created_at, updated_at)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        silenceValues(s, now),
      );
      return silenceOf(rows[0]);
    });
  }

  async silences(q: { now: number; all?: boolean; limit: number }): Promise<Silence[]> {
    const { rows } = await this.#pool.query(
      'SELECT * FROM engine_silences WHERE $1 OR ends_at > $2 ORDER BY starts_at, id LIMIT $3',
      [q.all === true, q.now, q.limit],
    );
    return rows.map(silenceOf);
  }

  async getSilence(id: string): Promise<Silence | null> {
    const { rows } = await this.#pool.query('SELECT * FROM engine_silences WHERE id = $1', [id]);
    return rows[0] === undefined ? null : silenceOf(rows[0]);
  }

  async expireSilence(id: string, now: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE engine_silences SET starts_at = LEAST(starts_at, $2), ends_at = $2, updated_at = $2
       WHERE id = $1 AND ends_at > $2`,
      [id, now],
    );
    return rowCount === 1;
  }

  async expireDefinitionSilences(keepIds: readonly string[], now: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      `UPDATE engine_silences SET starts_at = LEAST(starts_at, $1), ends_at = $1, updated_at = $1
       WHERE origin = 'definitions' AND ends_at > $1 AND NOT (id = ANY($2::text[]))`,
      [now, keepIds],
    );
    return rowCount ?? 0;
  }

  async prune(before: number, limit: number): Promise<number> {
    return this.#transaction([], async (c) => {
      let gone = 0;
      gone +=
        (
          await c.query(
            `DELETE FROM engine_alerts WHERE fingerprint IN (SELECT a.fingerprint FROM engine_alerts a
               WHERE a.state = 'resolved' AND a.state_since < $1
                 AND NOT EXISTS (SELECT 1 FROM engine_members m WHERE m.fingerprint = a.fingerprint)
               LIMIT $2)`,
            [before, limit],
          )
        ).rowCount ?? 0;
      gone +=
        (
          await c.query(
            `DELETE FROM engine_outbox WHERE seq IN (SELECT seq FROM engine_outbox
               WHERE status IN ('delivered', 'failed') AND created_at < $1 LIMIT $2)`,
            [before, limit],
          )
        ).rowCount ?? 0;
      gone +=
        (
          await c.query(
            `DELETE FROM engine_silences WHERE id IN (SELECT id FROM engine_silences
               WHERE ends_at < $1 LIMIT $2)`,
            [before, limit],
          )
        ).rowCount ?? 0;
      return gone;
    });
  }
}
