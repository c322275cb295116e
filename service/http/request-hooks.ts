/**
 * The per-request hooks, in the order fastify runs them: the request context (trace, the
 * headers every answer carries, the non-preflight OPTIONS refusal), then, after the HTTP policy
 * and CORS, the drain and overload refusals; the duration header on send; the shed reason of the
 * batcher's own refusal on error.
 *
 * Hooks take a callback rather than being async: an async hook costs a promise and a microtask
 * per request. Refusals are passed to `done`, not thrown: fastify routes both to the route's
 * error handler (so each route family keeps its error body), but a throw unwinding through
 * fastify's hook runner is dearer, and refusing is what an overloaded instance does thousands of
 * times a second (docs/benchmarks.md, overload).
 */

import { randomUUID } from 'node:crypto';
import type { onErrorHookHandler, onRequestHookHandler, onSendHookHandler } from 'fastify';
import { type TraceFields, traceFields } from '../../lib/trace.js';
import { ServiceError } from '../errors.js';
import type { Lifecycle } from '../lifecycle/state.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import { describePressure, type PressureMonitor } from '../protection/pressure.js';

export interface RequestContextInputs {
  /** GOOGLE_CLOUD_PROJECT, for Cloud Logging trace names. */
  readonly project: string | null;
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly instanceId: string;
}

/**
 * Trace fields on the request's logger, and the headers every answer carries.
 *
 * `request_id` is the id the client sees (X-Request-Id, the body's `request_id`): the client's
 * own when it sent a valid one (http/server-options.ts). A client can reuse or forge that, so
 * then every line of the request also carries `server_request_id`, a fresh id of ours; without
 * it, `request_id` is ours. (Only then: on every line it would repeat `request_id`.)
 */
export function requestContextHook(inputs: RequestContextInputs): onRequestHookHandler {
  const { project, securityHeaders, instanceId } = inputs;
  return (request, reply, done) => {
    const bindings: TraceFields & { server_request_id?: string } = traceFields(
      request.headers,
      project,
    );
    if (request.id === request.headers['x-request-id']) bindings.server_request_id = randomUUID();
    if (Object.keys(bindings).length > 0) request.log = request.log.child(bindings);
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    reply.header('x-instance-id', instanceId);
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
  };
}

export interface RefusalInputs {
  readonly lifecycle: Lifecycle;
  readonly pressure: PressureMonitor;
  readonly metrics: ServiceMetrics;
}

/**
 * 503 SVC_ERR_DRAINING for everything but probes once the listener is closing, and 503
 * SVC_ERR_OVERLOADED for inference routes under pressure, before the body is read: refusing must
 * cost less than the work it refuses.
 */
export function refusalHook({ lifecycle, pressure, metrics }: RefusalInputs): onRequestHookHandler {
  return (request, _reply, done) => {
    if (lifecycle.phase === 'closing' && request.routeOptions.config.probe !== true) {
      lifecycle.noteRefused();
      request.refusedForDrain = true;
      done(
        new ServiceError('SVC_ERR_DRAINING', 'this instance is shutting down; retry the request'),
      );
      return;
    }
    if (request.routeOptions.config.shed === true) {
      const now = pressure.pressure();
      if (now !== null) {
        metrics.shed.inc({ reason: now.reason });
        request.shedReason = now.reason;
        done(new ServiceError('SVC_ERR_OVERLOADED', describePressure(now)));
        return;
      }
    }
    done();
  };
}

export const durationHeaderHook: onSendHookHandler = (_request, reply, payload, done) => {
  reply.header('x-request-duration', (reply.elapsedTime / 1000).toFixed(4));
  done(null, payload);
};

/** The batcher's own refusal (queue full) is shedding too, for the hold and the sampled log. */
export const shedReasonHook: onErrorHookHandler = (request, _reply, error, done) => {
  if ((error as { code?: unknown }).code === 'SVC_ERR_OVERLOADED') {
    request.shedReason ??= 'queue_full';
  }
  done();
};
