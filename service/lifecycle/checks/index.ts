import type { ServiceConfig } from '../../config/index.js';
import type { Model } from '../../model/model.js';
import type { Check } from './check.js';
import { createCpuCheck } from './cpu.js';
import { createEventLoopDelayCheck } from './event-loop-delay.js';
import { createMemoryCheck } from './memory.js';
import { createModelLoadedCheck } from './model-loaded.js';

/** The checks the service ships, built from its configuration. */
export function createDefaultChecks(config: ServiceConfig, getModel: () => Model | null): Check[] {
  return [
    createModelLoadedCheck(getModel),
    createEventLoopDelayCheck({
      degradedMs: config.health.eventLoopDegradedMs,
      unhealthyMs: config.health.eventLoopUnhealthyMs,
    }),
    createMemoryCheck({
      limitMb: config.resources.memoryLimitMb,
      degradedRatio: config.health.memoryDegradedRatio,
      unhealthyRatio: config.health.memoryUnhealthyRatio,
    }),
    createCpuCheck({
      cpuLimit: config.resources.cpuLimit,
      degradedRatio: config.health.cpuDegradedRatio,
    }),
  ];
}
