/**
 * The alert engine's store: alert states, groups with their notification log, the outbox of
 * pending deliveries, and silences. One interface with a SQLite and a PostgreSQL implementation
 * (sqlite-engine.ts, postgres-engine.ts), on the connection the trend store opens (open.ts), in
 * migrations 8 and 9. Times are epoch ms.
 *
 * The engine's decisions are pure and synchronous (alerts/engine/*.ts); the store runs them
 * inside its own transactions, so a decision and everything it changes commit together:
 * - `receive`, serialised per group (PostgreSQL: a transaction-scoped advisory lock per group key,
 *   taken in key order; SQLite: the write lock of BEGIN IMMEDIATE), with the alert's row locked;
 * - `flush`, serialised per group the same way: the new notification log, the outbox rows (one
 *   per integration of the receiver), the group's timer and membership in one commit (a
 *   membership ends only there: when the alert resolved, or moved to other groups). Member
 *   alerts' evaluated states are written only where the row did not change since it was read
 *   (another group's receive may have moved it; the next evaluation recomputes).
 * - deliveries are claimed under a lease, in order per group and integration (a later
 *   notification of a group waits while an earlier one is pending), and completed or failed
 *   under that lease only.
 */
import type { AlertRow } from '../engine/alert-state.js';
import type { NotificationLog } from '../engine/decide.js';
import type {
  GroupNotification,
  IntegrationConfig,
  Silence,
  SilenceSpec,
} from '../engine/types.js';
import type { SourceFilter } from './engine-sources.js';

/** Where a received alert belongs: one group per matching route. */
export interface GroupTarget {
  readonly groupKey: string;
  readonly routeId: string;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  /** A new group's first flush (now + group_wait, or later while the alert is pending). */
  readonly firstFlushAt: number;
}

export interface GroupRow {
  readonly groupKey: string;
  readonly routeId: string;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly nextFlushAt: number;
  readonly log: NotificationLog | null;
  /** New alerts refused since the group's last notification: it was full (`receive`'s cap). */
  readonly refused: number;
}

/** What a flush decision sees, read in its transaction. */
export interface FlushState {
  readonly group: GroupRow;
  readonly members: readonly AlertRow[];
  /** Silences active at the flush time. */
  readonly silences: readonly Silence[];
  /** For each member (by fingerprint), the keys of every group it is in, this one included, sorted. */
  readonly memberships: ReadonlyMap<string, readonly string[]>;
}

export interface OutboxInsert {
  readonly id: string;
  readonly notification: GroupNotification;
  /** Its index among the receiver's integrations, and the integration as it was configured. */
  readonly integrationIndex: number;
  readonly integration: IntegrationConfig;
}

/** What a flush decision changes. */
export interface FlushChanges {
  /** Members whose evaluated state changed. */
  readonly alerts: readonly AlertRow[];
  /** Fingerprints that leave the group. */
  readonly remove: readonly string[];
  /** Delete the group and its log (it has no members left). */
  readonly deleteGroup: boolean;
  readonly nextFlushAt: number;
  /** The new notification log, or null to keep it. */
  readonly log: NotificationLog | null;
  readonly outbox: readonly OutboxInsert[];
  /** The refused alerts the notification reported: the group's `refused` goes down by this many. */
  readonly refusedReported: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery extends OutboxInsert {
  readonly seq: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly leaseUntil: number | null;
  readonly lastErrorCode: string | null;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
  readonly createdAt: number;
}

/** A group a new alert could not join: it had `maxMembers` members already. */
export interface RefusedJoin {
  readonly groupKey: string;
  readonly receiver: string;
  /** The group's refused alerts since its last notification, this one included. */
  readonly refused: number;
}

export interface ReceiveResult {
  /**
   * False when the event changed nothing (stale, the resolution of an unknown alert, or a new
   * alert that every one of its groups refused: it is not stored).
   */
  readonly changed: boolean;
  /** Group keys whose next flush is due at the receive time (a group_wait of 0). */
  readonly due: readonly string[];
  /** The groups that refused the alert, in key order (each counted in its `refused`). */
  readonly refused: readonly RefusedJoin[];
}

export interface EngineStore {
  /**
   * Applies one alert event: reads the alert's row (locked), calls `step` (pure), writes the
   * result, and makes it a member of every target group, creating absent groups with their
   * first flush time. `step` returning null changes nothing. A resolved alert joins no new group.
   *
   * A group with `maxMembers` members refuses a new one: the alert's group reads stay bounded
   * however many series share its group labels. Members it has keep their place (their events
   * apply, they resolve and leave as ever); a refused join adds one to the group's `refused`
   * and is returned. An alert no group takes and that has no row yet is not stored at all (a
   * flood of new fingerprints into full groups writes one counter per group, nothing else); a
   * later event for it joins once a member has left.
   */
  receive(
    input: {
      readonly fingerprint: string;
      readonly groups: readonly GroupTarget[];
      readonly now: number;
      readonly maxMembers: number;
    },
    step: (row: AlertRow | null) => AlertRow | null,
  ): Promise<ReceiveResult>;
  /**
   * Runs one flush of a group: reads its state, calls `decide` (pure) and commits what it
   * returns. Resolves to the decision, or null when the group does not exist (or is not due: its
   * next flush is after `now`).
   */
  flush(
    groupKey: string,
    now: number,
    decide: (state: FlushState) => FlushChanges,
  ): Promise<FlushChanges | null>;
  /**
   * Up to `limit` alerts whose stored state is `firing` or `pending`, in any group or none, that
   * pass `filter` (engine-sources.ts; tested in the query): those that fire, or may fire later
   * without a new event (a `for` running out). Firing ones first, then pending, each the longest
   * in its state first, so a limit keeps established alerts over a later flood. The engine takes
   * its inhibition sources from them, once per batch of flushes. Annotations are left out (empty).
   */
  activeAlerts(q: { readonly filter: SourceFilter; readonly limit: number }): Promise<AlertRow[]>;
  /** Group keys whose next flush is at or before `now`, soonest first. */
  dueGroups(now: number, limit: number): Promise<string[]>;
  getAlert(fingerprint: string): Promise<AlertRow | null>;
  /**
   * Up to `limit` stored alerts, in a group or not, by startsAt then fingerprint, each with the
   * keys of the groups it is in (the admin API's listing): a read bounded by `limit`.
   */
  alerts(
    limit: number,
  ): Promise<{ readonly alert: AlertRow; readonly groups: readonly string[] }[]>;
  groups(limit: number): Promise<GroupRow[]>;

  /**
   * Takes the lease (until `now + leaseMs`) on up to `limit` pending deliveries whose next
   * attempt is due and that are first in line for their group and integration; returns them.
   */
  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<Delivery[]>;
  /** Marks a claimed delivery delivered; false when the lease was lost (another run took it). */
  completeDelivery(id: string, leaseUntil: number, now: number): Promise<boolean>;
  /**
   * Records a failed attempt of a claimed delivery: pending again from `retryAt`, or failed for
   * good when `retryAt` is null; false when the lease was lost.
   */
  failDelivery(
    id: string,
    leaseUntil: number,
    failure: { readonly code: string; readonly message: string; readonly retryAt: number | null },
  ): Promise<boolean>;
  deliveries(q: {
    readonly status?: DeliveryStatus;
    readonly groupKey?: string;
    readonly limit: number;
  }): Promise<Delivery[]>;

  /** Creates the silence, or replaces the one with its id (keeping createdAt). */
  putSilence(
    silence: SilenceSpec & { readonly id: string; readonly origin: Silence['origin'] },
    now: number,
  ): Promise<Silence>;
  /**
   * Creates a new silence unless `maxActive` silences (of any origin) have not ended at `now`;
   * null then, nothing written. The count and the insert are one step for every instance (two
   * adding at once cannot both take the last place).
   */
  addSilence(
    silence: SilenceSpec & { readonly id: string; readonly origin: Silence['origin'] },
    now: number,
    maxActive: number,
  ): Promise<Silence | null>;
  /** Silences whose window has not ended at `now` (active or future), or every one with `all`. */
  silences(q: {
    readonly now: number;
    readonly all?: boolean;
    readonly limit: number;
  }): Promise<Silence[]>;
  getSilence(id: string): Promise<Silence | null>;
  /** Ends the silence at `now` if it has not ended; false when unknown or already ended. */
  expireSilence(id: string, now: number): Promise<boolean>;
  /**
   * Ends at `now` every silence of origin `definitions` that has not ended and whose id is not
   * in `keepIds` (the file no longer declares it); returns how many.
   */
  expireDefinitionSilences(keepIds: readonly string[], now: number): Promise<number>;
  /**
   * Deletes resolved alerts in no group whose state is older than `before`, and delivered or
   * failed deliveries created before it; returns how many rows went.
   */
  prune(before: number, limit: number): Promise<number>;
}

/** A silence id, a group key, a fingerprint: what the admin API may key on. */
export const MAX_KEY_CHARS = 512;
