import { type Check, classify } from './check.js';

/** Resident set size as a share of the instance's memory limit (Cloud Run kills at 100 %). */
export function createMemoryCheck(opts: {
  limitMb: number;
  degradedRatio: number;
  unhealthyRatio: number;
  rss?: () => number;
}): Check {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  return {
    name: 'memory',
    check() {
      const bytes = rss();
      const ratio = Math.round((bytes / (opts.limitMb * 1024 * 1024)) * 1000) / 1000;
      return {
        status: classify(ratio, opts.degradedRatio, opts.unhealthyRatio),
        value: ratio,
        degraded: opts.degradedRatio,
        unhealthy: opts.unhealthyRatio,
        detail: `rss ${Math.round(bytes / 1048576)} MB of ${opts.limitMb} MB`,
      };
    },
  };
}
