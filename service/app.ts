/**
 * `buildApp(deps)` builds the HTTP app and its connection tracker without listening and without
 * touching `process`; `service/start.ts` is the composition root that listens and drains.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type onRequestAsyncHookHandler,
  type onRequestHookHandler,
} from 'fastify';
import type { Logger } from '../lib/logger.js';
import { traceFields } from '../lib/trace.js';
import { inferenceAuth } from './auth/inference-auth.js';
import type { ServiceConfig } from './config/index.js';
import { ServiceError } from './errors.js';
import type { FaultInjector } from './faults/fault-injector.js';
import { clientErrorHandler } from './http/client-error.js';
import { errorHandler, sendError } from './http/error-reply.js';
import { httpPolicyFor, registerHttpPolicy } from './http/policy.js';
import type { ServedModel } from './inference/served-model.js';
import { type ConnectionTracker, trackConnections } from './lifecycle/connections.js';
import type { HealthMonitor } from './lifecycle/health.js';
import { type Lifecycle, SERVICE_IS_DRAINING } from './lifecycle/state.js';
import { ServiceMetrics } from './observability/metrics.js';
import { ShedLogSampler } from './observability/shed-log.js';
import { describePressure, type PressureMonitor } from './protection/pressure.js';
import { type RateLimiting, registerRateLimit } from './protection/rate-limit.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerFaultRoutes } from './routes/faults.js';
import { inferenceProtocolRoutes } from './routes/inference-protocol.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerOpenApi } from './routes/openapi.js';
import { registerPredictRoutes } from './routes/predict.js';
import { registerProbeRoutes } from './routes/probes.js';
import { registerSecurityStatusRoute } from './routes/security-status.js';

export interface AppDeps {
  readonly config: ServiceConfig;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly health: HealthMonitor;
  /** Load shedding's measures; inference routes are refused and readiness fails under pressure. */
  readonly pressure: PressureMonitor;
  /** The loaded, warmed-up model and its batcher, or null until then. */
  readonly getServed: () => ServedModel | null;
  readonly serviceVersion: string;
  /** The model's fault switch, when fault injection is enabled (development only). */
  readonly faults?: FaultInjector;
  /** This process's `instance` label and `X-Instance-Id` (see observability/metrics.ts). */
  readonly instanceId: string;
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly connections: ConnectionTracker;
  readonly metrics: ServiceMetrics;
  readonly rateLimiting: RateLimiting;
  /** Sampled request logs of shed requests; flushed by the drain before the logs. */
  readonly shedLog: ShedLogSampler;
  /** Every route declared, as fastify saw it (HEAD twins of GET routes included). */
  readonly routes: readonly RouteEntry[];
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

/**
 * Route options every inference route carries, in one object so no two sources of hooks can
 * overwrite each other: shedding on (`config.shed`), the API-key check under AUTH_MODE=api-key
 * (`preParsing`), and the rate-limit hook when there is a limit (one hook, so all inference
 * routes share a client's bucket).
 */
export type InferenceRouteOptions = ReturnType<typeof inferenceAuth> & {
  readonly config: { readonly shed: true };
  readonly onRequest?: onRequestAsyncHookHandler[];
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probes and /metrics: still answered while draining, logged at debug, not counted. */
    probe?: boolean;
    /** Inference routes: refused with 503 SVC_ERR_OVERLOADED while the instance is under pressure. */
    shed?: boolean;
  }
  interface FastifyRequest {
    /** Length and hash of each input text, for the request log (never the text itself). */
    inputSummary: { length: number; sha256: string }[] | null;
    /** Refused because the instance was closing (not a drained request). */
    refusedForDrain: boolean;
    /**
     * Why it was shed (503 SVC_ERR_OVERLOADED), null if it was not: the pressure reason, or
     * queue_full for the batcher's own refusal. A shed request's connection is held back after
     * the reply, and its request line is sampled (observability/shed-log.ts).
     */
    shedReason: string | null;
  }
}

export function buildApp(deps: AppDeps): BuiltApp {
  const { config, lifecycle } = deps;
  const httpPolicy = httpPolicyFor(config);
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Request lines are ours (onResponse below), shaped for Cloud Logging.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // request.ip is the client address TRUST_PROXY_HOPS from the right of X-Forwarded-For.
    // (proxy-addr's hop-count trust, which fastify's types do not list as a number.)
    trustProxy: (_address: string, hop: number) => hop < config.rateLimit.trustProxyHops,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    // Node checks headersTimeout and requestTimeout only every connectionsCheckingInterval
    // (30 s by default), which would let a slow client hold a socket that long.
    serverFactory: (handler) =>
      http.createServer(
        {
          // fastify sets its own keepAliveTimeout only on a server it creates, not on this one.
          keepAliveTimeout: config.http.keepAliveTimeoutMs,
          headersTimeout: config.http.headersTimeoutMs,
          requestTimeout: config.http.requestTimeoutMs,
          connectionsCheckingInterval: config.http.connectionsCheckIntervalMs,
        },
        handler,
      ),
    // The drain owns socket shutdown (service/lifecycle/connections.ts); fastify must not close
    // idle sockets or answer 503 on its own.
    forceCloseConnections: false,
    return503OnClosing: false,
    // What Node's parser refuses (malformed HTTP, huge headers, slow requests) in our shape.
    clientErrorHandler: clientErrorHandler({
      instanceId: deps.instanceId,
      headersTimeoutMs: config.http.headersTimeoutMs,
      requestTimeoutMs: config.http.requestTimeoutMs,
      securityHeaders: httpPolicy.securityHeaders,
      log: deps.log as FastifyBaseLogger,
    }),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Long enough for any model name a client may try; a longer one is still answered in our shape.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // The router's own refusals (a malformed percent-escape in the path) come before every hook;
    // answer them in the catalogue's shape, with the headers our hooks would have set.
    frameworkErrors: (error, request, reply) => {
      reply
        .headers(httpPolicy.securityHeaders)
        .header('x-request-id', request.id)
        .header('x-instance-id', deps.instanceId);
      const path = request.url.split('?')[0];
      void sendError(
        request,
        reply,
        new ServiceError(
          'SVC_ERR_NOT_FOUND',
          `no route for ${request.method} ${path} (${error.code === 'FST_ERR_BAD_URL' ? 'the path is not valid percent-encoding' : error.message})`,
        ),
      );
    },
  }) as unknown as FastifyInstance;
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

  // Hooks on every request take a callback rather than being async: an async hook costs a
  // promise and a microtask per request (bench/overload: the per-request path is the budget).
  // Refusals are passed to `done`, not thrown: fastify routes both to the route's error handler
  // (so each route family keeps its error body), but a throw unwinding through fastify's hook
  // runner made a shed request 13–22 % dearer (closed loops of 503s on two live servers, median
  // of 6 window pairs, two runs), and refusing is what an overloaded instance does thousands of
  // times a second.
  app.addHook('onRequest', (request, reply, done) => {
    const trace = traceFields(request.headers, config.project);
    if (Object.keys(trace).length > 0) request.log = request.log.child(trace);
    reply.headers(httpPolicy.securityHeaders);
    reply.header('x-request-id', request.id);
    reply.header('x-instance-id', deps.instanceId);
    // Only CORS preflights (Origin + Access-Control-Request-Method) have an OPTIONS answer;
    // anything else is a route that does not exist, not a malformed preflight.
    if (
      request.method === 'OPTIONS' &&
      (request.headers.origin === undefined ||
        request.headers['access-control-request-method'] === undefined)
    ) {
      done(
        new ServiceError(
          'SVC_ERR_NOT_FOUND',
          `no route for OPTIONS ${request.url.split('?')[0]} (not a CORS preflight)`,
        ),
      );
      return;
    }
    done();
  });

  // After our first onRequest hook, so a non-preflight OPTIONS is ours to answer, not a malformed
  // preflight for CORS to refuse.
  registerHttpPolicy(app, httpPolicy);

  // Drain and overload refusals run after the HTTP policy's hooks, CORS included (a plugin, so
  // its hook exists only once it has loaded): a 503 then carries the security headers and, for an
  // allowed origin, the CORS headers a browser needs to let the app read it and its Retry-After.
  // A preflight is answered by CORS before this, also while draining: it changes nothing, and the
  // request it clears is refused here.
  const refuseWhenClosingOrOverloaded: onRequestHookHandler = (request, _reply, done) => {
    if (lifecycle.phase === 'closing' && request.routeOptions.config.probe !== true) {
      lifecycle.noteRefused();
      request.refusedForDrain = true;
      done(
        new ServiceError('SVC_ERR_DRAINING', 'this instance is shutting down; retry the request'),
      );
      return;
    }
    // Before the body is read: refusing must cost less than the work it refuses.
    if (request.routeOptions.config.shed === true) {
      const pressure = deps.pressure.pressure();
      if (pressure !== null) {
        metrics.shed.inc({ reason: pressure.reason });
        request.shedReason = pressure.reason;
        done(new ServiceError('SVC_ERR_OVERLOADED', describePressure(pressure)));
        return;
      }
    }
    done();
  };
  app.after(() => app.addHook('onRequest', refuseWhenClosingOrOverloaded));

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-request-duration', (reply.elapsedTime / 1000).toFixed(4));
    done(null, payload);
  });

  app.addHook('onError', (request, _reply, error, done) => {
    if ((error as { code?: unknown }).code === 'SVC_ERR_OVERLOADED') {
      request.shedReason ??= 'queue_full';
    }
    done();
  });

  const shedLog = new ShedLogSampler(deps.log);
  app.addHook('onClose', async () => shedLog.flush());

  app.addHook('onResponse', (request, reply, done) => {
    afterResponse(request, reply);
    done();
  });

  /** Holds a shed connection back, records the request's metrics and writes (or samples) its log line. */
  function afterResponse(request: FastifyRequest, reply: FastifyReply): void {
    const shedReason = request.shedReason;
    if (shedReason !== null) connections.holdBack(request.raw.socket, config.shedding.holdMs);
    const probe = request.routeOptions.config.probe === true;
    if (!probe && config.metricsEnabled) {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      if (lifecycle.phase !== 'serving' && !request.refusedForDrain) metrics.drained.inc();
    }
    if (shedReason !== null && !shedLog.note(shedReason)) return;
    const fields = {
      event: 'http.request',
      httpRequest: {
        requestMethod: request.method,
        requestUrl: request.url,
        status: reply.statusCode,
        latency: `${(reply.elapsedTime / 1000).toFixed(6)}s`,
        userAgent: request.headers['user-agent'],
        remoteIp: request.ip,
        responseSize: Number(reply.getHeader('content-length') ?? 0),
        protocol: `HTTP/${request.raw.httpVersion}`,
      },
      ...(request.inputSummary ? { inputs: request.inputSummary } : {}),
    };
    const message = `${request.method} ${request.routeOptions.url ?? request.url} ${reply.statusCode}`;
    if (probe) request.log.debug(fields, message);
    // Refusals by design (shedding, draining, loading) are counted in metrics; at thousands a
    // second a WARNING line each would only add load to an overloaded instance.
    else if (reply.statusCode >= 500 && reply.statusCode !== 503) request.log.warn(fields, message);
    else request.log.info(fields, message);
  }

  app.setNotFoundHandler((request) => {
    throw new ServiceError(
      'SVC_ERR_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });

  app.setErrorHandler(errorHandler(sendError, { bodyLimitBytes: config.http.bodyLimitBytes }));

  const limiting = registerRateLimit(app, config, metrics);
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
    registerProbeRoutes(scope, deps, connections);
    registerInfoRoutes(scope, deps);
    registerPredictRoutes(scope, deps, metrics, inferenceRoute);
    registerAdminRoutes(scope, deps);
    registerSecurityStatusRoute(scope, deps, httpPolicy, limiting);
    if (deps.faults) registerFaultRoutes(scope, deps, deps.faults);
    if (config.metricsEnabled) registerMetricsRoute(scope, deps, metrics);
    void scope.register(inferenceProtocolRoutes(deps, metrics, inferenceRoute), { prefix: '/v2' });
    done();
  });
  return { app, connections, metrics, rateLimiting: limiting, routes, shedLog };
}
