/**
 * Errors of the health-sweep functions. Codes are stable: the HTTP answer carries them as
 * `{error: {code, message}}`, log lines as `code`, and docs/errors.md lists them.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const SWEEP_ERR_UNAUTHENTICATED = 'SWEEP_ERR_UNAUTHENTICATED';
export const SWEEP_ERR_AUTH_UNAVAILABLE = 'SWEEP_ERR_AUTH_UNAVAILABLE';
export const SWEEP_ERR_EVENT_INVALID = 'SWEEP_ERR_EVENT_INVALID';
export const SWEEP_ERR_SCHEDULE_INVALID = 'SWEEP_ERR_SCHEDULE_INVALID';
export const SWEEP_ERR_INTERNAL = 'SWEEP_ERR_INTERNAL';

export const SWEEP_ERRORS: readonly ErrorSpec[] = [
  {
    code: SWEEP_ERR_UNAUTHENTICATED,
    statusCode: 401,
    meaning:
      'healthSweep with `SWEEP_AUDIENCE` set: the `Authorization: Bearer` ID token is missing, malformed, not signed by Google, expired, for another audience or issuer, or not from a verified `SWEEP_INVOKER` email; the message says which (never the token).',
  },
  {
    code: SWEEP_ERR_AUTH_UNAVAILABLE,
    statusCode: 503,
    meaning:
      "healthSweep: Google's token-signing certificates could not be fetched, so no token can be checked; Cloud Scheduler retries.",
  },
  {
    code: SWEEP_ERR_SCHEDULE_INVALID,
    statusCode: 400,
    meaning:
      'healthSweep: `X-CloudScheduler-ScheduleTime` is more than 15 s ahead of now or older than `STORE_RETENTION_DAYS`; nothing is probed or stored, and the message says which bound.',
  },
  {
    code: SWEEP_ERR_EVENT_INVALID,
    statusCode: 204,
    surface: 'ack',
    meaning:
      'healthSweepEvent: the CloudEvent is not a usable Pub/Sub messagePublished event (type, id, message, messageId, publishTime, attributes or base64 data); logged as `sweep.event_rejected` and acknowledged, never retried.',
  },
  {
    code: SWEEP_ERR_INTERNAL,
    statusCode: 500,
    meaning:
      'healthSweep / healthSweepEvent: the sweep failed for a reason without a code of its own (the message says why); the event variant answers 500 so Pub/Sub retries.',
  },
];

/** A bearer token that does not prove the caller is an allowed invoker (401). */
export class SweepAuthError extends RunwatchError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SWEEP_ERR_UNAUTHENTICATED, 401, message, { ...options, field: 'Authorization' });
  }
}

/** The verifier cannot check any token right now (503): not the caller's fault. */
export class SweepAuthUnavailableError extends RunwatchError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SWEEP_ERR_AUTH_UNAVAILABLE, 503, message, options);
  }
}

/** A schedule time too far from now to be a real scheduled run (400). */
export class SweepScheduleError extends RunwatchError {
  constructor(message: string) {
    super(SWEEP_ERR_SCHEDULE_INVALID, 400, message, { field: 'X-CloudScheduler-ScheduleTime' });
  }
}

/** A poison CloudEvent: acknowledged (2xx) and logged, because a retry would fail the same way. */
export class SweepEventError extends RunwatchError {
  constructor(message: string, field: string) {
    super(SWEEP_ERR_EVENT_INVALID, 204, message, { field });
  }
}

/** The stable code to log or answer for `e`: its own when it is ours, else SWEEP_ERR_INTERNAL. */
export function sweepErrorCode(e: unknown): string {
  return e instanceof RunwatchError ? e.code : SWEEP_ERR_INTERNAL;
}
