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
 *   instances. While Redis does not answer (down, or hung), checks are made in this instance's
 *   memory instead (fallback-store.ts): requests are neither failed nor let through unlimited.
 * - A refusal is 429 `SVC_ERR_RATE_LIMITED` with `Retry-After` and the draft-standard
 *   `RateLimit-Limit/Remaining/Reset` headers, which successful responses carry too.
 */
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';
import { keyIdOf } from '../auth/admin-key.js';
import type { ServiceConfig } from '../config/index.js';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import { addressBucket } from './client-address.js';
import { type FallbackState, FallbackStore } from './fallback-store.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;
export const RATE_LIMIT_CLIENTS_PER_INSTANCE = 100_000;
/** While falling back, how often Redis is probed. */
export const RATE_LIMIT_REDIS_PROBE_MS = 1000;
/** While falling back, how often a summary of the checks made in memory is logged. */
export const RATE_LIMIT_FALLBACK_SUMMARY_MS = 60_000;

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
  /** With Redis: whether checks are being made in memory because it does not answer; else null. */
  readonly fallback: () => FallbackState | null;
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
  const { perMinute, redisUrl, namespace, redisTimeoutMs } = config.rateLimit;
  if (perMinute === 0) {
    return {
      options: undefined,
      hook: () => undefined,
      store: 'off',
      redis: null,
      fallback: () => null,
    };
  }
  const options = { max: perMinute, timeWindow: RATE_LIMIT_WINDOW_MS };
  const shared = redisUrl
    ? sharedStore(app, { redisUrl, namespace, redisTimeoutMs }, metrics)
    : null;
  void app.register(rateLimit, {
    global: false,
    ...options,
    hook: 'onRequest',
    // The store answers every check itself (Redis, else memory); should it ever fail, let the
    // request through rather than fail it.
    ...(shared ? { store: shared.ctor } : {}),
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
    redis: shared?.redis ?? null,
    fallback: () => shared?.store.state() ?? null,
  };
}

/** Redis behind the fallback store, with the hooks that start and stop them with the app. */
function sharedStore(
  app: FastifyInstance,
  {
    redisUrl,
    namespace,
    redisTimeoutMs,
  }: { redisUrl: string; namespace: string; redisTimeoutMs: number },
  metrics: ServiceMetrics,
) {
  const redis = new Redis(redisUrl, {
    // Fail fast: no command waits for a connection (no offline queue), none waits long for an
    // answer, and the first that fails sends checks to memory (fallback-store.ts).
    connectTimeout: 1000,
    commandTimeout: redisTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  redis.on('error', (err) => {
    app.log.warn({ event: 'rate_limit.store_error', err: err.message }, 'rate-limit Redis error');
  });
  const storeName = redisStoreName(redisUrl);
  const store = new FallbackStore({
    primary: new RedisStore(false, false, redis, namespace),
    fallback: new LocalStore(false, false, RATE_LIMIT_CLIENTS_PER_INSTANCE),
    storeName,
    log: app.log as Logger,
    metrics,
    probeIntervalMs: RATE_LIMIT_REDIS_PROBE_MS,
    summaryIntervalMs: RATE_LIMIT_FALLBACK_SUMMARY_MS,
  });
  // The plugin builds its store with `new`; a constructor that returns an object yields it.
  const ctor = function FallbackStoreCtor() {
    return store;
  } as unknown as FastifyRateLimitStoreCtor;
  // Commands fail at once while Redis is not connected, so the first requests would find no
  // connection yet: start serving once it is up, or after a second, in memory until it is.
  app.addHook('onReady', async () => {
    if (redis.status === 'ready') return;
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    if (!ready) store.fallBack('not reachable at start');
  });
  app.addHook('onClose', async () => {
    store.close();
    if (redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
  });
  return { redis, store, ctor };
}
