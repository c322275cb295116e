/**
 * From what alertIngest's CloudEvent handler receives to one `PubSubMessage` (gcp-formats.md §1,
 * §2; pubsub-emulator.md). The Functions Framework hands the handler one of four things:
 *
 * | carrier | the handler's event | message at | fallbacks |
 * |---|---|---|---|
 * | Eventarc, binary mode | `{id, type, source, time, …, data: {message, subscription}}` (the `ce-*` headers, prefix stripped) | `data.message` | `id`, `time` |
 * | structured mode | the body: the same CloudEvent | `data.message` | `id`, `time` |
 * | a raw push, converted by the framework | `{id, time, type, …, data: {message: {"@type", data, attributes, messageId, publishTime}}}`: no subscription, no orderingKey, no snake_case | `data.message` | `id`, `time` |
 * | a raw push with attributes only (not converted: the framework requires `message.data`) | the push body `{subscription, message: {attributes, messageId, publishTime}}` | `message` | none |
 *
 * Fields are read under both spellings, camelCase first (`messageId`, then `message_id`, then the
 * CloudEvent's `id`; `publishTime`, `publish_time`, `time`; `orderingKey`, `ordering_key`).
 * `deliveryAttempt` is not read: Eventarc and the emulator do not send it reliably.
 *
 * Everything unusable is an `IngestPoisonError`, carrying the messageId once it is known so the
 * caller can acknowledge and dead-letter it: `INGEST_ERR_ENVELOPE` (not a Pub/Sub delivery),
 * `_FIELD_MISSING` / `_FIELD_INVALID` (messageId, publishTime, attributes, …), `_BASE64`, and
 * `_TOO_LARGE` (data over `maxDataBytes`, refused before it is decoded; attributes past Pub/Sub's
 * own limits). An attributes-only message decodes, with empty data: `normalise` refuses it.
 */
import { describeValue } from '../../lib/errors.js';
import type { PubSubMessage } from '../types.js';
import { IngestPoisonError } from './errors.js';
import {
  identifier,
  invalid,
  isObject,
  type Json,
  missing,
  own,
  parseRfc3339,
  type Where,
} from './fields.js';

export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** The default bound on a message's decoded data; Pub/Sub itself allows 10 MB. */
export const DEFAULT_MAX_DATA_BYTES = 1024 * 1024;

/** Pub/Sub's own limits on attributes; a message past them did not come from Pub/Sub. */
export const PUBSUB_MAX_ATTRIBUTES = 100;
export const PUBSUB_MAX_ATTRIBUTE_KEY_BYTES = 256;
export const PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES = 1024;
export const PUBSUB_MAX_ORDERING_KEY_BYTES = 1024;
/** `projects/<30>/subscriptions/<255>`, with room to spare. */
const MAX_SUBSCRIPTION_BYTES = 1024;

export interface EnvelopeOptions {
  /** Data larger than this (decoded) is `INGEST_ERR_TOO_LARGE`. Default 1 MiB. */
  readonly maxDataBytes?: number;
}

// RFC 4648 base64, standard or URL-safe alphabet (proto3 JSON parsers accept both), padding
// optional; no whitespace.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Absent, null and "" (proto3's default, left out of its JSON) all mean not set. */
const absent = (value: unknown): boolean => value === undefined || value === null || value === '';

function envelope(message: string, field?: string): IngestPoisonError {
  return new IngestPoisonError('INGEST_ERR_ENVELOPE', `Pub/Sub envelope: ${message}`, {
    ...(field === undefined ? {} : { field }),
  });
}

/** Where the message is, and what the carrier adds around it. */
interface Carrier {
  readonly container: Json;
  /** The path of `container` in the event, with a trailing dot, for messages. */
  readonly base: string;
  readonly fallbackId: unknown;
  readonly fallbackTime: unknown;
}

function carrierOf(event: unknown, maxDataBytes: number): Carrier {
  if (!isObject(event)) {
    throw envelope(
      `the event is ${describeKind(event)}; expected a CloudEvent object or a Pub/Sub push body`,
    );
  }
  if (own(event, 'data') !== undefined) {
    const type = own(event, 'type');
    if (type !== undefined && type !== MESSAGE_PUBLISHED) {
      throw envelope(
        `field type is ${describeValue(type)}; expected ${JSON.stringify(MESSAGE_PUBLISHED)}`,
        'type',
      );
    }
    const data = parsedData(own(event, 'data'), maxDataBytes);
    if (!isObject(data)) {
      throw envelope(
        `field data is ${describeKind(data)}; expected MessagePublishedData {message, subscription}`,
        'data',
      );
    }
    return {
      container: data,
      base: 'data.',
      fallbackId: own(event, 'id'),
      fallbackTime: own(event, 'time'),
    };
  }
  if (own(event, 'message') !== undefined) {
    return { container: event, base: '', fallbackId: undefined, fallbackTime: undefined };
  }
  throw envelope(
    'the event has neither data (a CloudEvent) nor message (a Pub/Sub push body)',
    'data',
  );
}

/**
 * A binary-mode CloudEvent whose Content-Type was not JSON reaches the handler with `data` as a
 * Buffer (application/octet-stream) or a string; it may still be MessagePublishedData's JSON.
 */
function parsedData(data: unknown, maxDataBytes: number): unknown {
  if (typeof data !== 'string' && !Buffer.isBuffer(data)) return data;
  // The base64 of the largest data allowed, plus room for the rest of the envelope.
  const bound = Math.ceil(maxDataBytes / 3) * 4 + 64 * 1024;
  if (data.length > bound) {
    throw new IngestPoisonError(
      'INGEST_ERR_TOO_LARGE',
      `Pub/Sub envelope: field data is ${data.length} bytes of text; expected at most ${bound}`,
      { field: 'data' },
    );
  }
  try {
    return JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    throw envelope('field data is text that is not JSON; expected MessagePublishedData', 'data');
  }
}

function describeKind(value: unknown): string {
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

function decodeData(where: Where, value: unknown, field: string, maxDataBytes: number): Buffer {
  if (absent(value)) return Buffer.alloc(0);
  if (typeof value !== 'string') throw invalid(where, field, value, 'base64 text');
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const digits = value.length - padding;
  const decodedBytes = Math.floor((digits * 3) / 4);
  if (decodedBytes > maxDataBytes) {
    throw new IngestPoisonError(
      'INGEST_ERR_TOO_LARGE',
      `${where.what}: field ${field} holds ${decodedBytes} bytes; expected at most ${maxDataBytes} (the ingest bound)`,
      { field, messageId: where.messageId },
    );
  }
  if (!BASE64.test(value) || digits % 4 === 1 || (padding > 0 && value.length % 4 !== 0)) {
    throw new IngestPoisonError(
      'INGEST_ERR_BASE64',
      `${where.what}: field ${field} is not base64 (${value.length} characters); expected the base64 of the payload`,
      { field, messageId: where.messageId },
    );
  }
  return Buffer.from(value, 'base64');
}

function attributesOf(where: Where, value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalid(where, field, value, 'an object of string attributes');
  const entries = Object.entries(value);
  if (entries.length > PUBSUB_MAX_ATTRIBUTES) {
    throw tooLarge(where, field, `${entries.length} attributes`, `${PUBSUB_MAX_ATTRIBUTES}`);
  }
  for (const [key, v] of entries) {
    if (typeof v !== 'string') throw invalid(where, `${field}.${key}`, v, 'a string');
    if (Buffer.byteLength(key) > PUBSUB_MAX_ATTRIBUTE_KEY_BYTES) {
      throw tooLarge(where, field, 'a key of more than 256 bytes', 'keys of 256 bytes');
    }
    if (Buffer.byteLength(v) > PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES) {
      throw tooLarge(where, `${field}.${key}`, 'a value of more than 1024 bytes', '1024 bytes');
    }
  }
  // fromEntries defines own properties, so a key "__proto__" stays a key.
  return Object.fromEntries(entries as [string, string][]);
}

function tooLarge(where: Where, field: string, found: string, limit: string): IngestPoisonError {
  return new IngestPoisonError(
    'INGEST_ERR_TOO_LARGE',
    `${where.what}: field ${field} has ${found}; expected at most ${limit} (Pub/Sub's limit)`,
    { field, messageId: where.messageId },
  );
}

/**
 * The first of `keys` in `message` that is present (absent, null and "", proto3's default, are
 * not), else the CloudEvent's own attribute `fallbackField`; with the field path it came from.
 */
function firstPresent(
  message: Json,
  keys: readonly [string, ...string[]],
  at: string,
  fallbackField?: string,
  fallback?: unknown,
): { value: unknown; field: string } {
  for (const key of keys) {
    const value = own(message, key);
    if (!absent(value)) return { value, field: `${at}${key}` };
  }
  if (fallbackField !== undefined && !absent(fallback)) {
    return { value: fallback, field: fallbackField };
  }
  return { value: undefined, field: `${at}${keys[0]}` };
}

/** An optional string: absent, null and "" (proto3's default) are all absent. */
function optionalString(
  where: Where,
  value: unknown,
  field: string,
  maxBytes: number,
): string | undefined {
  if (absent(value)) return undefined;
  if (typeof value !== 'string') throw invalid(where, field, value, 'a string');
  if (Buffer.byteLength(value) > maxBytes) {
    throw tooLarge(where, field, `${Buffer.byteLength(value)} bytes`, `${maxBytes} bytes`);
  }
  return value;
}

/**
 * Decodes one delivery. Throws only `IngestPoisonError`: `INGEST_ERR_ENVELOPE`,
 * `_FIELD_MISSING`, `_FIELD_INVALID`, `_BASE64` or `_TOO_LARGE`.
 */
export function decodeEnvelope(event: unknown, options: EnvelopeOptions = {}): PubSubMessage {
  const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  const { container, base, fallbackId, fallbackTime } = carrierOf(event, maxDataBytes);
  const message = own(container, 'message');
  if (!isObject(message)) {
    throw envelope(
      `field ${base}message is ${describeKind(message)}; expected a Pub/Sub message object`,
      `${base}message`,
    );
  }
  const at = `${base}message.`;
  const unknownId: Where = { what: 'Pub/Sub envelope' };

  const id = firstPresent(message, ['messageId', 'message_id'], at, 'id', fallbackId);
  const messageId = identifier(unknownId, id.value, id.field, 'a Pub/Sub message id');
  const where: Where = { what: 'Pub/Sub envelope', messageId };

  const time = firstPresent(message, ['publishTime', 'publish_time'], at, 'time', fallbackTime);
  const expectedTime = 'an RFC 3339 publish time such as 2024-05-01T12:00:00.123Z';
  if (time.value === undefined) throw missing(where, time.field, expectedTime);
  const publishTime = parseRfc3339(time.value);
  if (publishTime === null) throw invalid(where, time.field, time.value, expectedTime);

  const attributes = attributesOf(where, own(message, 'attributes'), `${at}attributes`);
  const data = decodeData(where, own(message, 'data'), `${at}data`, maxDataBytes);
  const ordering = firstPresent(message, ['orderingKey', 'ordering_key'], at);
  const orderingKey = optionalString(
    where,
    ordering.value,
    ordering.field,
    PUBSUB_MAX_ORDERING_KEY_BYTES,
  );
  const subscription = optionalString(
    where,
    own(container, 'subscription'),
    `${base}subscription`,
    MAX_SUBSCRIPTION_BYTES,
  );

  return {
    messageId,
    data,
    attributes,
    publishTime: publishTime.ms,
    ...(orderingKey === undefined ? {} : { orderingKey }),
    ...(subscription === undefined ? {} : { subscription }),
  };
}
