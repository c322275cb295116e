/**
 * The local stand-in for Cloud Scheduler: one job POSTs to one function (healthSweep, alertTick)
 * once per slot, with the headers
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
export const LOCAL_TICK_JOB = 'local-alert-tick';

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

/** The parsed JSON answer of a function (an empty object when it was not JSON). */
type Reply = Record<string, unknown>;

/** A function the scheduler calls: its name, the event a call is logged as, and what is logged. */
export interface ScheduledFunction {
  /** The function's name, for messages (`healthSweep answered 500`). */
  readonly name: string;
  /** The event of a successful call (`scheduler.sweep`). */
  readonly event: string;
  /** The fields a successful call's log line carries, from the function's answer. */
  summarise(reply: Reply): Record<string, unknown>;
  /** A short note appended to the log message, if any (`(duplicate)`). */
  note?(reply: Reply): string;
}

const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/** healthSweep: `scheduler.sweep` with the sweep id, whether a duplicate, targets down, findings. */
export const SWEEP_FUNCTION: ScheduledFunction = {
  name: 'healthSweep',
  event: 'scheduler.sweep',
  summarise: (reply) => ({
    sweepId: reply.sweepId,
    duplicate: reply.duplicate === true,
    targets: list(reply.targets).length,
    down: list(reply.targets).filter((t) => t.up === false).length,
    findings: list(reply.findings).length,
  }),
  note: (reply) => (reply.duplicate === true ? ' (duplicate)' : ''),
};

/** alertTick: `scheduler.tick` with the groups flushed and notified, deliveries, the heartbeat. */
export const TICK_FUNCTION: ScheduledFunction = {
  name: 'alertTick',
  event: 'scheduler.tick',
  summarise: (reply) => {
    const flushed = list(reply.flushed);
    const deliveries = record(reply.deliveries);
    return {
      flushed: flushed.length,
      notified: flushed.filter((f) => f.reason !== null && f.reason !== undefined).length,
      delivered: deliveries.delivered ?? 0,
      retrying: deliveries.retrying ?? 0,
      heartbeat: record(reply.heartbeat).state ?? null,
      failedSteps: Object.keys(record(reply.failed)),
    };
  },
};

export function createLocalScheduler(opts: {
  /** The function's URL. */
  readonly url: string;
  /** What is called: healthSweep (the default) or alertTick. */
  readonly target?: ScheduledFunction;
  readonly intervalMs: number;
  /** The job name (X-CloudScheduler-JobName); default LOCAL_SWEEP_JOB. */
  readonly job?: string;
  readonly log: Logger;
  readonly now?: () => number;
}): LocalScheduler {
  const job = opts.job ?? LOCAL_SWEEP_JOB;
  const target = opts.target ?? SWEEP_FUNCTION;
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
      let reply: Reply = {};
      try {
        reply = record(JSON.parse(text));
      } catch {
        // the functions always answer JSON; anything else is reported by status
      }
      const durationMs = Math.round(performance.now() - t0);
      if (res.ok) {
        opts.log.info(
          {
            event: target.event,
            job,
            scheduleTime,
            status: res.status,
            ...target.summarise(reply),
            durationMs,
          },
          `${job} ${scheduleTime}: ${res.status}${target.note?.(reply) ?? ''}`,
        );
      } else {
        const error = record(reply.error);
        const detail =
          error.code === undefined ? '' : ` ${String(error.code)}: ${String(error.message)}`;
        opts.log.warn(
          {
            event: 'scheduler.failed',
            job,
            scheduleTime,
            status: res.status,
            code: error.code,
            error: error.message ?? text.slice(0, 200),
            durationMs,
          },
          `${job} ${scheduleTime}: ${target.name} answered ${res.status}${detail}`,
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
