/**
 * What the app is built from (`AppDeps`), what building it returns, and the fastify type
 * extensions every layer shares. Routes and hooks import their types from here, never from
 * `app.ts`, so the composition (`app.ts`) depends on the parts and no part on it.
 */
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from '../lib/logger.js';
import type { inferenceAuth } from './auth/inference-auth.js';
import type { ServiceConfig } from './config/index.js';
import type { FaultInjector } from './faults/fault-injector.js';
import type { ServedModel } from './inference/served-model.js';
import type { ConnectionTracker } from './lifecycle/connections.js';
import type { HealthMonitor } from './lifecycle/health.js';
import type { Lifecycle } from './lifecycle/state.js';
import type { ServiceMetrics } from './observability/metrics.js';
import type { ShedLogSampler } from './observability/shed-log.js';
import type { PressureMonitor } from './protection/pressure.js';
import type { RateLimiting } from './protection/rate-limit.js';

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
