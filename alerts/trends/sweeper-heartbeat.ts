/**
 * The sweeper's own absence (a dead man's switch). The sweep cannot report that it stopped
 * running, so this check runs elsewhere, on a clock of its own: the alert engine's tick when it
 * lands, the local stack's supervisor until then (stack/heartbeat.ts).
 *
 * It is pure: given the time the newest sweep was recorded, the time the watch began, now, the
 * allowed silence and whether the alert was firing at the previous check, it says firing,
 * resolved or nothing. Silence is measured from the newer of the last sweep and the start of the watch, so a
 * watcher that just started gives the scheduler one full `maxSilenceMs` before it pages about a
 * store whose last sweep is old (a stack stopped overnight), and a store with no sweep at all is
 * absent once the watch itself is that old. Only a fresh sweep resolves a firing alert.
 */
import { runbookPath } from '../runbooks.js';
import type { Finding, Severity } from '../types.js';

export const SWEEPER_ABSENT = 'SweeperAbsent';
/** Its runbook's repository path, the findings' default `runbook_url` (alerts/runbooks.ts). */
export const SWEEPER_ABSENT_RUNBOOK = runbookPath(SWEEPER_ABSENT);

export interface SweeperHeartbeatInput {
  /** The sweep job watched (its Scheduler job name); the finding's `target`. */
  readonly job: string;
  /**
   * When the newest stored sweep was recorded (`recordedAt`, epoch ms, the sweeper's clock), or
   * null when there is none. Never the sweep's schedule time: the caller chose that one.
   */
  readonly lastRecordedAt: number | null;
  /** When the watch began (epoch ms). */
  readonly watchingSince: number;
  /** Evaluation time (epoch ms). */
  readonly now: number;
  /** Longest allowed silence, in ms; firing when the silence is longer. */
  readonly maxSilenceMs: number;
  /** Whether the previous check fired; a quiet check after a firing one reports `resolved`. */
  readonly wasFiring: boolean;
  readonly severity?: Severity;
  /** The finding's `runbook_url`; default `SWEEPER_ABSENT_RUNBOOK` (a caller may pass its absolute form). */
  readonly runbookUrl?: string;
}

/**
 * How far ahead of the watcher's clock a sweep's recording time may be and still count: the skew
 * between two instances' clocks. A later one is ignored (`latestSweep({notAfter})`).
 */
export const MAX_CLOCK_SKEW_MS = 60_000;

/** Whole seconds when exact, else one decimal: 45000 → 45, 1500 → 1.5. */
const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/**
 * Starts firing when nothing was heard for longer than `maxSilenceMs` (no sweep, and the watch
 * older than that); keeps firing until a sweep at most `maxSilenceMs` old is stored (a restarted
 * watcher's grace never resolves an alert); then reports `resolved` once, then nothing.
 * Annotations: `observed` is the age of the last sweep in seconds (since the watch began, when
 * none is stored), `threshold` the allowed silence in seconds.
 */
export function checkSweeperHeartbeat(input: SweeperHeartbeatInput): Finding | null {
  const { job, lastRecordedAt, watchingSince, now, maxSilenceMs } = input;
  const ageMs = lastRecordedAt === null ? null : Math.max(0, now - lastRecordedAt);
  const silenceMs = Math.max(0, now - Math.max(lastRecordedAt ?? watchingSince, watchingSince));
  const firing = input.wasFiring
    ? ageMs === null || ageMs > maxSilenceMs
    : silenceMs > maxSilenceMs;
  if (!firing && !input.wasFiring) return null;
  const severity = input.severity ?? 'critical';
  const observedMs = ageMs ?? silenceMs;
  const allowed = `allowed ${seconds(maxSilenceMs)} s`;
  const last = lastRecordedAt === null ? '' : new Date(lastRecordedAt).toISOString();
  let summary: string;
  if (!firing) summary = `${job}: health sweeps are recorded again (last sweep ${last})`;
  else if (lastRecordedAt === null)
    summary = `${job}: no health sweep recorded since the watch began ${seconds(silenceMs)} s ago (${allowed})`;
  else
    summary = `${job}: no health sweep recorded for ${seconds(observedMs)} s (${allowed}; last sweep ${last})`;
  return {
    alertname: SWEEPER_ABSENT,
    target: job,
    severity,
    state: firing ? 'firing' : 'resolved',
    ts: now,
    labels: { alertname: SWEEPER_ABSENT, target: job, severity },
    annotations: {
      summary,
      observed: seconds(observedMs),
      threshold: seconds(maxSilenceMs),
      runbook_url: input.runbookUrl ?? SWEEPER_ABSENT_RUNBOOK,
    },
  };
}
