/**
 * Poison: what alert ingest can never read, however often Pub/Sub redelivers it. Every kind has
 * a stable code; the caller acknowledges the delivery (a retry would fail the same way, until the
 * subscription's retention runs out) and either dead-letters the original message (`deadLetter`)
 * or drops it with a log line. Messages name the field as a path into what was received, the
 * value (quoted with `describeValue`, never echoed whole) and what was expected.
 *
 * Only these errors leave the envelope decoder and `normalise` for bad input: anything else that
 * escapes them is a bug, and is left to fail the delivery so that it is retried and seen.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const INGEST_ERRORS = {
  INGEST_ERR_ENVELOPE: {
    deadLetter: true,
    meaning:
      'alertIngest: the event is not a Pub/Sub delivery: not an object, a CloudEvent of another type than `google.cloud.pubsub.topic.v1.messagePublished`, or without a `message` object (in `data`, or at the top of a raw push body). Acknowledged and dead-lettered with the event as received.',
  },
  INGEST_ERR_BASE64: {
    deadLetter: true,
    meaning:
      'alertIngest: `message.data` is not base64 text (Pub/Sub always sends the payload so). Acknowledged and dead-lettered.',
  },
  INGEST_ERR_TOO_LARGE: {
    deadLetter: true,
    meaning:
      "alertIngest: the payload is larger than the ingest bound (1 MiB unless configured), or the attributes pass Pub/Sub's own limits (100 attributes, keys of 256 bytes, values of 1024 bytes). Acknowledged and dead-lettered; nothing larger than the bound is decoded.",
  },
  INGEST_ERR_ATTRIBUTES_ONLY: {
    deadLetter: true,
    meaning:
      'alertIngest: the message has attributes but no data; no alert source publishes such messages. Acknowledged and dead-lettered with its messageId and attributes.',
  },
  INGEST_ERR_NOT_JSON: {
    deadLetter: true,
    meaning: 'alertIngest: the payload is not UTF-8 JSON text. Acknowledged and dead-lettered.',
  },
  INGEST_ERR_UNKNOWN_SHAPE: {
    deadLetter: true,
    meaning:
      'alertIngest: the payload is JSON but none of the accepted formats (a Cloud Monitoring incident, a LogEntry from a logging sink, a runwatch `alert-event.v1`; docs/ingest-formats.md). Acknowledged and dead-lettered.',
  },
  INGEST_ERR_FIELD_MISSING: {
    deadLetter: true,
    meaning:
      'alertIngest: a field the format requires is absent (an envelope messageId or publishTime, an incident_id, a LogEntry insertId, ...); the message names it. Acknowledged and dead-lettered.',
  },
  INGEST_ERR_FIELD_INVALID: {
    deadLetter: true,
    meaning:
      'alertIngest: a field has the wrong type or value (an unknown incident state, a publishTime that is not RFC 3339, an event failing `alert-event.v1.json`, ...); the message names the field, the value and what was expected. Acknowledged and dead-lettered.',
  },
  INGEST_ERR_LOOP: {
    deadLetter: false,
    meaning:
      'alertIngest: the message carries the attribute `origin=runwatch`, so runwatch published it (the `alerts` output topic) and it came back to ingest. Acknowledged and dropped with a log line, not dead-lettered: it is a wiring mistake, and its original is on the output topic already.',
  },
} as const satisfies Record<string, { deadLetter: boolean; meaning: string }>;

export type IngestPoisonCode = keyof typeof INGEST_ERRORS;

/** The status an HTTP edge answers for poison: acknowledged, so Pub/Sub never redelivers it. */
export const POISON_STATUS = 204;

export const INGEST_ERROR_SPECS: readonly ErrorSpec[] = Object.entries(INGEST_ERRORS).map(
  ([code, spec]) => ({ code, statusCode: POISON_STATUS, surface: 'ack', meaning: spec.meaning }),
);

export class IngestPoisonError extends RunwatchError {
  declare readonly code: IngestPoisonCode;
  /** True: publish the original message to the dead-letter topic; false: drop it (a loop). */
  readonly deadLetter: boolean;
  /** The Pub/Sub messageId, when the delivery got far enough to have one. */
  readonly messageId: string | undefined;

  constructor(
    code: IngestPoisonCode,
    message: string,
    options: { cause?: unknown; field?: string; messageId?: string | undefined } = {},
  ) {
    super(code, POISON_STATUS, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.field === undefined ? {} : { field: options.field }),
    });
    this.deadLetter = INGEST_ERRORS[code].deadLetter;
    this.messageId = options.messageId;
  }
}
