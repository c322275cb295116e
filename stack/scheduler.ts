/**
 * The local stand-in for Cloud Scheduler: it POSTs to healthSweep once per slot, with the headers
 * Cloud Scheduler's HTTP target sends (gcp-formats.md §8), so the function cannot tell the two
 * apart. Slots are multiples of the interval since the epoch, as a cron schedule's are multiples
 * of a minute; `X-CloudScheduler-ScheduleTime` is the slot, not the moment the call left, so the
 * sweep id `<job>@<slot>` is the same for any retry or restart within the slot (healthSweep
 * answers `duplicate: true` then). Like Cloud Scheduler it neither retries a failed call nor
 * catches up on slots missed while the process was stalled, and it does not wait for one call
 * to finish before the next slot.
 */
import type { Logger } from '../lib/logger.js';

export const LOCAL_SWEEP_JOB = 'local-health-sweep';

/** How long one call may take (Cloud Scheduler's attemptDeadline; its default is 3 min). */
export const ATTEMPT_DEADLINE_MS = 60_000;

/** The slot (epoch ms) that `now` falls in. */
export function slotAt(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs;
}

/** RFC 3339 as Cloud Scheduler writes it (`2024-05-01T12:05:00Z`); milliseconds only if any. */
export function scheduleTimeText(slot: number): string {
  const iso = new Date(slot).toISOString();
  return slot % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

/** The headers of one Cloud Scheduler HTTP-target call (without OIDC: local calls carry none). */
export function schedulerHeaders(job: string, slot: number): Record<string, string> {
  return {
    'User-Agent': 'Google-Cloud-Scheduler',
    'Content-Type': 'application/json',
    'X-CloudScheduler': 'true',
    'X-CloudScheduler-JobName': job,
    'X-CloudScheduler-ScheduleTime': scheduleTimeText(slot),
  };
}

/**
 * The slot after `slot` to fire next at `now`: the following one, or, if the process stalled
 * past it, the first one still ahead (missed slots are skipped, not replayed).
 */
export function nextSlot(slot: number, now: number, intervalMs: number): number {
  return Math.max(slot + intervalMs, slotAt(now, intervalMs) + intervalMs);
}

export interface LocalScheduler {
  /** Fires the current slot now, then every following slot. */
  start(): void;
  /** Skips slots until `resume` (the call in flight, if any, completes). */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Stops the timer and aborts calls in flight. */
  stop(): void;
}

interface SweepReply {
  sweepId?: string;
  duplicate?: boolean;
  targets?: { up?: boolean }[];
  findings?: unknown[];
  error?: { code?: string; message?: string };
}

export function createLocalScheduler(opts: {
  /** healthSweep's URL. */
  readonly url: string;
  readonly intervalMs: number;
  readonly job?: string;
  readonly log: Logger;
  readonly now?: () => number;
}): LocalScheduler {
  const job = opts.job ?? LOCAL_SWEEP_JOB;
  const now = opts.now ?? Date.now;
  const inFlight = new Set<AbortController>();
  let timer: NodeJS.Timeout | null = null;
  let paused = false;
  let stopped = false;

  async function call(slot: number): Promise<void> {
    const controller = new AbortController();
    inFlight.add(controller);
    const deadline = setTimeout(() => controller.abort(), ATTEMPT_DEADLINE_MS);
    const t0 = performance.now();
    const scheduleTime = scheduleTimeText(slot);
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: schedulerHeaders(job, slot),
        body: '{}',
        signal: controller.signal,
      });
      const text = await res.text();
      let reply: SweepReply = {};
      try {
        reply = JSON.parse(text) as SweepReply;
      } catch {
        // healthSweep always answers JSON; anything else is reported by status
      }
      const durationMs = Math.round(performance.now() - t0);
      if (res.ok) {
        opts.log.info(
          {
            event: 'scheduler.sweep',
            job,
            scheduleTime,
            sweepId: reply.sweepId,
            status: res.status,
            duplicate: reply.duplicate === true,
            targets: reply.targets?.length ?? 0,
            down: reply.targets?.filter((t) => t.up === false).length ?? 0,
            findings: reply.findings?.length ?? 0,
            durationMs,
          },
          `${job} ${scheduleTime}: ${res.status}${reply.duplicate ? ' (duplicate)' : ''}`,
        );
      } else {
        opts.log.warn(
          {
            event: 'scheduler.failed',
            job,
            scheduleTime,
            status: res.status,
            code: reply.error?.code,
            error: reply.error?.message ?? text.slice(0, 200),
            durationMs,
          },
          `${job} ${scheduleTime}: healthSweep answered ${res.status}${reply.error ? ` ${reply.error.code}: ${reply.error.message}` : ''}`,
        );
      }
    } catch (e) {
      if (stopped) return;
      opts.log.warn(
        { event: 'scheduler.failed', job, scheduleTime, error: String(e) },
        `${job} ${scheduleTime}: call failed: ${String(e)}`,
      );
    } finally {
      clearTimeout(deadline);
      inFlight.delete(controller);
    }
  }

  function fire(slot: number): void {
    if (stopped) return;
    if (!paused) void call(slot);
    const next = nextSlot(slot, now(), opts.intervalMs);
    timer = setTimeout(() => fire(next), Math.max(0, next - now()));
  }

  return {
    start() {
      if (timer !== null || stopped) return;
      opts.log.info(
        { event: 'scheduler.started', job, url: opts.url, intervalMs: opts.intervalMs },
        `scheduler: ${job} every ${opts.intervalMs} ms to ${opts.url}`,
      );
      fire(slotAt(now(), opts.intervalMs));
    },
    pause() {
      if (paused || stopped) return;
      paused = true;
      opts.log.warn({ event: 'scheduler.paused', job }, `scheduler paused: no ${job} calls`);
    },
    resume() {
      if (!paused || stopped) return;
      paused = false;
      opts.log.info({ event: 'scheduler.resumed', job }, 'scheduler resumed');
    },
    get paused() {
      return paused;
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      for (const c of inFlight) c.abort();
    },
  };
}
