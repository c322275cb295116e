/**
 * The fastify options of the service: request ids, timeouts on Node's own server, proxy trust,
 * and the shape of what Node's parser and fastify's router refuse before any hook runs.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type FastifyBaseLogger, type FastifyHttpOptions, LogController } from 'fastify';
import type { Logger } from '../../lib/logger.js';
import type { ServiceConfig } from '../config/index.js';
import { ServiceError } from '../errors.js';
import { clientErrorHandler } from './client-error.js';
import { sendError } from './error-reply.js';
import type { HttpPolicy } from './policy.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ServerOptionsInputs {
  readonly config: ServiceConfig;
  readonly log: Logger;
  readonly instanceId: string;
  readonly httpPolicy: HttpPolicy;
}

export function serverOptions({
  config,
  log,
  instanceId,
  httpPolicy,
}: ServerOptionsInputs): FastifyHttpOptions<http.Server> {
  return {
    loggerInstance: log as FastifyBaseLogger,
    // Request lines are ours (http/request-log.ts), shaped for Cloud Logging.
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
      instanceId,
      headersTimeoutMs: config.http.headersTimeoutMs,
      requestTimeoutMs: config.http.requestTimeoutMs,
      securityHeaders: httpPolicy.securityHeaders,
      log: log as FastifyBaseLogger,
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
        .header('x-instance-id', instanceId);
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
  };
}
