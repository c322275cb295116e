/**
 * Row ⇄ object conversion for the engine store, shared by both dialects. SQLite hands JSON
 * columns over as text and booleans as 0/1, pg as parsed jsonb, booleans and (for BIGINT) strings;
 * `json` and `int` take either.
 */
import type { AlertRow, EffectiveState } from '../engine/alert-state.js';
import type {
  GroupNotification,
  IntegrationConfig,
  Matcher,
  Silence,
  SilenceSpec,
} from '../engine/types.js';
import type { AlertSource } from '../types.js';
import type { Delivery, DeliveryStatus, GroupRow } from './engine-store.js';

type Raw = Record<string, unknown>;

export const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
export const int = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));
export const intOrNull = (v: unknown): number | null => (v === null ? null : int(v));

export function alertOf(r: Raw): AlertRow {
  return {
    fingerprint: r.fingerprint as string,
    source: r.source as AlertSource,
    labels: json(r.labels),
    annotations: json(r.annotations),
    startsAt: int(r.starts_at),
    endsAt: intOrNull(r.ends_at),
    lifecycle: r.lifecycle === true || r.lifecycle === 1,
    lastEventAt: int(r.last_event_at),
    receivedAt: int(r.received_at),
    state: r.state as EffectiveState,
    stateSince: int(r.state_since),
    firedAt: intOrNull(r.fired_at),
  };
}

export function groupOf(r: Raw): GroupRow {
  return {
    groupKey: r.group_key as string,
    routeId: r.route_id as string,
    receiver: r.receiver as string,
    groupLabels: json(r.group_labels),
    createdAt: int(r.created_at),
    nextFlushAt: int(r.next_flush_at),
    log:
      r.log_at === null
        ? null
        : { firing: json(r.log_firing), resolved: json(r.log_resolved), at: int(r.log_at) },
    refused: int(r.refused),
  };
}

export function deliveryOf(r: Raw): Delivery {
  return {
    seq: int(r.seq),
    id: r.id as string,
    groupKey: r.group_key as string,
    receiver: r.receiver as string,
    integrationIndex: int(r.integration_index),
    integration: json<IntegrationConfig>(r.integration),
    notification: json<GroupNotification>(r.payload),
    createdAt: int(r.created_at),
    status: r.status as DeliveryStatus,
    attempts: int(r.attempts),
    nextAttemptAt: int(r.next_attempt_at),
    leaseUntil: intOrNull(r.lease_until),
    lastErrorCode: (r.last_error_code as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: intOrNull(r.delivered_at),
  };
}

export function silenceOf(r: Raw): Silence {
  return {
    id: r.id as string,
    matchers: json<Matcher[]>(r.matchers),
    startsAt: int(r.starts_at),
    endsAt: int(r.ends_at),
    createdBy: r.created_by as string,
    comment: r.comment as string,
    origin: r.origin as Silence['origin'],
    createdAt: int(r.created_at),
    updatedAt: int(r.updated_at),
  };
}

/** The alert columns `alertValues` gives, in its order (after fingerprint). */
/**
 * A silence's values for `INSERT INTO engine_silences (id, matchers, starts_at, ends_at,
 * created_by, comment, origin, created_at, updated_at)`: both times are `now`.
 */
export function silenceValues(
  s: SilenceSpec & { readonly id: string; readonly origin: Silence['origin'] },
  now: number,
): unknown[] {
  return [
    s.id,
    JSON.stringify(s.matchers),
    s.startsAt,
    s.endsAt,
    s.createdBy,
    s.comment,
    s.origin,
    now,
    now,
  ];
}

export const ALERT_COLUMNS =
  'source, labels, annotations, starts_at, ends_at, lifecycle, last_event_at, received_at, state, state_since, fired_at';

/**
 * The columns of an alert for `activeAlerts`, annotations left out (as an empty object, which
 * both dialects read back as `{}`): what the engine evaluates and matches, not what it shows.
 */
export const ACTIVE_COLUMNS =
  "fingerprint, source, labels, '{}' AS annotations, starts_at, ends_at, lifecycle, last_event_at, received_at, state, state_since, fired_at";

/** An alert row's columns in insert order (after fingerprint), for both dialects. */
export function alertValues(a: AlertRow, lifecycle: (b: boolean) => unknown): unknown[] {
  return [
    a.source,
    JSON.stringify(a.labels),
    JSON.stringify(a.annotations),
    a.startsAt,
    a.endsAt,
    lifecycle(a.lifecycle),
    a.lastEventAt,
    a.receivedAt,
    a.state,
    a.stateSince,
    a.firedAt,
  ];
}

/** How often a claim returns at most, per call. */
export const MAX_CLAIM = 100;
