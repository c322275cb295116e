/**
 * What one flush of one group sends: Alertmanager's notification pipeline (mute, then dedup
 * against the notification log) as a pure function of the group's alerts, what the group last
 * notified, and the time.
 *
 * - Alerts still `pending` (or resolved without having fired) are not shown; a pending alert
 *   stays in the group (it is shown once it fires). Muted alerts (silenced, or inhibited by a
 *   firing source) are dropped from the notification, firing or resolved, as Alertmanager drops
 *   them.
 * - Except an alert the last notification showed firing that stopped firing and is not shown now
 *   (its new streak pending, for `for` or held by min_flip_interval, or resolved before it fired):
 *   it is shown resolved, its earlier streak ended (alert-state.ts `endedStreak`), so the receiver
 *   hears of the resolution before the new streak fires as new alerts added. Alertmanager sees the
 *   same: Prometheus resolves the alert and holds the new one back until its `for` has passed.
 * - The reason is Alertmanager's `needsUpdate` (notify/dedup_stage.go), in its order: no log
 *   entry and something firing: first notification; a firing alert not in the last notification:
 *   new alerts added; nothing firing where something was: all alerts resolved; with
 *   send_resolved, a resolved alert not in the last notification: some alerts resolved; else,
 *   while firing, the repeat interval since the last notification: repeat interval elapsed.
 * - Without send_resolved a notification shows firing alerts only, so an all-resolved update
 *   changes the log without sending anything, as Alertmanager's integrations drop resolved
 *   alerts (the receiver is not told). A resolved alert beside firing ones is then no reason to
 *   notify, so the log still shows it firing, and if it fires again (a new streak) that is no news
 *   either until the repeat interval: Alertmanager's needsUpdate, unchanged.
 * - After a flush the group forgets its resolved alerts. A group left with none lives one more
 *   group_interval (an alert firing again meanwhile joins it: at most one notification per
 *   group_interval, however fast a condition toggles) and is deleted at the flush after, so a
 *   later alert opens a new group and waits group_wait again. Alertmanager deletes it at once.
 */
import type { AlertSnapshot, NotificationReason } from './types.js';

/** What a group notified last (Alertmanager's nflog entry): fingerprints and when. */
export interface NotificationLog {
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  readonly at: number;
}

/** A member alert as the flush sees it, after its effective state and its mutes are known. */
export interface FlushMember {
  readonly snapshot: AlertSnapshot;
  /**
   * Not shown (alert-state.ts `shown`): still pending, or resolved without having fired. A hidden
   * resolved member still leaves the group.
   */
  readonly hidden: boolean;
  /**
   * For a hidden member that fired in an earlier streak: itself resolved as that streak ended
   * (alert-state.ts `endedStreak`), shown instead when the last notification showed it firing.
   */
  readonly ended?: AlertSnapshot;
  /** Whether what it shows is muted. */
  readonly muted: boolean;
}

export interface FlushInput {
  readonly members: readonly FlushMember[];
  readonly log: NotificationLog | null;
  readonly now: number;
  readonly repeatIntervalMs: number;
  readonly sendResolved: boolean;
}

export interface FlushPlan {
  readonly reason: NotificationReason | null;
  /** What to send (firing first), or null when nothing goes out. */
  readonly alerts: readonly AlertSnapshot[] | null;
  /** The new log entry, or null to keep the old one. */
  readonly log: NotificationLog | null;
  /** Fingerprints that leave the group (its members shown or hidden as resolved). */
  readonly remove: readonly string[];
  /** Whether the group had no members left at this flush: delete it. */
  readonly empty: boolean;
}

const subset = (xs: readonly string[], of: readonly string[]) => {
  const set = new Set(of);
  return xs.every((x) => set.has(x));
};

export function needsUpdate(
  log: NotificationLog | null,
  firing: readonly string[],
  resolved: readonly string[],
  now: number,
  repeatIntervalMs: number,
  sendResolved: boolean,
): NotificationReason | null {
  if (log === null) return firing.length > 0 ? 'first notification' : null;
  if (!subset(firing, log.firing)) return 'new alerts added';
  if (firing.length === 0) return log.firing.length > 0 ? 'all alerts resolved' : null;
  if (sendResolved && !subset(resolved, log.resolved)) return 'some alerts resolved';
  return now - log.at >= repeatIntervalMs ? 'repeat interval elapsed' : null;
}

const byStart = (a: AlertSnapshot, b: AlertSnapshot) =>
  a.startsAt - b.startsAt || (a.fingerprint < b.fingerprint ? -1 : 1);

export function planFlush(input: FlushInput): FlushPlan {
  const notified = new Set(input.log?.firing ?? []);
  const shown = input.members.flatMap((m) => {
    if (m.muted) return [];
    if (!m.hidden) return [m.snapshot];
    return m.ended !== undefined && notified.has(m.snapshot.fingerprint) ? [m.ended] : [];
  });
  const firing = shown.filter((a) => a.status === 'firing').sort(byStart);
  const resolved = shown.filter((a) => a.status === 'resolved').sort(byStart);
  const fps = (xs: readonly AlertSnapshot[]) => xs.map((a) => a.fingerprint).sort();
  const reason = needsUpdate(
    input.log,
    fps(firing),
    fps(resolved),
    input.now,
    input.repeatIntervalMs,
    input.sendResolved,
  );
  const remove = input.members
    .filter((m) => m.snapshot.status === 'resolved')
    .map((m) => m.snapshot.fingerprint);
  // A group is deleted only at a flush that finds it empty already: the flush that resolves its
  // last alert keeps it (and its log) for one more group_interval, so an alert that fires again
  // at once joins it and waits for its timer instead of opening a new group with no wait.
  const empty = input.members.length === 0;
  if (reason === null) return { reason, alerts: null, log: null, remove, empty };
  const alerts = input.sendResolved ? [...firing, ...resolved] : firing;
  return {
    reason,
    alerts: alerts.length > 0 ? alerts : null,
    log: { firing: fps(firing), resolved: fps(resolved), at: input.now },
    remove,
    empty,
  };
}

/** The labels (or annotations) every alert has, with the same value. */
export function common(
  records: readonly Readonly<Record<string, string>>[],
): Record<string, string> {
  if (records.length === 0) return {};
  const [first, ...rest] = records as [Readonly<Record<string, string>>, ...typeof records];
  return Object.fromEntries(
    Object.entries(first).filter(([k, v]) => rest.every((r) => r[k] === v)),
  );
}
