/**
 * The service's error catalogue. Every error a client can see has a stable code from this list;
 * docs/errors.md is generated from it (and from the other catalogues).
 */
import { type ErrorSpec, RunwatchError } from '../lib/errors.js';

export const SERVICE_ERRORS = {
  SVC_ERR_INPUT_INVALID: {
    status: 400,
    meaning: 'A request field is missing, of the wrong type, empty or too long; `field` names it.',
  },
  SVC_ERR_BODY_INVALID_JSON: { status: 400, meaning: 'The body is not valid JSON.' },
  SVC_ERR_BODY_TOO_LARGE: { status: 413, meaning: 'The body is larger than the server accepts.' },
  SVC_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is not application/json.' },
  SVC_ERR_MALFORMED_HTTP: {
    status: 400,
    meaning:
      'The request is not valid HTTP/1.1 (request line, header syntax, Content-Length or chunking); the connection is closed.',
  },
  SVC_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'The request headers exceed 16 KiB in all; the connection is closed.',
  },
  SVC_ERR_REQUEST_TIMEOUT: {
    status: 408,
    meaning:
      'The headers did not arrive within `HEADERS_TIMEOUT_MS`, or the whole request within `REQUEST_TIMEOUT_MS`; the connection is closed.',
  },
  SVC_ERR_NOT_FOUND: { status: 404, meaning: 'No such route.' },
  SVC_ERR_MODEL_NOT_FOUND: {
    status: 404,
    meaning: 'No loaded model has that name (or version) on the Open Inference Protocol routes.',
  },
  SVC_ERR_UNAUTHENTICATED: {
    status: 401,
    meaning:
      'An admin route without an `X-API-Key` header or with a key not in `ADMIN_API_KEYS`; under `AUTH_MODE=api-key`, an inference route without a key in `API_KEYS`.',
  },
  SVC_ERR_RATE_LIMITED: {
    status: 429,
    meaning:
      'The client (API key id, else address) used its RATE_LIMIT_PER_MINUTE on the inference routes (see the `RateLimit-*` headers), or the client address sent 10 wrong admin keys within a minute, after which its admin routes and `/health` with a key are refused, the right key included; retry after `Retry-After`.',
    refusal: true,
  },
  SVC_ERR_CLIENT_CLOSED: {
    status: 499,
    meaning:
      'The client disconnected before its text was scored; the text was dropped and nothing is sent (logged only).',
    refusal: true,
  },
  SVC_ERR_OVERLOADED: {
    status: 503,
    meaning:
      'The inference queue is full (`MAX_QUEUE_DEPTH`) or a load-shedding limit (`SHED_*`) is exceeded; the message names the measure; retry after `Retry-After`.',
    refusal: true,
  },
  SVC_ERR_MODEL_NOT_READY: {
    status: 503,
    meaning: 'The model is still loading or warming up; retry after `Retry-After`.',
    refusal: true,
  },
  SVC_ERR_DRAINING: {
    status: 503,
    meaning: 'The instance is shutting down; retry (on another instance) after `Retry-After`.',
    refusal: true,
  },
  SVC_ERR_INFERENCE_FAILED: { status: 500, meaning: 'The model runtime failed on valid input.' },
  SVC_ERR_INTERNAL: {
    status: 500,
    meaning: 'An unexpected server error; the log line with the same request_id has the cause.',
  },
} as const satisfies Record<string, { status: number; meaning: string; refusal?: true }>;

export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

/** Refusals by design: the service working as intended (not logged as failures, no stack). */
export function isRefusal(code: string): boolean {
  const spec = (SERVICE_ERRORS as Record<string, { refusal?: true }>)[code];
  return spec?.refusal === true;
}

export class ServiceError extends RunwatchError {
  declare readonly code: ServiceErrorCode;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { cause?: unknown; field?: string } = {},
  ) {
    // A refusal by design (shedding, rate limit, drain, loading, a client gone) is raised
    // thousands of times a second by an overloaded instance; its code and message say all, and
    // capturing a stack no one reads is a cost paid on every refusal (docs/benchmarks.md).
    const limit = Error.stackTraceLimit;
    if (isRefusal(code)) Error.stackTraceLimit = 0;
    try {
      super(code, SERVICE_ERRORS[code].status, message, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export const SERVICE_ERROR_SPECS: readonly ErrorSpec[] = Object.entries(SERVICE_ERRORS).map(
  ([code, s]) => ({ code, statusCode: s.status, meaning: s.meaning }),
);
