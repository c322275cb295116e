/**
 * The service's Cloud Run probes, from its configuration. Both are HTTP GETs on the container
 * port (service/routes/probes.ts has the paths; none ends in "z", which Cloud Run reserves).
 *
 * - startup on /health/startup: 503 until the model is loaded and a warm-up inference passed.
 *   Cloud Run treats a passing startup probe as ready, so it must mean "can serve". Every 2 s,
 *   for up to 120 s: a model loads well inside that, and a container that never gets there is
 *   replaced rather than kept half-started.
 * - liveness on /health/live: 200 whenever the event loop turns, also while draining or shed.
 *   One probe may wait one second longer than the stall the service itself calls unhealthy
 *   (EVENT_LOOP_DELAY_UNHEALTHY_MS), so only a loop stuck beyond that fails it, and three
 *   failures 10 s apart restart the instance: an overloaded instance is shed, never killed.
 */
import type { ServiceConfig } from '../../service/config/index.js';

export const PROBE_PATHS = { startup: '/health/startup', liveness: '/health/live' } as const;

export interface ProbeSpec {
  readonly path: string;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

export interface ServiceProbes {
  readonly startup: ProbeSpec;
  readonly liveness: ProbeSpec;
}

export function serviceProbes(config: ServiceConfig): ServiceProbes {
  return {
    startup: {
      path: PROBE_PATHS.startup,
      initialDelaySeconds: 0,
      periodSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 60,
    },
    liveness: {
      path: PROBE_PATHS.liveness,
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: Math.ceil(config.health.eventLoopUnhealthyMs / 1000) + 1,
      failureThreshold: 3,
    },
  };
}
