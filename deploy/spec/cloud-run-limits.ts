/**
 * Cloud Run's limits that a service spec must stay within, and the check of a resolved
 * configuration and its probes against them. Sources: the container contract and the health
 * check, CPU and memory pages of Cloud Run's documentation (shared/reference
 * cloud-run-and-drain.md §2). Where two copies of a page disagree, the stricter figure is kept:
 * a startup probe's failureThreshold × periodSeconds is held to 240 s, not 600 s.
 */
import { PLATFORM_DRAIN_LIMIT_MS, type ServiceConfig } from '../../service/config/index.js';
import { SpecError } from './errors.js';
import type { ServiceProbes } from './probes.js';

export const CLOUD_RUN_LIMITS = {
  /** The CPU counts an instance may have (fractions below 1 aside). */
  cpus: [1, 2, 4, 6, 8],
  /** The most memory each CPU count allows, in MiB. */
  maxMemoryMbByCpu: { 1: 4096, 2: 8192, 4: 16384, 6: 24576, 8: 32768 } as Readonly<
    Record<number, number>
  >,
  /** The least memory each CPU count needs, in MiB. */
  minMemoryMbByCpu: { 4: 2048, 6: 4096, 8: 4096 } as Readonly<Record<number, number>>,
  /** The second-generation execution environment's minimum memory, in MiB. */
  minMemoryMbGen2: 512,
  maxConcurrency: 1000,
  maxTimeoutSeconds: 3600,
  /** SIGTERM to SIGKILL, fixed. */
  sigtermWindowMs: 10_000,
  startupProbe: { maxPeriodSeconds: 240, maxTimeoutSeconds: 240, maxWindowSeconds: 240 },
  livenessProbe: { maxPeriodSeconds: 3600, maxTimeoutSeconds: 3600 },
} as const;

/** Every way `config` and `probes` exceed Cloud Run's limits, one sentence each. */
export function cloudRunLimitProblems(config: ServiceConfig, probes: ServiceProbes): string[] {
  const L = CLOUD_RUN_LIMITS;
  const problems: string[] = [];
  const { cpuLimit: cpu, memoryLimitMb: memory } = config.resources;
  if (!(L.cpus as readonly number[]).includes(cpu)) {
    problems.push(`CPU_LIMIT=${cpu}: Cloud Run offers ${L.cpus.join(', ')} CPUs`);
  } else {
    const max = L.maxMemoryMbByCpu[cpu] as number;
    const min = Math.max(L.minMemoryMbByCpu[cpu] ?? 0, L.minMemoryMbGen2);
    if (memory > max) {
      problems.push(`MEMORY_LIMIT_MB=${memory}: at most ${max} MiB with ${cpu} CPU`);
    } else if (memory < min) {
      problems.push(`MEMORY_LIMIT_MB=${memory}: at least ${min} MiB with ${cpu} CPU`);
    }
  }
  if (config.resources.concurrency > L.maxConcurrency) {
    problems.push(`CONCURRENCY=${config.resources.concurrency}: at most ${L.maxConcurrency}`);
  }
  if (config.resources.timeoutSeconds > L.maxTimeoutSeconds) {
    problems.push(
      `TIMEOUT_SECONDS=${config.resources.timeoutSeconds}: at most ${L.maxTimeoutSeconds}`,
    );
  }
  const drainLimit = PLATFORM_DRAIN_LIMIT_MS['cloud-run'] ?? L.sigtermWindowMs;
  const { preCloseDelayMs, timeoutMs, handlersTimeoutMs } = config.drain;
  const drain = preCloseDelayMs + timeoutMs + handlersTimeoutMs;
  if (drainLimit > L.sigtermWindowMs || drain >= drainLimit) {
    problems.push(
      `DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS = ${drain} ms: below ${Math.min(drainLimit, L.sigtermWindowMs)} ms, inside Cloud Run's ${L.sigtermWindowMs / 1000} s from SIGTERM to SIGKILL`,
    );
  }
  const s = probes.startup;
  const sl = L.startupProbe;
  if (s.periodSeconds < 1 || s.periodSeconds > sl.maxPeriodSeconds) {
    problems.push(`startup probe periodSeconds=${s.periodSeconds}: 1 to ${sl.maxPeriodSeconds}`);
  }
  if (s.timeoutSeconds < 1 || s.timeoutSeconds > Math.min(s.periodSeconds, sl.maxTimeoutSeconds)) {
    problems.push(
      `startup probe timeoutSeconds=${s.timeoutSeconds}: 1 to periodSeconds (${s.periodSeconds})`,
    );
  }
  if (s.failureThreshold * s.periodSeconds > sl.maxWindowSeconds) {
    problems.push(
      `startup probe failureThreshold x periodSeconds = ${s.failureThreshold * s.periodSeconds} s: at most ${sl.maxWindowSeconds} s`,
    );
  }
  const v = probes.liveness;
  const ll = L.livenessProbe;
  if (v.periodSeconds < 1 || v.periodSeconds > ll.maxPeriodSeconds) {
    problems.push(`liveness probe periodSeconds=${v.periodSeconds}: 1 to ${ll.maxPeriodSeconds}`);
  }
  if (v.timeoutSeconds < 1 || v.timeoutSeconds > Math.min(v.periodSeconds, ll.maxTimeoutSeconds)) {
    problems.push(
      `liveness probe timeoutSeconds=${v.timeoutSeconds} (from EVENT_LOOP_DELAY_UNHEALTHY_MS=${config.health.eventLoopUnhealthyMs}): 1 to periodSeconds (${v.periodSeconds})`,
    );
  }
  return problems;
}

/** SPEC_ERR_LIMIT naming every problem, unless there is none. */
export function checkCloudRunLimits(
  environment: string,
  config: ServiceConfig,
  probes: ServiceProbes,
): void {
  const problems = cloudRunLimitProblems(config, probes);
  if (problems.length > 0) {
    throw new SpecError(
      'SPEC_ERR_LIMIT',
      `environment ${environment}: settings outside Cloud Run's limits`,
      { problems },
    );
  }
}
