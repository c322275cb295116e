/**
 * After each response: hold a shed connection back, count the request in the HTTP metrics, and
 * write its request line shaped for Cloud Logging (`httpRequest`), or sample it when it was shed.
 */
import type { onResponseHookHandler } from 'fastify';
import type { ServiceConfig } from '../config/index.js';
import type { ConnectionTracker } from '../lifecycle/connections.js';
import type { Lifecycle } from '../lifecycle/state.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import type { ShedLogSampler } from '../observability/shed-log.js';

export interface RequestLogInputs {
  readonly config: ServiceConfig;
  readonly lifecycle: Lifecycle;
  readonly connections: ConnectionTracker;
  readonly metrics: ServiceMetrics;
  readonly shedLog: ShedLogSampler;
}

export function requestLogHook(inputs: RequestLogInputs): onResponseHookHandler {
  const { config, lifecycle, connections, metrics, shedLog } = inputs;
  return (request, reply, done) => {
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
    if (shedReason !== null && !shedLog.note(shedReason)) {
      done();
      return;
    }
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
    done();
  };
}
