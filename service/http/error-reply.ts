/**
 * Error replies: every thrown error is mapped onto the service catalogue (`errors.ts`) and sent
 * in the body shape of the route family that raised it (ours, or the Open Inference Protocol's).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RunwatchError } from '../../lib/errors.js';
import { isRefusal, ServiceError } from '../errors.js';
import { RETRY_AFTER_S } from '../lifecycle/state.js';

export type ErrorSender = (
  request: FastifyRequest,
  reply: FastifyReply,
  error: RunwatchError,
) => FastifyReply;

/**
 * The error handler for a body shape: maps the error onto the catalogue, logs what is the
 * server's fault (not drain or loading refusals, not overload shedding), then sends.
 */
export function errorHandler(send: ErrorSender, limits: ErrorContext = {}) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toServiceError(error, {
      ...limits,
      contentType: request.headers['content-type'],
    });
    if (mapped.statusCode >= 500 && !isRefusal(mapped.code)) {
      request.log.error({ event: 'http.error', err: error, code: mapped.code }, mapped.message);
    }
    return send(request, reply, mapped);
  };
}

/** What messages quote about the limits the framework enforced. */
export interface ErrorContext {
  readonly bodyLimitBytes?: number;
  readonly contentType?: string | undefined;
}

/** Maps framework and model errors onto the service catalogue. */
function toServiceError(error: FastifyError | Error, context: ErrorContext): RunwatchError {
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
      return new ServiceError(
        'SVC_ERR_BODY_TOO_LARGE',
        context.bodyLimitBytes === undefined
          ? e.message
          : `the body is larger than BODY_LIMIT_BYTES; expected at most ${context.bodyLimitBytes} bytes`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServiceError(
        'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
        `content type ${JSON.stringify(context.contentType ?? '(none)')} is not supported; expected application/json`,
        { field: 'Content-Type' },
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

/** Status, `Retry-After` (for the 503s a retry fixes) and content type of an error reply. */
export function prepareErrorReply(reply: FastifyReply, error: RunwatchError): FastifyReply {
  const retryAfter = RETRY_AFTER_BY_CODE[error.code];
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(error.statusCode).type('application/json; charset=utf-8');
}

const RETRY_AFTER_BY_CODE: Readonly<Record<string, number>> = {
  SVC_ERR_DRAINING: RETRY_AFTER_S.draining,
  SVC_ERR_MODEL_NOT_READY: RETRY_AFTER_S.starting,
  SVC_ERR_OVERLOADED: RETRY_AFTER_S.overloaded,
};

/** The service's error body: `{"error": {code, message, field?, request_id}}`. */
export function errorBody(error: RunwatchError, requestId: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      request_id: requestId,
    },
  };
}

/** Sends `error` in the service's error body. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: RunwatchError,
): FastifyReply {
  return prepareErrorReply(reply, error).send(errorBody(error, request.id));
}
