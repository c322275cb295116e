/**
 * One Pub/Sub message to one `IncomingAlert`, whatever the source, or an `IngestPoisonError`.
 *
 * In order, first match wins:
 * 1. attribute `origin=runwatch`: runwatch's own output came back, `INGEST_ERR_LOOP` (dropped,
 *    not dead-lettered), whatever the data;
 * 2. no data: `INGEST_ERR_ATTRIBUTES_ONLY`; more than `maxDataBytes`: `INGEST_ERR_TOO_LARGE`;
 * 3. not UTF-8 JSON: `INGEST_ERR_NOT_JSON`; JSON but not an object: `INGEST_ERR_UNKNOWN_SHAPE`;
 * 4. the source, by marker first and shape second:
 *    - attribute or field `schema` starting `alert-event.`: a runwatch event;
 *    - attribute `logging.googleapis.com/timestamp` (every sink message has it): a LogEntry;
 *    - a field `incident`: a Cloud Monitoring incident;
 *    - a field `logName` or `insertId`: a LogEntry (published without the attribute);
 *    - else `INGEST_ERR_UNKNOWN_SHAPE`;
 *    and that source's parser reads it, or throws `_FIELD_MISSING` / `_FIELD_INVALID`.
 *
 * Pure and deterministic: the same message always gives the same alert, dedupeKey included.
 */
import type { AlertSource, IncomingAlert, PubSubMessage } from '../types.js';
import { DEFAULT_MAX_DATA_BYTES } from './envelope.js';
import { IngestPoisonError } from './errors.js';
import { isObject, type Json, own } from './fields.js';
import { isLogEntry, LOG_TIMESTAMP_ATTRIBUTE, parseLogEntry } from './sources/log-entry.js';
import { isMonitoringIncident, parseMonitoringIncident } from './sources/monitoring-incident.js';
import { isRunwatchEvent, parseRunwatchEvent } from './sources/runwatch-event.js';

/** The attribute and value that mark what runwatch itself publishes (the `alerts` topic). */
export const ORIGIN_ATTRIBUTE = 'origin';
export const RUNWATCH_ORIGIN = 'runwatch';

export interface NormaliseOptions {
  /** Data larger than this is `INGEST_ERR_TOO_LARGE`. Default 1 MiB, as for the envelope. */
  readonly maxDataBytes?: number;
}

const PARSERS: Readonly<
  Record<AlertSource, (body: Json, message: PubSubMessage) => IncomingAlert>
> = {
  runwatch: parseRunwatchEvent,
  log: parseLogEntry,
  monitoring: parseMonitoringIncident,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Which source a decoded payload is, or null (step 4 above). */
export function classify(
  attributes: Readonly<Record<string, string>>,
  body: Json,
): AlertSource | null {
  if (isRunwatchEvent(attributes, body)) return 'runwatch';
  if (own(attributes, LOG_TIMESTAMP_ATTRIBUTE) !== undefined) return 'log';
  if (isMonitoringIncident(body)) return 'monitoring';
  if (isLogEntry(body)) return 'log';
  return null;
}

function poison(
  code:
    | 'INGEST_ERR_LOOP'
    | 'INGEST_ERR_ATTRIBUTES_ONLY'
    | 'INGEST_ERR_TOO_LARGE'
    | 'INGEST_ERR_NOT_JSON'
    | 'INGEST_ERR_UNKNOWN_SHAPE',
  message: PubSubMessage,
  text: string,
  field?: string,
): IngestPoisonError {
  return new IngestPoisonError(code, `message ${message.messageId}: ${text}`, {
    messageId: message.messageId,
    ...(field === undefined ? {} : { field }),
  });
}

export function normalise(message: PubSubMessage, options: NormaliseOptions = {}): IncomingAlert {
  const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  if (own(message.attributes, ORIGIN_ATTRIBUTE) === RUNWATCH_ORIGIN) {
    throw poison(
      'INGEST_ERR_LOOP',
      message,
      `attribute ${ORIGIN_ATTRIBUTE}=${RUNWATCH_ORIGIN}: runwatch published it, so it must not be ingested again (is the alerts topic wired to alert-ingest?)`,
      `attributes.${ORIGIN_ATTRIBUTE}`,
    );
  }
  if (message.data.length === 0) {
    const keys = Object.keys(message.attributes);
    throw poison(
      'INGEST_ERR_ATTRIBUTES_ONLY',
      message,
      `no data, ${keys.length} attribute(s)${keys.length > 0 ? ` (${keys.slice(0, 5).join(', ')})` : ''}; expected a payload`,
      'data',
    );
  }
  if (message.data.length > maxDataBytes) {
    throw poison(
      'INGEST_ERR_TOO_LARGE',
      message,
      `data of ${message.data.length} bytes; expected at most ${maxDataBytes} (the ingest bound)`,
      'data',
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(message.data));
  } catch (cause) {
    const why = cause instanceof SyntaxError ? 'not JSON' : 'not UTF-8 text';
    throw new IngestPoisonError(
      'INGEST_ERR_NOT_JSON',
      `message ${message.messageId}: data of ${message.data.length} bytes is ${why}; expected UTF-8 JSON`,
      { messageId: message.messageId, field: 'data' },
    );
  }
  if (!isObject(body)) {
    throw poison(
      'INGEST_ERR_UNKNOWN_SHAPE',
      message,
      `data is JSON ${body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body}; expected an object (a Monitoring incident, a LogEntry or an alert-event.v1)`,
      'data',
    );
  }
  const source = classify(message.attributes, body);
  if (source === null) {
    const keys = Object.keys(body);
    throw poison(
      'INGEST_ERR_UNKNOWN_SHAPE',
      message,
      `data is a JSON object with ${keys.length} field(s)${
        keys.length > 0
          ? ` (${keys
              .slice(0, 5)
              .map((k) => JSON.stringify(k.slice(0, 40)))
              .join(', ')})`
          : ''
      }, none of the accepted formats; expected a Monitoring incident {version, incident}, a LogEntry {logName, insertId, …} or an alert-event.v1 {schema, …}`,
      'data',
    );
  }
  return PARSERS[source](body, message);
}
