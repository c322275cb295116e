/**
 * One alert's state in the engine, and the two pure steps that change it: `applyEvent` (an
 * ingested event arrives) and `evaluate` (time passes: resolve_timeout, `for`, `keep_firing_for`,
 * the minimum interval between flips). The store keeps the row; the engine calls these inside the
 * store's transaction, so a row is never changed from two places at once.
 *
 * Two states are kept apart:
 * - **raw**: what the sources say. Firing from the newest firing event until its `endsAt`, or,
 *   for an alert without one and without a one-shot lifecycle (a sweep finding, a log entry),
 *   until `resolveTimeoutMs` after it was last received (Alertmanager's resolve_timeout: sources
 *   re-send firing alerts, the sweep once a minute). A Cloud Monitoring incident has a lifecycle
 *   and sends its close, so it fires until the close arrives (Monitoring's autoClose bounds it).
 * - **effective** (`state`): what notifications show. `pending` while raw firing for less than
 *   `forMs`; `firing`; then, once raw resolves, still `firing` for `keepFiringForMs`; then
 *   `resolved`. A flip between firing and not firing waits until `minFlipIntervalMs` has passed
 *   since the last one, so a condition that toggles faster than that flips at most once per
 *   interval: held `firing` when raw resolves too soon, held `pending` (raw firing, not yet
 *   shown) when raw fires again too soon after a resolution. `pending` never notifies, so
 *   pending ⇄ resolved is not a flip.
 *
 * A streak (`startsAt`) lasts while the effective state is `firing`: a firing event during
 * `keepFiringForMs` or a held flip continues it, as the receiver never saw it end.
 */
import type { AlertSource, IncomingAlert } from '../types.js';
import type { FlapControl } from './types.js';

export type EffectiveState = 'pending' | 'firing' | 'resolved';

export interface AlertRow {
  readonly fingerprint: string;
  readonly source: AlertSource;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Start of the current raw firing streak. */
  readonly startsAt: number;
  /** The newest event's end: set by a resolved event (or a firing one that carries an end). */
  readonly endsAt: number | null;
  /** One-shot lifecycle (a Monitoring incident): no resolve_timeout. */
  readonly lifecycle: boolean;
  /** Event time of the newest event applied; older events are stale. */
  readonly lastEventAt: number;
  /** When the newest event was received: resolve_timeout counts from here. */
  readonly receivedAt: number;
  readonly state: EffectiveState;
  /**
   * When the state last flipped into or out of `firing` (pending ⇄ resolved moves do not count),
   * or, before the first flip, when the row was made.
   */
  readonly stateSince: number;
  /** When the state last became `firing`, or null if it never did. */
  readonly firedAt: number | null;
}

export type FlapSettings = Omit<FlapControl, 'matchers'>;

/** An event's own time: its end for a resolution, else its start. */
export function eventTime(alert: IncomingAlert): number {
  return alert.status === 'resolved' ? (alert.endsAt ?? alert.startsAt) : alert.startsAt;
}

/** When the raw alert stops (stopped) firing, or null while nothing ends it. */
export function rawEnd(row: AlertRow, resolveTimeoutMs: number): number | null {
  if (row.endsAt !== null) return row.endsAt;
  return row.lifecycle ? null : row.receivedAt + resolveTimeoutMs;
}

export function rawFiring(row: AlertRow, now: number, resolveTimeoutMs: number): boolean {
  const end = rawEnd(row, resolveTimeoutMs);
  return end === null || end > now;
}

/**
 * The row after `alert` (fingerprinted as `fingerprint`) arrives at `now`, or null when it
 * changes nothing: an event older than the newest one applied (a redelivery, out of order), or a
 * resolution of an alert the engine does not know. At equal event times a resolution wins.
 * The effective state is not re-evaluated here: call `evaluate` after.
 */
export function applyEvent(
  row: AlertRow | null,
  alert: IncomingAlert,
  fingerprint: string,
  now: number,
  resolveTimeoutMs: number,
): AlertRow | null {
  const at = eventTime(alert);
  if (row === null) {
    if (alert.status === 'resolved') return null;
    return {
      fingerprint,
      source: alert.source,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
      lifecycle: alert.lifecycleId !== null,
      lastEventAt: at,
      receivedAt: now,
      state: 'resolved',
      stateSince: now,
      firedAt: null,
    };
  }
  if (at < row.lastEventAt) return null;
  if (at === row.lastEventAt && alert.status === 'firing' && row.endsAt !== null) return null;
  const base = {
    ...row,
    source: alert.source,
    annotations: alert.annotations,
    lifecycle: alert.lifecycleId !== null,
    lastEventAt: at,
    receivedAt: now,
  };
  if (alert.status === 'resolved') {
    return { ...base, endsAt: alert.endsAt ?? at };
  }
  // A firing event after the raw alert ended starts a new streak, unless the alert never
  // stopped firing as notifications show it (keep_firing_for, a held flip).
  const newStreak = !rawFiring(row, now, resolveTimeoutMs) && row.state !== 'firing';
  return {
    ...base,
    startsAt: newStreak ? alert.startsAt : Math.min(row.startsAt, alert.startsAt),
    endsAt: alert.endsAt,
  };
}

/** The row with its effective state at `now` (the same object when nothing changes). */
export function evaluate(
  row: AlertRow,
  now: number,
  resolveTimeoutMs: number,
  flap: FlapSettings,
): AlertRow {
  const firingNow = rawFiring(row, now, resolveTimeoutMs);
  let wanted: EffectiveState;
  if (firingNow) {
    wanted = row.state === 'firing' || now - row.startsAt >= flap.forMs ? 'firing' : 'pending';
  } else {
    const end = rawEnd(row, resolveTimeoutMs) ?? now;
    wanted = row.state === 'firing' && now - end < flap.keepFiringForMs ? 'firing' : 'resolved';
  }
  if (wanted === row.state) return row;
  const flips = (row.state === 'firing') !== (wanted === 'firing');
  // The first time an alert fires is not held back: there was no flip before it.
  if (flips && row.firedAt !== null && now - row.stateSince < flap.minFlipIntervalMs) {
    // Firing again too soon: pending until the interval ends, so its groups keep it and notify
    // it then (a resolved alert leaves its groups at their next flush).
    return row.state === 'resolved' ? { ...row, state: 'pending' } : row;
  }
  return {
    ...row,
    state: wanted,
    stateSince: flips ? now : row.stateSince,
    firedAt: wanted === 'firing' ? now : row.firedAt,
  };
}

/**
 * Whether notifications show the alert: firing, or resolved after firing in its latest streak
 * (an alert that resolved while still pending was never shown, so its resolution is not news).
 */
export function shown(row: AlertRow): boolean {
  if (row.state === 'firing') return true;
  return row.state === 'resolved' && row.firedAt !== null && row.firedAt >= row.startsAt;
}

/**
 * The firing streak a row has moved past without having been shown resolved: the row fired,
 * stopped firing, and its current streak is not shown (pending, or resolved before it fired). A
 * group whose last notification showed the alert firing shows this as its resolution (decide.ts).
 * It runs from when that streak began firing to when it stopped: the row keeps one streak's start,
 * the current one's, so the earlier streak's own start is gone. Null for any other row.
 */
export function endedStreak(
  row: AlertRow,
): { readonly startsAt: number; readonly endsAt: number } | null {
  // Not shown and fired: the last flip was out of `firing`, at `stateSince`.
  if (row.firedAt === null || shown(row)) return null;
  return { startsAt: row.firedAt, endsAt: row.stateSince };
}

/** The end a resolved alert shows: when its raw alert ended, never after it was resolved. */
export function shownEnd(row: AlertRow, resolveTimeoutMs: number): number {
  return Math.min(rawEnd(row, resolveTimeoutMs) ?? row.stateSince, row.stateSince);
}
