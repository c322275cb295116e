import type { FastifyRequest } from 'fastify';
import type { ServiceConfig } from '../config/index.js';
import { verifyKey } from './admin-key.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Key id of the caller's valid API key (api-key mode), for logs and rate limiting. */
    clientKeyId: string | null;
  }
}

/**
 * The `preParsing` hook of the inference routes for `AUTH_MODE`: after the rate limit (an
 * `onRequest` hook, so key guessing is limited too) and before the body is read (a caller
 * without a valid key learns nothing about the body it sent):
 * - `none`: anyone (development only; production refuses it at start-up);
 * - `iam`: Cloud Run's front end has verified the caller's identity token against the
 *   service's IAM policy before the request arrives, so there is nothing left to check here;
 * - `api-key`: `X-API-Key` must be one of `API_KEYS`, compared in constant time; otherwise
 *   401 `SVC_ERR_UNAUTHENTICATED`. The key never appears in messages or logs, its id does.
 */
export function inferenceAuth(config: ServiceConfig) {
  const { mode, apiKeys } = config.auth;
  // Route options to spread: no hook at all unless there is something to check, and a callback
  // hook, not an async one, when there is (no promise per request on the hot path).
  if (mode !== 'api-key') return {};
  const preParsing = <P>(
    request: FastifyRequest,
    _reply: unknown,
    payload: P,
    done: (error: Error | null, payload: P) => void,
  ): void => {
    // The rate limiter, when on, has already matched a valid key and kept its id.
    const id =
      request.clientKeyId ??
      verifyKey(apiKeys, request, {
        missing: 'an API key (AUTH_MODE is api-key)',
        unknown: 'not a valid API key; expected one of the keys in API_KEYS',
      });
    request.clientKeyId = id;
    request.log = request.log.child({ apiKeyId: id });
    done(null, payload);
  };
  return { preParsing };
}
