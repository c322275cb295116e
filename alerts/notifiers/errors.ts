import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * A notifier could not deliver a notification (alerts/engine/types.ts `Notifier.send`). The
 * outbox keeps a `retryable` failure pending for the next delivery run and records the others as
 * failed for good; both are visible in the outbox and logged `alert.delivery_failed`.
 */
export class NotifyError extends RunwatchError {
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, options.retryable ? 503 : 502, message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/**
 * The receiver answered with a status: 5xx is retried, others are not (Alertmanager's rule),
 * except 429, a rate limit, which is retried after its Retry-After.
 */
export const NOTIFY_ERR_HTTP_STATUS = 'NOTIFY_ERR_HTTP_STATUS';
/** No answer within the attempt's timeout, or the delivery's deadline passed. */
export const NOTIFY_ERR_TIMEOUT = 'NOTIFY_ERR_TIMEOUT';
/** The connection failed (refused, reset, DNS). */
export const NOTIFY_ERR_TRANSPORT = 'NOTIFY_ERR_TRANSPORT';
/**
 * The receiver's URL secret does not resolve to one absolute http(s) URL: an unset or empty
 * variable, an unreadable file, a value with whitespace inside or no http(s) scheme.
 */
export const NOTIFY_ERR_SECRET = 'NOTIFY_ERR_SECRET';
/** Pub/Sub did not confirm the publish (or refused it, e.g. against the topic's schema). */
export const NOTIFY_ERR_PUBLISH = 'NOTIFY_ERR_PUBLISH';

/** A retryable failure kept failing until the delivery's maximum age: given up. */
export const NOTIFY_ERR_EXPIRED = 'NOTIFY_ERR_EXPIRED';
/** The integration cannot deliver in this deployment (a pubsub integration with Pub/Sub off). */
export const NOTIFY_ERR_DISABLED = 'NOTIFY_ERR_DISABLED';
/** A notifier threw something that is not a NotifyError: a bug; retried as transient. */
export const NOTIFY_ERR_UNEXPECTED = 'NOTIFY_ERR_UNEXPECTED';

export const NOTIFY_ERRORS: readonly ErrorSpec[] = [
  {
    code: NOTIFY_ERR_HTTP_STATUS,
    statusCode: 502,
    surface: 'delivery',
    meaning:
      'A webhook receiver answered with a status other than 2xx. 5xx and 429 are retried with backoff (429 after its `Retry-After` when that fits the delivery deadline) and again on the next alertTick; any other status (3xx is not followed, 4xx) fails the delivery for good. Recorded in the outbox, logged `alert.delivery_failed`.',
  },
  {
    code: NOTIFY_ERR_TIMEOUT,
    statusCode: 503,
    surface: 'delivery',
    meaning:
      'A webhook receiver did not answer within its timeout, or the delivery ran out of time: retried.',
  },
  {
    code: NOTIFY_ERR_TRANSPORT,
    statusCode: 503,
    surface: 'delivery',
    meaning: 'The connection to a webhook receiver failed (refused, reset, DNS): retried.',
  },
  {
    code: NOTIFY_ERR_SECRET,
    statusCode: 502,
    surface: 'delivery',
    meaning:
      "A webhook receiver's URL secret does not resolve to one absolute http(s) URL: the environment variable is unset or empty, the file is unreadable, empty or over 8 KiB, or the value (trimmed, whole) has whitespace or a control character inside, does not begin with `http://` or `https://`, or does not parse. The message names the receiver and the reference (variable or file path), never the value. That receiver's delivery is recorded as failed and retried, since a secret mounted late or fixed by a redeploy makes the next run succeed; other receivers are not held back.",
  },
  {
    code: NOTIFY_ERR_PUBLISH,
    statusCode: 503,
    surface: 'delivery',
    meaning:
      'A publish to the `alerts` topic was not confirmed in time or was refused; retried, after `resumePublishing` of its ordering key.',
  },
  {
    code: NOTIFY_ERR_EXPIRED,
    statusCode: 502,
    surface: 'delivery',
    meaning:
      'A delivery kept failing with retryable errors for longer than ALERT_DELIVERY_MAX_AGE_MS after its notification was made: failed for good (the last error is in its message). Logged `alert.delivery_failed` with `final: true`.',
  },
  {
    code: NOTIFY_ERR_DISABLED,
    statusCode: 502,
    surface: 'delivery',
    meaning:
      'A receiver has a `pubsub` integration while Pub/Sub is off (ALERTS_PUBSUB): nothing can be published, so its deliveries fail for good instead of pretending to succeed.',
  },
  {
    code: NOTIFY_ERR_UNEXPECTED,
    statusCode: 500,
    surface: 'delivery',
    meaning:
      'A notifier failed with an error of no known kind (a bug); treated as transient and retried with backoff.',
  },
];
