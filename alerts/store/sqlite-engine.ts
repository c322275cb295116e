/**
 * The engine store on SQLite, on the trend store's connection (SqliteStore.connection). Every
 * write is one BEGIN IMMEDIATE transaction that holds the database's write lock from its first
 * read, so a receive or a flush and the decision it runs see one state, with other processes on
 * the file too: SQLite's write lock is the per-group serialisation here.
 */
import type Database from 'better-sqlite3';
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
  json,
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

export class SqliteEngineStore implements EngineStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  /** `db` is migrated and owned by its trend store, which closes it. */
  constructor(db: Database.Database) {
    this.#db = db;
  }

  #stmt(sql: string): Database.Statement<unknown[], Raw> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Raw>;
  }

  #immediate<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  async receive(
    input: { fingerprint: string; groups: readonly GroupTarget[]; now: number; maxMembers: number },
    step: (row: AlertRow | null) => AlertRow | null,
  ): Promise<ReceiveResult> {
    return this.#immediate(() => {
      const raw = this.#stmt('SELECT * FROM engine_alerts WHERE fingerprint = ?').get(
        input.fingerprint,
      );
      const next = step(raw === undefined ? null : alertOf(raw));
      if (next === null) return { changed: false, due: [], refused: [] };
      const joins = input.groups.filter((g) =>
        this.#joinable(g.groupKey, input.fingerprint, input.maxMembers),
      );
      const refused: RefusedJoin[] = [];
      for (const g of input.groups) {
        if (joins.includes(g)) continue;
        const counted = this.#stmt(
          'UPDATE engine_groups SET refused = refused + 1 WHERE group_key = ? RETURNING receiver, refused',
        ).get(g.groupKey) as Raw;
        refused.push({
          groupKey: g.groupKey,
          receiver: counted.receiver as string,
          refused: int(counted.refused),
        });
      }
      refused.sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
      if (raw === undefined && joins.length === 0 && input.groups.length > 0)
        return { changed: false, due: [], refused };
      const values = alertValues(next, (b) => (b ? 1 : 0));
      if (raw === undefined) {
        this.#stmt(
          `INSERT INTO engine_alerts (fingerprint, ${ALERT_COLUMNS}, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
        ).run(input.fingerprint, ...values);
      } else {
        this.#stmt(
          `UPDATE engine_alerts SET (${ALERT_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), version = version + 1 WHERE fingerprint = ?`,
        ).run(...values, input.fingerprint);
      }
      for (const g of joins) {
        this.#stmt(
          `INSERT INTO engine_groups (group_key, route_id, receiver, group_labels, created_at, next_flush_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_key) DO NOTHING`,
        ).run(
          g.groupKey,
          g.routeId,
          g.receiver,
          JSON.stringify(g.groupLabels),
          input.now,
          g.firstFlushAt,
        );
        this.#stmt(
          'INSERT INTO engine_members (group_key, fingerprint) VALUES (?, ?) ON CONFLICT DO NOTHING',
        ).run(g.groupKey, input.fingerprint);
      }
      const due = this.#stmt(
        `SELECT g.group_key FROM engine_groups g JOIN engine_members m ON m.group_key = g.group_key
         WHERE m.fingerprint = ? AND g.next_flush_at <= ? ORDER BY g.group_key`,
      )
        .all(input.fingerprint, input.now)
        .map((r) => r.group_key as string);
      return { changed: true, due, refused };
    });
  }

  /** Whether `fingerprint` is in the group, or the group has room (or does not exist yet). */
  #joinable(groupKey: string, fingerprint: string, maxMembers: number): boolean {
    const member = this.#stmt(
      'SELECT 1 FROM engine_members WHERE group_key = ? AND fingerprint = ?',
    ).get(groupKey, fingerprint);
    if (member !== undefined) return true;
    // Counts at most maxMembers index entries: bounded however large the group grew before.
    const { n } = this.#stmt(
      'SELECT count(*) AS n FROM (SELECT 1 FROM engine_members WHERE group_key = ? LIMIT ?)',
    ).get(groupKey, maxMembers) as { n: number };
    return n < maxMembers;
  }

  async flush(
    groupKey: string,
    now: number,
    decide: (state: FlushState) => FlushChanges,
  ): Promise<FlushChanges | null> {
    return this.#immediate(() => {
      const g = this.#stmt('SELECT * FROM engine_groups WHERE group_key = ?').get(groupKey);
      if (g === undefined || int(g.next_flush_at) > now) return null;
      const memberRows = this.#stmt(
        `SELECT a.*, (SELECT json_group_array(k.group_key) FROM (SELECT o.group_key FROM engine_members o
             WHERE o.fingerprint = a.fingerprint ORDER BY o.group_key) k) AS group_keys
         FROM engine_alerts a JOIN engine_members m ON m.fingerprint = a.fingerprint
         WHERE m.group_key = ? ORDER BY a.fingerprint`,
      ).all(groupKey);
      const versions = new Map(memberRows.map((r) => [r.fingerprint as string, int(r.version)]));
      const state: FlushState = {
        group: groupOf(g),
        members: memberRows.map(alertOf),
        silences: this.#stmt(
          'SELECT * FROM engine_silences WHERE starts_at <= ? AND ends_at > ? ORDER BY id',
        )
          .all(now, now)
          .map(silenceOf),
        memberships: new Map(
          memberRows.map((r) => [r.fingerprint as string, json<string[]>(r.group_keys)]),
        ),
      };
      const changes = decide(state);
      for (const a of changes.alerts) {
        this.#stmt(
          `UPDATE engine_alerts SET state = ?, state_since = ?, fired_at = ?, version = version + 1
           WHERE fingerprint = ? AND version = ?`,
        ).run(a.state, a.stateSince, a.firedAt, a.fingerprint, versions.get(a.fingerprint) ?? -1);
      }
      for (const fp of changes.remove) {
        this.#stmt('DELETE FROM engine_members WHERE group_key = ? AND fingerprint = ?').run(
          groupKey,
          fp,
        );
      }
      if (!changes.deleteGroup && changes.refusedReported > 0) {
        this.#stmt(
          'UPDATE engine_groups SET refused = max(0, refused - ?) WHERE group_key = ?',
        ).run(changes.refusedReported, groupKey);
      }
      if (changes.deleteGroup) {
        this.#stmt('DELETE FROM engine_members WHERE group_key = ?').run(groupKey);
        this.#stmt('DELETE FROM engine_groups WHERE group_key = ?').run(groupKey);
      } else if (changes.log === null) {
        this.#stmt('UPDATE engine_groups SET next_flush_at = ? WHERE group_key = ?').run(
          changes.nextFlushAt,
          groupKey,
        );
      } else {
        this.#stmt(
          `UPDATE engine_groups SET next_flush_at = ?, log_firing = ?, log_resolved = ?, log_at = ?
           WHERE group_key = ?`,
        ).run(
          changes.nextFlushAt,
          JSON.stringify(changes.log.firing),
          JSON.stringify(changes.log.resolved),
          changes.log.at,
          groupKey,
        );
      }
      for (const o of changes.outbox) {
        this.#stmt(
          `INSERT INTO engine_outbox (id, notification_id, group_key, receiver, integration_index, integration,
             payload, created_at, status, attempts, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)`,
        ).run(
          o.id,
          o.notification.id,
          groupKey,
          o.notification.receiver,
          o.integrationIndex,
          JSON.stringify(o.integration),
          JSON.stringify(o.notification),
          o.notification.createdAt,
          o.notification.createdAt,
        );
      }
      return changes;
    });
  }

  async activeAlerts(q: { filter: SourceFilter; limit: number }): Promise<AlertRow[]> {
    const where = sourceFilterSql(q.filter, 'sqlite');
    return this.#stmt(
      `SELECT ${ACTIVE_COLUMNS} FROM engine_alerts WHERE state IN ('firing', 'pending') AND ${where.sql}
       ORDER BY state, state_since, fingerprint LIMIT ?`,
    )
      .all(...where.params, q.limit)
      .map(alertOf);
  }

  async dueGroups(now: number, limit: number): Promise<string[]> {
    return this.#stmt(
      'SELECT group_key FROM engine_groups WHERE next_flush_at <= ? ORDER BY next_flush_at, group_key LIMIT ?',
    )
      .all(now, limit)
      .map((r) => r.group_key as string);
  }

  async getAlert(fingerprint: string): Promise<AlertRow | null> {
    const raw = this.#stmt('SELECT * FROM engine_alerts WHERE fingerprint = ?').get(fingerprint);
    return raw === undefined ? null : alertOf(raw);
  }

  async alerts(limit: number) {
    const rows = this.#stmt(
      `SELECT a.*, (SELECT json_group_array(k.group_key) FROM (SELECT m.group_key FROM engine_members m
           WHERE m.fingerprint = a.fingerprint ORDER BY m.group_key) k) AS group_keys
       FROM engine_alerts a ORDER BY a.starts_at, a.fingerprint LIMIT ?`,
    ).all(limit);
    return rows.map((r) => ({ alert: alertOf(r), groups: json<string[]>(r.group_keys) }));
  }

  async groups(limit: number): Promise<GroupRow[]> {
    return this.#stmt('SELECT * FROM engine_groups ORDER BY group_key LIMIT ?')
      .all(limit)
      .map(groupOf);
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
    const leaseUntil = now + leaseMs;
    return this.#immediate(() => {
      const candidates = this.#stmt(
        `SELECT o.id FROM engine_outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?)
           AND NOT EXISTS (SELECT 1 FROM engine_outbox p WHERE p.group_key = o.group_key
             AND p.integration_index = o.integration_index AND p.status = 'pending' AND p.seq < o.seq)
         ORDER BY o.seq LIMIT ?`,
      ).all(now, now, Math.min(limit, MAX_CLAIM));
      const claimed: Delivery[] = [];
      for (const c of candidates) {
        const row = this.#stmt(
          `UPDATE engine_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ? RETURNING *`,
        ).get(leaseUntil, c.id);
        if (row !== undefined) claimed.push(deliveryOf(row));
      }
      return claimed;
    });
  }

  async completeDelivery(id: string, leaseUntil: number, now: number): Promise<boolean> {
    const { changes } = this.#stmt(
      `UPDATE engine_outbox SET status = 'delivered', delivered_at = ?, lease_until = NULL
       WHERE id = ? AND status = 'pending' AND lease_until = ?`,
    ).run(now, id, leaseUntil);
    return changes === 1;
  }

  async failDelivery(
    id: string,
    leaseUntil: number,
    failure: { code: string; message: string; retryAt: number | null },
  ): Promise<boolean> {
    const { changes } = this.#stmt(
      `UPDATE engine_outbox SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL,
         last_error_code = ?, last_error = ?
       WHERE id = ? AND status = 'pending' AND lease_until = ?`,
    ).run(
      failure.retryAt === null ? 'failed' : 'pending',
      failure.retryAt,
      failure.code,
      failure.message,
      id,
      leaseUntil,
    );
    return changes === 1;
  }

  async deliveries(q: {
    status?: DeliveryStatus;
    groupKey?: string;
    limit: number;
  }): Promise<Delivery[]> {
    return this.#stmt(
      `SELECT * FROM engine_outbox WHERE (? IS NULL OR status = ?) AND (? IS NULL OR group_key = ?)
       ORDER BY seq DESC LIMIT ?`,
    )
      .all(q.status ?? null, q.status ?? null, q.groupKey ?? null, q.groupKey ?? null, q.limit)
      .map(deliveryOf);
  }

  async putSilence(
    s: SilenceSpec & { id: string; origin: Silence['origin'] },
    now: number,
  ): Promise<Silence> {
    const row = this.#stmt(
      `INSERT INTO engine_silences (id, matchers, starts_at, ends_at, created_by, comment, origin, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
         ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment,
         origin = excluded.origin, updated_at = excluded.updated_at
       RETURNING *`,
    ).get(...silenceValues(s, now));
    return silenceOf(row as Raw);
  }

  async addSilence(
    s: SilenceSpec & { id: string; origin: Silence['origin'] },
    now: number,
    maxActive: number,
  ): Promise<Silence | null> {
    return this.#immediate(() => {
      const { n } = this.#stmt('SELECT count(*) AS n FROM engine_silences WHERE ends_at > ?').get(
        now,
      ) as { n: number };
      if (n >= maxActive) return null;
      const row = this.#stmt(
        `INSERT INTO engine_silences (id, matchers, starts_at, ends_at, created_by, comment, origin, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ).get(...silenceValues(s, now));
      return silenceOf(row as Raw);
    });
  }

  async silences(q: { now: number; all?: boolean; limit: number }): Promise<Silence[]> {
    return this.#stmt(
      'SELECT * FROM engine_silences WHERE ? OR ends_at > ? ORDER BY starts_at, id LIMIT ?',
    )
      .all(q.all === true ? 1 : 0, q.now, q.limit)
      .map(silenceOf);
  }

  async getSilence(id: string): Promise<Silence | null> {
    const raw = this.#stmt('SELECT * FROM engine_silences WHERE id = ?').get(id);
    return raw === undefined ? null : silenceOf(raw);
  }

  async expireSilence(id: string, now: number): Promise<boolean> {
    const { changes } = this.#stmt(
      `UPDATE engine_silences SET starts_at = MIN(starts_at, ?), ends_at = ?, updated_at = ?
       WHERE id = ? AND ends_at > ?`,
    ).run(now, now, now, id, now);
    return changes === 1;
  }

  async expireDefinitionSilences(keepIds: readonly string[], now: number): Promise<number> {
    // The kept ids as one JSON parameter: any number of them, one statement.
    return this.#stmt(
      `UPDATE engine_silences SET starts_at = MIN(starts_at, ?), ends_at = ?, updated_at = ?
       WHERE origin = 'definitions' AND ends_at > ? AND id NOT IN (SELECT value FROM json_each(?))`,
    ).run(now, now, now, now, JSON.stringify(keepIds)).changes;
  }

  async prune(before: number, limit: number): Promise<number> {
    return this.#immediate(() => {
      let gone = 0;
      gone += this.#stmt(
        `DELETE FROM engine_alerts WHERE rowid IN (SELECT a.rowid FROM engine_alerts a
           WHERE a.state = 'resolved' AND a.state_since < ?
             AND NOT EXISTS (SELECT 1 FROM engine_members m WHERE m.fingerprint = a.fingerprint)
           LIMIT ?)`,
      ).run(before, limit).changes;
      gone += this.#stmt(
        `DELETE FROM engine_outbox WHERE seq IN (SELECT seq FROM engine_outbox
           WHERE status IN ('delivered', 'failed') AND created_at < ? LIMIT ?)`,
      ).run(before, limit).changes;
      gone += this.#stmt(
        `DELETE FROM engine_silences WHERE rowid IN (SELECT rowid FROM engine_silences
           WHERE ends_at < ? LIMIT ?)`,
      ).run(before, limit).changes;
      return gone;
    });
  }
}
