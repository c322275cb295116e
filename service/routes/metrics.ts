/**
 * `GET /metrics`: Prometheus exposition of the service's own metrics and the process metrics.
 * A probe-class route: answered while draining (scenario 12), never counted in the HTTP metrics,
 * logged at debug. Unless `METRICS_PUBLIC`, it needs an admin key (production and staging).
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../auth/admin-access.js';
import type { AppDeps } from '../deps.js';
import type { ServiceMetrics } from '../observability/metrics.js';

export function registerMetricsRoute(
  app: FastifyInstance,
  deps: AppDeps,
  metrics: ServiceMetrics,
  admin: AdminAccess,
): void {
  const guard = deps.config.metricsPublic ? {} : { onRequest: admin.requireKey };
  app.get('/metrics', { config: { probe: true }, ...guard }, async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType()).send(text);
  });
}
