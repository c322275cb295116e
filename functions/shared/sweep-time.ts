/**
 * How far from now a sweep's time may be. The time comes from the caller (Cloud Scheduler's
 * `X-CloudScheduler-ScheduleTime`, or a Pub/Sub message's publishTime), and it keys the sweep:
 * a time ahead of now would make the real scheduler's run of that slot a duplicate that probes
 * nothing, and one years ahead would stamp samples no window reads. Scheduler sends a run at or
 * after its slot, so only clock skew may put it ahead; a time older than the store's retention
 * would be pruned at once, so it is no sweep worth running.
 */

/** The most a sweep time may be ahead of this instance's clock. */
export const MAX_SWEEP_TIME_AHEAD_MS = 15_000;
const DAY_MS = 86_400_000;

/** Why `ts` is refused as a sweep time, or null when it is within the bounds. */
export function sweepTimeProblem(ts: number, now: number, retentionDays: number): string | null {
  if (ts > now + MAX_SWEEP_TIME_AHEAD_MS) {
    return `${Math.round((ts - now) / 1000)} s ahead of now; expected at most ${MAX_SWEEP_TIME_AHEAD_MS / 1000} s ahead (clock skew), since a scheduled run is sent at or after its slot`;
  }
  if (ts < now - retentionDays * DAY_MS) {
    return `older than STORE_RETENTION_DAYS (${retentionDays}); expected a time within the retention, whose samples a sweep could still keep`;
  }
  return null;
}
