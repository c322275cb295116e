/**
 * The sweeper's heartbeat watch, run by the local stack's supervisor on its own timer as the
 * stand-in for the alert engine's tick (the sweeper cannot report its own absence). Each tick
 * reads the newest stored sweep by the time it was recorded (never its schedule time, which the
 * caller chose), runs the pure check (alerts/trends/sweeper-heartbeat.ts),
 * records a finding in the store under the id `heartbeat@<tick time>` and logs it as
 * `heartbeat.finding`. Whether the alert was firing survives restarts: it is read back from the
 * store's findings when the watch starts.
 */
import type { TrendStore } from '../alerts/store/store.js';
import {
  checkSweeperHeartbeat,
  MAX_CLOCK_SKEW_MS,
  SWEEPER_ABSENT,
} from '../alerts/trends/sweeper-heartbeat.js';
import type { Logger } from '../lib/logger.js';

export interface HeartbeatWatch {
  start(): Promise<void>;
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
}

export function createHeartbeatWatch(opts: {
  readonly store: TrendStore;
  /** The sweep job watched; the finding's target. */
  readonly job: string;
  readonly everyMs: number;
  readonly maxSilenceMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}): HeartbeatWatch {
  const now = opts.now ?? Date.now;
  let watchingSince = 0;
  let wasFiring = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> = Promise.resolve();
  let stopped = false;

  async function tick(): Promise<void> {
    const t = now();
    try {
      const latest = await opts.store.latestSweep({ notAfter: t + MAX_CLOCK_SKEW_MS });
      const finding = checkSweeperHeartbeat({
        job: opts.job,
        lastRecordedAt: latest?.recordedAt ?? null,
        watchingSince,
        now: t,
        maxSilenceMs: opts.maxSilenceMs,
        wasFiring,
      });
      if (finding === null) return;
      await opts.store.recordFindings([finding], `heartbeat@${new Date(t).toISOString()}`);
      wasFiring = finding.state === 'firing';
      const fields = { event: 'heartbeat.finding', ...finding };
      if (wasFiring) opts.log.error(fields, finding.annotations.summary);
      else opts.log.info(fields, finding.annotations.summary);
    } catch (e) {
      opts.log.warn(
        { event: 'heartbeat.failed', err: e },
        `heartbeat check failed: ${String(e)}; retried next tick`,
      );
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().then(schedule);
    }, opts.everyMs);
  }

  return {
    async start() {
      watchingSince = now();
      const previous = (await opts.store.findings({ target: opts.job })).filter(
        (f) => f.alertname === SWEEPER_ABSENT,
      );
      wasFiring = previous.at(-1)?.state === 'firing';
      opts.log.info(
        {
          event: 'heartbeat.started',
          job: opts.job,
          everyMs: opts.everyMs,
          maxSilenceMs: opts.maxSilenceMs,
          firing: wasFiring,
        },
        `heartbeat: ${SWEEPER_ABSENT} after ${opts.maxSilenceMs} ms without a ${opts.job} sweep`,
      );
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await ticking;
    },
  };
}
