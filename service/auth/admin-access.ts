/**
 * Who may use the admin key, and what a wrong one costs.
 *
 * - Admin routes (`/model_status`, `/security_status`, `/admin/faults`, `/metrics` unless
 *   `METRICS_PUBLIC`) check the key in an `onRequest` hook: before the body is read, parsed or
 *   validated, so a caller without the key learns nothing about what the route accepts.
 * - `/health` shows its details to a valid admin key and the bare verdict to everyone else.
 * - Every wrong key (present, not an admin key) is logged at INFO as `auth.admin_key_rejected`,
 *   with the route, the client address and, when the key is an API key, its id; never the key.
 *   A missing key on an admin route is logged the same way (`reason: missing`), not counted.
 * - A client (its address bucket, `client-address.ts`) that sends `failuresPerMinute`
 *   (ADMIN_KEY_FAILURES_PER_MINUTE) wrong keys in a minute is refused every admin-key check for
 *   the rest of that minute: 429 `SVC_ERR_RATE_LIMITED` + `Retry-After` on admin routes and on
 *   `/health` with a key, the right key included. Otherwise `/health`'s detail switch would tell
 *   a guesser which key is right at any rate. `/health` without a key is never refused.
 *
 * Counts are per instance, in memory: a guesser gets this many tries a minute per instance.
 * Requests without a key (every probe) cost one header read; nothing is allocated for them.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { SecretKeys } from '../../lib/secrets.js';
import { ServiceError } from '../errors.js';
import type { ServiceMetrics } from '../observability/metrics.js';
import { addressBucket } from '../protection/client-address.js';
import { FailureCounter } from './failure-counter.js';

export const ADMIN_KEY_FAILURE_WINDOW_MS = 60_000;
/** Clients whose failures are remembered; past this many the oldest window is forgotten. */
export const ADMIN_KEY_FAILURE_CLIENTS = 10_000;

const UNAUTHENTICATED = (message: string) =>
  new ServiceError('SVC_ERR_UNAUTHENTICATED', message, { field: 'X-API-Key' });

export interface AdminAccessInputs {
  readonly adminKeys: SecretKeys;
  /** Inference API keys: a wrong admin key that is one of these is logged by its id. */
  readonly apiKeys: SecretKeys;
  readonly metrics: ServiceMetrics;
  /** Wrong admin keys a client may send in a minute before its admin-key checks are refused. */
  readonly failuresPerMinute: number;
  readonly now?: () => number;
}

export class AdminAccess {
  readonly #adminKeys: SecretKeys;
  readonly #apiKeys: SecretKeys;
  readonly #metrics: ServiceMetrics;
  readonly #now: () => number;
  readonly #limit: number;
  readonly #failures: FailureCounter;

  constructor(inputs: AdminAccessInputs) {
    this.#adminKeys = inputs.adminKeys;
    this.#apiKeys = inputs.apiKeys;
    this.#metrics = inputs.metrics;
    this.#now = inputs.now ?? Date.now;
    this.#limit = inputs.failuresPerMinute;
    this.#failures = new FailureCounter(
      inputs.failuresPerMinute,
      ADMIN_KEY_FAILURE_WINDOW_MS,
      ADMIN_KEY_FAILURE_CLIENTS,
    );
  }

  /**
   * The `onRequest` hook of every admin route: passes a valid admin key (its id on the request's
   * logger), else refuses with 429 (this client is locked out) or 401. With no admin keys
   * configured every request gets 401, so an admin route is never open by omission.
   */
  readonly requireKey: onRequestHookHandler = (request, reply, done) => {
    const given = request.headers['x-api-key'];
    const locked = this.#lockout(request, reply);
    if (locked !== null) {
      done(locked);
      return;
    }
    if (this.#adminKeys.size === 0) {
      done(
        UNAUTHENTICATED(
          'admin routes are disabled: no admin keys are configured; expected ADMIN_API_KEYS or ADMIN_API_KEYS_FILE to be set',
        ),
      );
      return;
    }
    if (typeof given !== 'string' || given === '') {
      this.#logRejected(request, 'missing', given, null);
      done(UNAUTHENTICATED('header "X-API-Key" is missing; expected one admin key'));
      return;
    }
    const id = this.#adminKeys.matches(given);
    if (id === null) {
      this.#reject(request, given);
      done(
        UNAUTHENTICATED(
          'header "X-API-Key" is not an admin key; expected one of the keys in ADMIN_API_KEYS',
        ),
      );
      return;
    }
    request.log = request.log.child({ adminKeyId: id });
    done();
  };

  /**
   * For `/health`: true for a valid admin key, false without a key or with a wrong one (which is
   * logged and counted). Throws 429 `SVC_ERR_RATE_LIMITED` (with `Retry-After` set on `reply`)
   * when a key is given by a client that is locked out, whether or not the key is right.
   */
  hasKey(request: FastifyRequest, reply: FastifyReply): boolean {
    const given = request.headers['x-api-key'];
    if (typeof given !== 'string' || given === '') return false;
    const locked = this.#lockout(request, reply);
    if (locked !== null) throw locked;
    if (this.#adminKeys.size > 0 && this.#adminKeys.matches(given) !== null) return true;
    this.#reject(request, given);
    return false;
  }

  /** The 429 for a locked-out client (Retry-After set), or null; no work while none failed. */
  #lockout(request: FastifyRequest, reply: FastifyReply): ServiceError | null {
    if (this.#failures.size === 0) return null;
    const retryAfterS = this.#failures.retryAfterS(addressBucket(request.ip), this.#now());
    if (retryAfterS === 0) return null;
    reply.header('retry-after', String(retryAfterS));
    return new ServiceError(
      'SVC_ERR_RATE_LIMITED',
      `this client sent ${this.#limit} wrong admin keys within a minute; admin key checks resume in ${retryAfterS} s`,
    );
  }

  #reject(request: FastifyRequest, given: string): void {
    this.#metrics.adminKeyFailures.inc();
    const failures = this.#failures.note(addressBucket(request.ip), this.#now());
    this.#logRejected(request, 'unknown', given, failures);
    if (failures === this.#limit) {
      request.log.warn(
        {
          event: 'auth.admin_key_locked',
          remoteIp: request.ip,
          failures,
          windowS: ADMIN_KEY_FAILURE_WINDOW_MS / 1000,
        },
        `${failures} wrong admin keys from ${request.ip} within a minute: its admin key checks are refused (429) for the rest of the minute`,
      );
    }
  }

  #logRejected(
    request: FastifyRequest,
    reason: 'missing' | 'unknown',
    given: string | string[] | undefined,
    failures: number | null,
  ): void {
    // The key itself is never logged; an API key sent to an admin route is named by its id.
    const apiKeyId =
      typeof given === 'string' && given !== '' && this.#apiKeys.size > 0
        ? this.#apiKeys.matches(given)
        : null;
    const route = request.routeOptions.url ?? request.url;
    request.log.info(
      {
        event: 'auth.admin_key_rejected',
        reason,
        method: request.method,
        route,
        remoteIp: request.ip,
        ...(apiKeyId === null ? {} : { apiKeyId }),
        ...(failures === null ? {} : { failures, limit: this.#limit }),
      },
      reason === 'missing'
        ? `admin key missing on ${request.method} ${route}`
        : `wrong admin key on ${request.method} ${route} (${failures} of ${this.#limit} a minute from this client before its admin key checks are refused)`,
    );
  }
}
