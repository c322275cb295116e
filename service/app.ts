/**
 * `buildApp(deps)` composes the HTTP app and its connection tracker without listening and without
 * touching `process`; `service/start.ts` is the composition root that listens and drains. The
 * order is the request's: server options (http/server-options.ts), the request context hook,
 * the HTTP policy (security headers, CORS), drain and overload refusals, then the routes; the
 * request line is written after the response (http/request-log.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { AdminAccess } from './auth/admin-access.js';
import { inferenceAuth } from './auth/inference-auth.js';
import type { AppDeps, BuiltApp, InferenceRouteOptions, RouteEntry } from './deps.js';
import { ServiceError } from './errors.js';
import { errorHandler, sendError } from './http/error-reply.js';
import { httpPolicyFor, registerHttpPolicy } from './http/policy.js';
import {
  durationHeaderHook,
  refusalHook,
  requestContextHook,
  shedReasonHook,
} from './http/request-hooks.js';
import { requestLogHook } from './http/request-log.js';
import { serverOptions } from './http/server-options.js';
import { trackConnections } from './lifecycle/connections.js';
import { SERVICE_IS_DRAINING } from './lifecycle/state.js';
import { ServiceMetrics } from './observability/metrics.js';
import { ShedLogSampler } from './observability/shed-log.js';
import { registerRateLimit } from './protection/rate-limit.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerFaultRoutes } from './routes/faults.js';
import { inferenceProtocolRoutes } from './routes/inference-protocol.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerOpenApi } from './routes/openapi.js';
import { registerPredictRoutes } from './routes/predict.js';
import { registerProbeRoutes } from './routes/probes.js';
import { registerSecurityStatusRoute } from './routes/security-status.js';

export type { AppDeps, BuiltApp, RouteEntry } from './deps.js';

export function buildApp(deps: AppDeps): BuiltApp {
  const { config, lifecycle } = deps;
  const httpPolicy = httpPolicyFor(config);
  const app = Fastify(
    serverOptions({ config, log: deps.log, instanceId: deps.instanceId, httpPolicy }),
  ) as unknown as FastifyInstance;
  const connections = trackConnections(app.server);
  const metrics = new ServiceMetrics(deps.instanceId, {
    queueDepth: () => deps.getServed()?.batcher.queueDepth ?? null,
    // Read during a scrape, which is itself in flight.
    inFlight: () => Math.max(0, connections.inFlight - 1),
    modelLoaded: () => deps.getServed() !== null,
    healthStatus: () =>
      lifecycle.state === SERVICE_IS_DRAINING ? 'draining' : deps.health.snapshot().status,
    draining: () => lifecycle.phase !== 'serving',
  });
  // JSON only: a text/plain body gets 415 rather than a confusing schema error.
  app.removeContentTypeParser('text/plain');

  app.decorateRequest('inputSummary', null);
  app.decorateRequest('refusedForDrain', false);
  app.decorateRequest('shedReason', null);
  app.decorateRequest('clientKeyId', null);

  app.addHook(
    'onRequest',
    requestContextHook({
      project: config.project,
      securityHeaders: httpPolicy.securityHeaders,
      instanceId: deps.instanceId,
    }),
  );
  // After the request context hook, so a non-preflight OPTIONS is ours to answer, not a
  // malformed preflight for CORS to refuse.
  registerHttpPolicy(app, httpPolicy);
  // Drain and overload refusals run after the HTTP policy's hooks, CORS included (a plugin, so
  // its hook exists only once it has loaded): a 503 then carries the security headers and, for an
  // allowed origin, the CORS headers a browser needs to let the app read it and its Retry-After.
  // A preflight is answered by CORS before this, also while draining: it changes nothing, and the
  // request it clears is refused here.
  const refuse = refusalHook({ lifecycle, pressure: deps.pressure, metrics });
  app.after(() => app.addHook('onRequest', refuse));
  app.addHook('onSend', durationHeaderHook);
  app.addHook('onError', shedReasonHook);
  const shedLog = new ShedLogSampler(deps.log);
  app.addHook('onClose', async () => shedLog.flush());
  app.addHook('onResponse', requestLogHook({ config, lifecycle, connections, metrics, shedLog }));

  app.setNotFoundHandler((request) => {
    throw new ServiceError(
      'SVC_ERR_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });

  app.setErrorHandler(errorHandler(sendError, { bodyLimitBytes: config.http.bodyLimitBytes }));

  const limiting = registerRateLimit(app, config, metrics);
  const admin = new AdminAccess({
    adminKeys: config.auth.adminApiKeys,
    apiKeys: config.auth.apiKeys,
    metrics,
    failuresPerMinute: config.auth.adminKeyFailuresPerMinute,
  });
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  registerOpenApi(app, deps.serviceVersion);

  // Every route is declared inside one plugin, which loads after @fastify/rate-limit and
  // @fastify/swagger: both find routes through an onRoute hook, which must exist first.
  void app.register((scope, _options, done) => {
    // Shed under pressure and rate-limited per client: what every inference route carries.
    const limitHook = limiting.hook(scope);
    const inferenceRoute: InferenceRouteOptions = {
      config: { shed: true },
      ...inferenceAuth(config),
      ...(limitHook ? { onRequest: [limitHook] } : {}),
    };
    registerProbeRoutes(scope, deps, connections, admin);
    registerInfoRoutes(scope, deps);
    registerPredictRoutes(scope, deps, metrics, inferenceRoute);
    registerAdminRoutes(scope, deps, admin);
    registerSecurityStatusRoute(scope, deps, httpPolicy, limiting, admin);
    if (deps.faults) registerFaultRoutes(scope, deps.faults, admin);
    if (config.metricsEnabled) registerMetricsRoute(scope, deps, metrics, admin);
    void scope.register(inferenceProtocolRoutes(deps, metrics, inferenceRoute), { prefix: '/v2' });
    done();
  });
  return { app, connections, metrics, rateLimiting: limiting, routes, shedLog };
}
