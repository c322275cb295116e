/**
 * The rate-limit store when buckets live in Redis: Redis while it answers, this instance's memory
 * while it does not.
 *
 * - A check Redis fails (a timeout after RATE_LIMIT_REDIS_TIMEOUT_MS, a refused or closed
 *   connection) is made in memory, and so is every check after it: from the first failure no
 *   request waits for Redis (a hung Redis would otherwise cost each one the whole timeout), and
 *   none passes unlimited.
 * - While falling back, a probe runs the rate-limit command itself on a key of its own every
 *   `probeIntervalMs` (not a PING: a Redis that answers PING but fails the script must not
 *   bring requests back to it); the first answer sends checks to Redis again.
 * - Skipped checks are counted (`rate_limit_store_fallback_total`, and the
 *   `rate_limit_store_fallback` gauge is 1 meanwhile) and logged sampled: one WARNING when the
 *   fallback starts, one summary line per `summaryIntervalMs` while it lasts, one INFO line when
 *   it ends, never a line per request.
 * - In memory the limit is per instance, as without Redis; buckets start from what memory last
 *   held, not from Redis's counts, which this instance cannot read.
 */
import type { Logger } from '../../lib/logger.js';
import type { ServiceMetrics } from '../observability/metrics.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** What the rate-limit plugin asks of a store (its `incr`). */
export interface BucketStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
}

export interface FallbackTimers {
  readonly now: () => number;
  setInterval(fn: () => void, ms: number): { unref(): unknown };
  clearInterval(handle: unknown): void;
}

const realTimers: FallbackTimers = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** The probe's bucket: its own key, a one-second window, never a client's. */
const PROBE_KEY = 'runwatch-probe';

export interface FallbackState {
  /** True while checks are made in memory. */
  readonly active: boolean;
  /** When the current fallback started (ms since the epoch), or null. */
  readonly since: number | null;
  /** Checks made in memory in the current fallback. */
  readonly checks: number;
}

export interface FallbackStoreOptions {
  readonly primary: BucketStore;
  readonly fallback: BucketStore;
  /** For log lines: `redis host:port`, never a password. */
  readonly storeName: string;
  readonly log: Logger;
  readonly metrics: Pick<ServiceMetrics, 'rateLimitFallbackChecks' | 'rateLimitFallback'>;
  readonly probeIntervalMs: number;
  readonly summaryIntervalMs: number;
  readonly timers?: FallbackTimers;
}

export class FallbackStore implements BucketStore {
  readonly #o: FallbackStoreOptions;
  readonly #timers: FallbackTimers;
  #since: number | null = null;
  #checks = 0;
  #checksSinceSummary = 0;
  #summaryAt = 0;
  #probe: { unref(): unknown } | null = null;
  #probing = false;

  constructor(options: FallbackStoreOptions) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    options.metrics.rateLimitFallback.set(0);
  }

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    if (this.#since !== null) {
      this.#inMemory(key, cb, timeWindow, max);
      return;
    }
    this.#o.primary.incr(
      key,
      (error, result) => {
        if (error === null) {
          cb(null, result);
          return;
        }
        this.fallBack(error.message);
        this.#inMemory(key, cb, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  /** The plugin asks for a child store per route with options of its own; we have none. */
  child(): this {
    return this;
  }

  /** Starts falling back (a no-op while already falling back), e.g. when Redis is not up at start. */
  fallBack(reason: string): void {
    if (this.#since !== null) return;
    const now = this.#timers.now();
    this.#since = now;
    this.#summaryAt = now;
    this.#checks = 0;
    this.#checksSinceSummary = 0;
    this.#o.metrics.rateLimitFallback.set(1);
    this.#o.log.warn(
      { event: 'rate_limit.store_fallback', store: this.#o.storeName, reason },
      `rate-limit ${this.#o.storeName} did not answer (${reason}): limits are checked in this instance's memory until it does`,
    );
    this.#probe = this.#timers.setInterval(() => this.#tick(), this.#o.probeIntervalMs);
    this.#probe.unref();
  }

  state(): FallbackState {
    return { active: this.#since !== null, since: this.#since, checks: this.#checks };
  }

  /** Stops the probe (the app is closing). */
  close(): void {
    if (this.#probe !== null) this.#timers.clearInterval(this.#probe);
    this.#probe = null;
  }

  #inMemory(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.#checks++;
    this.#checksSinceSummary++;
    this.#o.metrics.rateLimitFallbackChecks.inc();
    this.#o.fallback.incr(key, cb, timeWindow, max);
  }

  #tick(): void {
    const now = this.#timers.now();
    if (now - this.#summaryAt >= this.#o.summaryIntervalMs) this.#summarize(now);
    if (this.#probing) return;
    this.#probing = true;
    this.#o.primary.incr(
      PROBE_KEY,
      (error) => {
        this.#probing = false;
        if (error === null) this.#recover();
      },
      1000,
      1,
    );
  }

  #summarize(now: number): void {
    const checks = this.#checksSinceSummary;
    const windowMs = now - this.#summaryAt;
    this.#summaryAt = now;
    this.#checksSinceSummary = 0;
    this.#o.log.warn(
      { event: 'rate_limit.store_fallback_summary', store: this.#o.storeName, checks, windowMs },
      `rate-limit ${this.#o.storeName} still not answering: ${checks} checks made in memory in the last ${Math.round(windowMs / 1000)} s`,
    );
  }

  #recover(): void {
    if (this.#since === null) return;
    const durationMs = this.#timers.now() - this.#since;
    const checks = this.#checks;
    this.close();
    this.#since = null;
    this.#o.metrics.rateLimitFallback.set(0);
    this.#o.log.info(
      { event: 'rate_limit.store_recovered', store: this.#o.storeName, checks, durationMs },
      `rate-limit ${this.#o.storeName} answers again after ${Math.round(durationMs / 1000)} s; ${checks} checks were made in memory meanwhile`,
    );
  }
}
