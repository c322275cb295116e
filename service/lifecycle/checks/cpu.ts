import { type Check, classify } from './check.js';

/**
 * Process CPU time over wall time since the previous check, as a share of the CPU limit. Measured
 * as a delta, unlike the SAMO-DL API's first `cpu_percent()` call that always read 0. High CPU only
 * degrades: a busy inference service is working, not broken.
 */
export function createCpuCheck(opts: {
  cpuLimit: number;
  degradedRatio: number;
  cpuUsage?: () => NodeJS.CpuUsage;
  now?: () => number;
}): Check {
  const usage = opts.cpuUsage ?? (() => process.cpuUsage());
  const now = opts.now ?? (() => performance.now());
  let last = usage();
  let lastAt = now();
  return {
    name: 'cpu',
    check() {
      const current = usage();
      const at = now();
      const cpuMicros = current.user - last.user + (current.system - last.system);
      const wallMs = Math.max(at - lastAt, 1);
      last = current;
      lastAt = at;
      const ratio = Math.round((cpuMicros / 1000 / wallMs / opts.cpuLimit) * 1000) / 1000;
      return {
        status: classify(ratio, opts.degradedRatio, null),
        value: ratio,
        degraded: opts.degradedRatio,
        unhealthy: null,
        detail: `${Math.round(ratio * 100)} % of ${opts.cpuLimit} CPU since the last check`,
      };
    },
  };
}
