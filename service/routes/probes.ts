/**
 * Probes. No path ends in "z": Cloud Run reserves such paths. Probe endpoints are public on Cloud
 * Run, so bodies carry states and numbers, never secrets.
 *
 * | path | 200 | 503 |
 * |---|---|---|
 * | /health/live | the event loop turns (always, even while draining or overloaded) | never |
 * | /health/startup | the model loaded and a warm-up inference passed | before that |
 * | /health/ready | ready, not unhealthy, not overloaded | starting, draining, unhealthy or overloaded (+ Retry-After) |
 * | /health | healthy or degraded | unhealthy or draining |
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../auth/admin-access.js';
import type { AppDeps } from '../deps.js';
import type { ConnectionTracker } from '../lifecycle/connections.js';
import { type NotReadyReason, notReadyReason } from '../lifecycle/readiness.js';
import {
  RETRY_AFTER_S,
  SERVICE_IS_DRAINING,
  SERVICE_IS_READY,
  SERVICE_IS_STARTING,
} from '../lifecycle/state.js';
import { assess } from '../protection/pressure.js';

const probe = { config: { probe: true } } as const;

const RETRY_AFTER_BY_REASON: Readonly<Record<NotReadyReason, number>> = {
  starting: RETRY_AFTER_S.starting,
  draining: RETRY_AFTER_S.draining,
  unhealthy: RETRY_AFTER_S.starting,
  overloaded: RETRY_AFTER_S.overloaded,
};

const READY_STATUS: Readonly<Partial<Record<NotReadyReason, string>>> = {
  unhealthy: 'SERVICE_IS_UNHEALTHY',
  overloaded: 'SERVICE_IS_OVERLOADED',
};

export function registerProbeRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  connections: ConnectionTracker,
  admin: AdminAccess,
): void {
  const { lifecycle, health } = deps;

  app.get('/health/live', probe, async () => ({
    status: 'SERVICE_IS_ALIVE',
    state: lifecycle.state,
  }));

  app.get('/health/startup', probe, async (_request, reply) => {
    if (lifecycle.state === SERVICE_IS_STARTING) {
      reply.code(503).header('retry-after', String(RETRY_AFTER_S.starting));
    }
    return { status: lifecycle.state };
  });

  app.get('/health/ready', probe, async (_request, reply) => {
    const reason = notReadyReason(deps);
    if (reason === null) return { status: SERVICE_IS_READY };
    reply.code(503).header('retry-after', String(RETRY_AFTER_BY_REASON[reason]));
    return { status: READY_STATUS[reason] ?? lifecycle.state, reason };
  });

  app.get('/health', probe, async (request, reply) => {
    const snap = health.snapshot();
    const status = lifecycle.state === SERVICE_IS_DRAINING ? 'draining' : snap.status;
    if (status === 'unhealthy' || status === 'draining') reply.code(503);
    // Probes are public on Cloud Run: unless metrics are public, the check values, versions and
    // load are for admin keys only, and everyone else gets the verdict. A wrong key is counted
    // against the client like on any admin route, so this switch is no key-guessing oracle.
    if (!deps.config.metricsPublic && !admin.hasKey(request, reply)) return { status };
    const model = deps.getServed()?.model;
    return {
      status,
      checks: snap.checks,
      uptime_s: Math.round((Date.now() - lifecycle.startedAt) / 100) / 10,
      version: {
        service: deps.serviceVersion,
        model: model ? `${model.name}@${model.version}` : null,
        ...(deps.config.revision ? { revision: deps.config.revision } : {}),
      },
      // Excludes this probe itself.
      in_flight: Math.max(0, connections.inFlight - 1),
      shedding: sheddingDetails(deps),
    };
  });
}

/** Load shedding's measures and verdict, for /health's admin details. */
function sheddingDetails(deps: Pick<AppDeps, 'pressure'>) {
  const m = deps.pressure.measures();
  const p = deps.pressure.enabled ? assess(deps.pressure.limits, m) : null;
  return {
    overloaded: p === null ? null : { reason: p.reason, value: p.value, limit: p.limit },
    event_loop_delay_ms: Math.round(m.eventLoopDelayMs * 10) / 10,
    event_loop_utilization:
      m.eventLoopUtilization === null ? null : Math.round(m.eventLoopUtilization * 1000) / 1000,
    queue_depth: m.queueDepth,
  };
}
