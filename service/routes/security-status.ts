/**
 * `GET /security_status` (admin key): the *effective* protection settings, read from the objects
 * that enforce them — the options the CORS plugin was registered with, the security headers set
 * on every response, the rate limiter's route options and store (and whether it is falling back
 * to memory because Redis does not answer), the pressure monitor's limits, and the live HTTP
 * server's timeouts and body limit — so the report cannot say one thing while the service does
 * another. Secrets appear only as key ids.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../auth/admin-access.js';
import type { AppDeps } from '../deps.js';
import type { HttpPolicy } from '../http/policy.js';
import type { RateLimiting } from '../protection/rate-limit.js';

function originsOf(origin: unknown): string[] {
  if (origin === false || origin === undefined) return [];
  const list = Array.isArray(origin) ? origin : [origin];
  return list.map((o) => (o instanceof RegExp ? `regex:${o.source}` : String(o)));
}

export function registerSecurityStatusRoute(
  app: FastifyInstance,
  deps: AppDeps,
  policy: HttpPolicy,
  limiting: RateLimiting,
  admin: AdminAccess,
): void {
  const { config } = deps;
  app.get('/security_status', { onRequest: admin.requireKey }, async () => {
    const server = app.server;
    const rate = limiting.options;
    const perMinute = rate?.max ?? 0;
    // Falling back to memory while Redis does not answer makes the limit per instance, for now.
    const fallback = limiting.fallback();
    const shared = limiting.store.startsWith('redis') && fallback?.active !== true;
    return {
      auth: {
        mode: config.auth.mode,
        api_keys: config.auth.apiKeys.reference,
        admin_keys: config.auth.adminApiKeys.reference,
      },
      rate_limit: {
        enabled: rate !== undefined,
        per_minute: perMinute,
        window_ms: rate?.timeWindow ?? 0,
        store: limiting.store,
        fallback:
          fallback === null
            ? null
            : {
                active: fallback.active,
                since: fallback.since === null ? null : new Date(fallback.since).toISOString(),
                checks_in_memory: fallback.checks,
              },
        scope: shared ? 'all instances' : 'per instance',
        effective_per_client_per_minute: shared
          ? perMinute
          : `${perMinute} x instances (up to ${perMinute * config.resources.maxInstances} at MAX_INSTANCES ${config.resources.maxInstances})`,
        client_identity: 'API key id when valid, else the client address',
        trust_proxy_hops: config.rateLimit.trustProxyHops,
      },
      cors: {
        origins: originsOf(policy.cors.origin),
        methods: policy.cors.methods,
        allowed_headers: policy.cors.allowedHeaders,
        exposed_headers: policy.cors.exposedHeaders,
        max_age_s: policy.cors.maxAge,
      },
      headers: policy.securityHeaders,
      body_limit_bytes: app.initialConfig.bodyLimit,
      timeouts_ms: {
        headers: server.headersTimeout,
        request: server.requestTimeout,
        keep_alive: server.keepAliveTimeout,
        connections_check_interval: config.http.connectionsCheckIntervalMs,
      },
      shedding: deps.pressure.limits,
      metrics: { enabled: config.metricsEnabled, public: config.metricsPublic },
    };
  });
}
