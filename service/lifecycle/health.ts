/**
 * Runs the health checks on an `unref`'d interval and caches the result, so probes answer from
 * memory in microseconds and a slow check never makes a probe time out. A check that throws or
 * passes its deadline counts as unhealthy and is logged; it never crashes the process.
 */
import type { Logger } from '../../lib/logger.js';
import type { Check, CheckResult, HealthStatus } from './checks/check.js';

export interface HealthSnapshot {
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, CheckResult>>;
  readonly checkedAt: number;
}

export interface HealthMonitor {
  snapshot(): HealthSnapshot;
  /** Runs every check now and caches the result. */
  runNow(): Promise<HealthSnapshot>;
  start(): void;
  stop(): void;
}

/** Unhealthy dominates degraded, degraded dominates healthy (the SAMO-DL API had this reversed). */
export function overallStatus(results: readonly CheckResult[]): HealthStatus {
  if (results.some((r) => r.status === 'unhealthy')) return 'unhealthy';
  if (results.some((r) => r.status === 'degraded')) return 'degraded';
  return 'healthy';
}

export function createHealthMonitor(opts: {
  checks: readonly Check[];
  intervalMs: number;
  timeoutMs: number;
  log: Logger;
  now?: () => number;
}): HealthMonitor {
  const { checks, log } = opts;
  const now = opts.now ?? Date.now;
  let current: HealthSnapshot = {
    status: 'unhealthy',
    checks: Object.fromEntries(checks.map((c) => [c.name, failed('not checked yet')] as const)),
    checkedAt: 0,
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<HealthSnapshot> | null = null;

  const runOne = async (c: Check): Promise<CheckResult> => {
    let deadline: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() => c.check()),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`check did not answer within ${opts.timeoutMs} ms`)),
            opts.timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      log.error(
        { event: 'health.check.failed', check: c.name, err },
        `health check ${c.name} failed`,
      );
      return failed(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(deadline);
    }
  };

  const runNow = (): Promise<HealthSnapshot> => {
    // Overlapping runs would reset the event-loop histogram twice; share the one in progress.
    running ??= (async () => {
      const results = await Promise.all(checks.map(runOne));
      const previous = current.status;
      current = {
        status: overallStatus(results),
        checks: Object.fromEntries(checks.map((c, i) => [c.name, results[i] as CheckResult])),
        checkedAt: now(),
      };
      if (current.status !== previous && current.checkedAt !== 0) {
        log.info(
          { event: 'health.changed', from: previous, to: current.status },
          `health is ${current.status}`,
        );
      }
      return current;
    })().finally(() => {
      running = null;
    });
    return running;
  };

  return {
    snapshot: () => current,
    runNow,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        void runNow();
      }, opts.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const c of checks) c.close?.();
    },
  };
}

function failed(detail: string): CheckResult {
  return { status: 'unhealthy', value: null, degraded: null, unhealthy: null, detail };
}
