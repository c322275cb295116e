/**
 * The health checks behind /health and the readiness probe (service/lifecycle/checks/): how often
 * they run, and the memory, event-loop and CPU levels at which each turns degraded or unhealthy.
 */
import { decimal, integer } from '../../lib/config/formats.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';

export const healthSettings = {
  health: {
    intervalMs: setting({
      env: 'HEALTH_CHECK_INTERVAL_MS',
      doc: 'How often the health checks run; probes read the cached result.',
      format: integer(100, 300000),
      default: 5000,
    }),
    checkTimeoutMs: setting({
      env: 'HEALTH_CHECK_TIMEOUT_MS',
      doc: 'Deadline for one health check; a check past it counts as unhealthy.',
      format: integer(10, 60000),
      default: 1000,
    }),
    memoryDegradedRatio: setting({
      env: 'MEMORY_DEGRADED_RATIO',
      doc: 'RSS / MEMORY_LIMIT_MB above which the memory check is degraded.',
      format: decimal(0.01, 1),
      default: 0.75,
    }),
    memoryUnhealthyRatio: setting({
      env: 'MEMORY_UNHEALTHY_RATIO',
      doc: 'RSS / MEMORY_LIMIT_MB above which the memory check is unhealthy.',
      format: decimal(0.01, 1),
      default: 0.9,
    }),
    eventLoopDegradedMs: setting({
      env: 'EVENT_LOOP_DELAY_DEGRADED_MS',
      doc: 'Event-loop delay p99 (ms, per check interval) above which the check is degraded.',
      format: integer(1, 60000),
      default: 200,
    }),
    eventLoopUnhealthyMs: setting({
      env: 'EVENT_LOOP_DELAY_UNHEALTHY_MS',
      doc: 'Event-loop delay p99 (ms, per check interval) above which the check is unhealthy.',
      format: integer(1, 60000),
      default: 1000,
    }),
    cpuDegradedRatio: setting({
      env: 'CPU_DEGRADED_RATIO',
      doc: 'Process CPU time / (interval x CPU_LIMIT) above which the CPU check is degraded. High CPU alone never makes the service unhealthy.',
      format: decimal(0.01, 1),
      default: 0.8,
    }),
  },
};

export type HealthConfig = ValuesOf<typeof healthSettings>;

export function checkHealth({ health }: HealthConfig, report: ConfigReport): void {
  if (health.memoryDegradedRatio >= health.memoryUnhealthyRatio) {
    report.refuse(
      'MEMORY_DEGRADED_RATIO',
      String(health.memoryDegradedRatio),
      `less than MEMORY_UNHEALTHY_RATIO (${health.memoryUnhealthyRatio})`,
    );
  }
  if (health.eventLoopDegradedMs >= health.eventLoopUnhealthyMs) {
    report.refuse(
      'EVENT_LOOP_DELAY_DEGRADED_MS',
      String(health.eventLoopDegradedMs),
      `less than EVENT_LOOP_DELAY_UNHEALTHY_MS (${health.eventLoopUnhealthyMs})`,
    );
  }
}
