/**
 * Answers for requests Node's HTTP parser refuses before any route or hook sees them: malformed
 * HTTP/1.1 (bad chunking, a lying or doubled Content-Length, an invalid request line or header),
 * headers over Node's size limit, and requests that did not arrive within the configured
 * timeouts. fastify's default handler answers these with a generic body and no code; here they
 * get a catalogue code in the service's error shape, an X-Request-Id, the security headers and
 * `Connection: close` (the socket is destroyed after the answer: the parser's state is lost).
 *
 * Two refusals Node writes itself and never reports here stay as Node sends them: 400 for an
 * HTTP/1.1 request without Host, and 417 for an unknown Expect.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ServiceError } from '../errors.js';
import { errorBody } from './error-reply.js';

export interface ClientErrorContext {
  readonly instanceId: string;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Set on every answer. */
  readonly securityHeaders: Readonly<Record<string, string>>;
  readonly log: FastifyBaseLogger;
}

/** The catalogue error for a parser or timeout error raised on a client's socket. */
export function clientError(
  err: Error & { code?: string },
  limits: Pick<ClientErrorContext, 'headersTimeoutMs' | 'requestTimeoutMs'>,
): ServiceError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ServiceError(
        'SVC_ERR_REQUEST_TIMEOUT',
        `the request did not arrive in time; expected its headers within HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs} ms) and all of it within REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs} ms)`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      // Node's own handler answers this one 413: chunk extensions over its limit (16 KiB).
      return new ServiceError(
        'SVC_ERR_BODY_TOO_LARGE',
        'the chunk extensions of the body are larger than the server accepts; expected at most 16 KiB',
        { field: '(body)' },
      );
    case 'HPE_HEADER_OVERFLOW':
      return new ServiceError(
        'SVC_ERR_HEADERS_TOO_LARGE',
        `the request headers are larger than the server accepts; expected at most ${http.maxHeaderSize} bytes in all`,
        { field: '(headers)' },
      );
    default:
      return new ServiceError(
        'SVC_ERR_MALFORMED_HTTP',
        `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${err.message.replace(/^Parse Error: /, '')}); expected a well-formed request line, headers and framing`,
      );
  }
}

/** fastify's `clientErrorHandler`: writes the answer on the raw socket, then destroys it. */
export function clientErrorHandler(context: ClientErrorContext) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    // Nobody is left to read an answer.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || socket.destroyed) return;
    const error = clientError(err, context);
    const requestId = randomUUID();
    context.log.info(
      {
        event: 'http.client_error',
        request_id: requestId,
        code: error.code,
        status: error.statusCode,
        cause: err.code,
      },
      error.message,
    );
    // As Node's own handler does: never write into a response already under way on this socket
    // (`_httpMessage` is the response Node is writing on it; internal, but what Node reads).
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && current?.headersSent !== true) {
      const body = JSON.stringify(errorBody(error, requestId));
      const headers = {
        ...context.securityHeaders,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
        'x-request-id': requestId,
        'x-instance-id': context.instanceId,
      };
      const head = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(
        `HTTP/1.1 ${error.statusCode} ${http.STATUS_CODES[error.statusCode] ?? ''}\r\n${head}\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
