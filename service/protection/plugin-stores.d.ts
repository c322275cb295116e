/**
 * Types for the two stores @fastify/rate-limit ships but does not type, which the fallback store
 * (fallback-store.ts) puts one in front of the other. Their `incr` is the plugin's store
 * contract (`FastifyRateLimitStore`).
 */
declare module '@fastify/rate-limit/store/RedisStore.js' {
  import type { FastifyRateLimitStore } from '@fastify/rate-limit';
  import type { Redis } from 'ioredis';

  const RedisStore: new (
    continueExceeding: boolean,
    exponentialBackoff: boolean,
    redis: Redis,
    key?: string,
  ) => Pick<FastifyRateLimitStore, 'incr'>;
  export default RedisStore;
}

declare module '@fastify/rate-limit/store/LocalStore.js' {
  import type { FastifyRateLimitStore } from '@fastify/rate-limit';

  const LocalStore: new (
    continueExceeding: boolean,
    exponentialBackoff: boolean,
    cache?: number,
  ) => Pick<FastifyRateLimitStore, 'incr'>;
  export default LocalStore;
}
