/**
 * `buildApp(deps)` builds the HTTP app and its connection tracker without listening and without
 * touching `process`; `service/start.ts` is the composition root that listens and drains.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { RunwatchError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { traceFields } from '../lib/trace.js';
import type { ServiceConfig } from './config.js';
import { ServiceError } from './errors.js';
import { type ConnectionTracker, trackConnections } from './lifecycle/connections.js';
import type { HealthMonitor } from './lifecycle/health.js';
import { type Lifecycle, RETRY_AFTER_S } from './lifecycle/state.js';
import type { Model } from './model/model.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerPredictRoutes } from './routes/predict.js';
import { registerProbeRoutes } from './routes/probes.js';

export interface AppDeps {
  readonly config: ServiceConfig;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly health: HealthMonitor;
  /** The loaded model, or null while it loads. */
  readonly getModel: () => Model | null;
  readonly serviceVersion: string;
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly connections: ConnectionTracker;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probes and /metrics: still answered while draining, logged at debug. */
    probe?: boolean;
  }
  interface FastifyRequest {
    /** Length and hash of each input text, for the request log (never the text itself). */
    inputSummary: { length: number; sha256: string }[] | null;
  }
}

export function buildApp(deps: AppDeps): BuiltApp {
  const { config, lifecycle } = deps;
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
    // The drain owns socket shutdown (service/lifecycle/connections.ts); fastify must not close
    // idle sockets or answer 503 on its own.
    forceCloseConnections: false,
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;
  const connections = trackConnections(app.server);
  // JSON only: a text/plain body gets 415 rather than a confusing schema error.
  app.removeContentTypeParser('text/plain');

  app.decorateRequest('inputSummary', null);

  app.addHook('onRequest', async (request, reply) => {
    const trace = traceFields(request.headers, config.project);
    if (Object.keys(trace).length > 0) request.log = request.log.child(trace);
    reply.header('x-request-id', request.id);
    if (lifecycle.phase === 'closing' && request.routeOptions.config.probe !== true) {
      lifecycle.noteRefused();
      throw new ServiceError(
        'SVC_ERR_DRAINING',
        'this instance is shutting down; retry the request',
      );
    }
  });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-request-duration', (reply.elapsedTime / 1000).toFixed(4));
  });

  app.addHook('onResponse', async (request, reply) => {
    const probe = request.routeOptions.config.probe === true;
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
    else if (reply.statusCode >= 500) request.log.warn(fields, message);
    else request.log.info(fields, message);
  });

  app.setNotFoundHandler((request) => {
    throw new ServiceError(
      'SVC_ERR_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const mapped = toServiceError(error);
    if (
      mapped.statusCode >= 500 &&
      mapped.code !== 'SVC_ERR_DRAINING' &&
      mapped.code !== 'SVC_ERR_MODEL_NOT_READY'
    ) {
      request.log.error({ event: 'http.error', err: error, code: mapped.code }, mapped.message);
    }
    return sendError(request, reply, mapped);
  });

  registerProbeRoutes(app, deps, connections);
  registerInfoRoutes(app, deps);
  registerPredictRoutes(app, deps);
  return { app, connections };
}

/** Maps framework and model errors onto the service catalogue. */
function toServiceError(error: FastifyError | Error): RunwatchError {
  if (error instanceof RunwatchError) {
    if (error.code.startsWith('MDL_ERR')) {
      return new ServiceError('SVC_ERR_INFERENCE_FAILED', 'the model failed to score the input', {
        cause: error,
      });
    }
    return error;
  }
  const e = error as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ServiceError(
        'SVC_ERR_BODY_INVALID_JSON',
        `the body is not valid JSON: ${e.message}`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ServiceError('SVC_ERR_BODY_TOO_LARGE', e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServiceError(
        'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
        `content type is not supported; expected application/json`,
      );
    case 'FST_ERR_VALIDATION': {
      const v = (e.validation ?? [])[0];
      const field = validationField(v);
      return new ServiceError('SVC_ERR_INPUT_INVALID', validationMessage(v, field), { field });
    }
    default:
      if (e.statusCode === 400) return new ServiceError('SVC_ERR_INPUT_INVALID', e.message);
      return new ServiceError('SVC_ERR_INTERNAL', 'internal error', { cause: error });
  }
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

function validationField(v: AjvIssue | undefined): string {
  const path = (v?.instancePath ?? '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  if (v?.keyword === 'required' && typeof v.params?.missingProperty === 'string') {
    return path === '' ? v.params.missingProperty : `${path}.${v.params.missingProperty}`;
  }
  return path === '' ? '(body)' : path;
}

function validationMessage(v: AjvIssue | undefined, field: string): string {
  switch (v?.keyword) {
    case 'required':
      return `field "${field}" is missing; expected it to be present`;
    case 'type':
      return `field "${field}" has the wrong type; expected ${String(v.params?.type)}`;
    case 'minItems':
      return `field "${field}" is empty; expected at least ${String(v.params?.limit)} item(s)`;
    case 'maxItems':
      return `field "${field}" has too many items; expected at most ${String(v.params?.limit)}`;
    default:
      return `field "${field}" ${v?.message ?? 'is invalid'}`;
  }
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: RunwatchError,
): FastifyReply {
  if (error.code === 'SVC_ERR_DRAINING')
    reply.header('retry-after', String(RETRY_AFTER_S.draining));
  if (error.code === 'SVC_ERR_MODEL_NOT_READY')
    reply.header('retry-after', String(RETRY_AFTER_S.starting));
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({
      error: {
        code: error.code,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        request_id: request.id,
      },
    });
}
