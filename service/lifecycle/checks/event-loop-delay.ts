import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Check, classify } from './check.js';

/**
 * Event-loop delay p99 (ms) since the previous check, sampled at 10 ms resolution (the cost
 * prom-client#523 warns about is for far finer resolutions and scrape rates).
 */
export function createEventLoopDelayCheck(opts: {
  degradedMs: number;
  unhealthyMs: number;
}): Check {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    name: 'event_loop_delay',
    check() {
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
      histogram.reset();
      const value = Math.round(p99 * 10) / 10;
      return {
        status: classify(value, opts.degradedMs, opts.unhealthyMs),
        value,
        degraded: opts.degradedMs,
        unhealthy: opts.unhealthyMs,
        detail: `event-loop delay p99 ${value} ms since the last check`,
      };
    },
    close() {
      histogram.disable();
    },
  };
}
