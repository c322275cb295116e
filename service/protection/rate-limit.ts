/**
 * Per-client rate limiting of the inference routes with @fastify/rate-limit.
 *
 * - The client is the key id of a *valid* API key; anything else (no key, a random or revoked
 *   one) is the client address, so invented keys cannot mint fresh allowances and key guessing
 *   is itself limited. The address is `request.ip`, which fastify derives from X-Forwarded-For
 *   with `trustProxy: TRUST_PROXY_HOPS` (counted from the right; the left-most entry is whatever
 *   the client wrote), in its bucket (`client-address.ts`: an IPv6 /64, one shared bucket for
 *   entries that are no address).
 * - It runs at `onRequest`, before the body is read and before authentication.
 * - One bucket per client covers every inference route: /predict, /predict_batch and the Open
 *   Inference Protocol's infer routes draw on the same allowance (the SAMO-DL API counted each endpoint
 *   apart, so a client got the limit once per endpoint). Route-level `config.rateLimit` would
 *   give each route a store of its own (the plugin's `store.child` per route, in memory and in
 *   Redis), so the routes share one handler from `fastify.rateLimit()`, on the plugin's store.
 * - Buckets live in memory per instance, or in Redis (`RATE_LIMIT_REDIS_URL`) shared by all
 *   instances. A Redis outage lets requests through (logged) rather than failing them all.
 * - A refusal is 429 `SVC_ERR_RATE_LIMITED` with `Retry-After` and the draft-standard
 *   `RateLimit-Limit/Remaining/Reset` headers, which successful responses carry too.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Redis } from 'ioredis';
import { keyIdOf } from '../auth/admin-key.js';
import type { ServiceConfig } from '../config/index.js';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import { addressBucket } from './client-address.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;
export const RATE_LIMIT_CLIENTS_PER_INSTANCE = 100_000;

export interface RateLimiting {
  /** The limit the plugin enforces, or undefined when rate limiting is off. */
  readonly options: { readonly max: number; readonly timeWindow: number } | undefined;
  /**
   * Builds the onRequest hook for the inference routes, in a scope where the plugin has loaded
   * (it comes from the plugin's decorator); undefined when rate limiting is off. Build it once
   * and give every inference route that one hook: they then share a client's bucket.
   */
  readonly hook: (app: FastifyInstance) => onRequestAsyncHookHandler | undefined;
  /** `memory` or the Redis host (never its password), for /security_status. */
  readonly store: string;
  readonly redis: Redis | null;
}

/**
 * `key:<id>` for a valid API key, else `ip:<address>`. A valid key's id is kept on the request,
 * so authentication, which runs later, does not hash the key again.
 */
export function clientIdentity(config: ServiceConfig, request: FastifyRequest): string {
  const id = keyIdOf(config.auth.apiKeys, request);
  if (id === null) return `ip:${addressBucket(request.ip)}`;
  request.clientKeyId = id;
  return `key:${id}`;
}

function redisStoreName(url: string): string {
  const u = new URL(url);
  return `redis ${u.hostname}:${u.port || '6379'}`;
}

export function registerRateLimit(
  app: FastifyInstance,
  config: ServiceConfig,
  metrics: ServiceMetrics,
): RateLimiting {
  const { perMinute, redisUrl, namespace } = config.rateLimit;
  if (perMinute === 0) {
    return { options: undefined, hook: () => undefined, store: 'off', redis: null };
  }
  const options = { max: perMinute, timeWindow: RATE_LIMIT_WINDOW_MS };
  const redis = redisUrl
    ? new Redis(redisUrl, {
        // Fail fast: a request must not wait for a Redis that is down.
        connectTimeout: 1000,
        commandTimeout: 500,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: false,
      })
    : null;
  redis?.on('error', (err) => {
    app.log.warn({ event: 'rate_limit.store_error', err: err.message }, 'rate-limit Redis error');
  });
  // Commands fail fast rather than queue while Redis is away (no offline queue), so the first
  // requests would find no connection yet: start serving once it is up, or after a second.
  app.addHook('onReady', async () => {
    if (redis === null || redis.status === 'ready') return;
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    if (!ready) {
      app.log.warn(
        { event: 'rate_limit.store_unavailable' },
        'rate-limit Redis not reachable at start; requests pass unlimited until it is',
      );
    }
  });
  app.addHook('onClose', async () => {
    if (redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
  });
  void app.register(rateLimit, {
    global: false,
    ...options,
    hook: 'onRequest',
    ...(redis ? { redis, nameSpace: namespace } : {}),
    skipOnError: true,
    // Buckets held per instance (memory store): past this many clients in a window the least
    // recently seen are forgotten and start again from zero. The plugin's default of 5,000 is
    // within reach of one busy public instance; 100,000 entries cost ~20 MB at most.
    cache: RATE_LIMIT_CLIENTS_PER_INSTANCE,
    enableDraftSpec: true,
    keyGenerator: (request) => clientIdentity(config, request),
    errorResponseBuilder: (_request, context) =>
      new ServiceError(
        'SVC_ERR_RATE_LIMITED',
        `this client used its ${context.max} requests per minute; retry in ${context.after}`,
      ),
    onExceeded: () => metrics.rateLimited.inc(),
  });
  return {
    options,
    // `rateLimit()` without options runs on the plugin's own store and limit.
    hook: (scope) => scope.rateLimit() as onRequestAsyncHookHandler,
    store: redisUrl ? redisStoreName(redisUrl) : 'memory',
    redis,
  };
}
