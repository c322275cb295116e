/**
 * A LogEntry from a Cloud Logging sink to Pub/Sub (gcp-formats.md §6): one message per entry,
 * `data` the entry in proto3 JSON, attribute `logging.googleapis.com/timestamp`. The field names
 * are @google-cloud/logging 11.4.0's own `google.logging.v2.ILogEntry`; where its proto type and
 * the wire differ, the wire is what is read (`WireLogEntry` below).
 *
 * Read strictly (poison when wrong): `insertId`, `logName` (`projects|organizations|folders|
 * billingAccounts/<id>/logs/<log id>`), `timestamp` (RFC 3339; else the timestamp attribute,
 * else `receiveTimestamp`), `severity` (a LogSeverity name in any case, or its number), at most
 * one of `textPayload` (a string), `jsonPayload` (an object) and `protoPayload` (an object with
 * an `@type`), and the label maps. An entry without any payload is allowed (request logs may
 * carry only `httpRequest`).
 *
 * A log entry is a point event: it fires, at its timestamp, and never resolves by itself (the
 * engine times it out). Labels identify the alert, so only what is stable across entries of one
 * kind goes there: `alertname` (the entry label `alertname`, else the log id, URL-decoded, such as
 * `run.googleapis.com/stderr`), `severity`, `log_severity` (the LogSeverity name), `log` (the log
 * id), `resource_type` and `resource_<key>`. What varies per entry goes to the annotations:
 * `summary` (the text payload, the JSON payload's `message`, an audit log's method and resource,
 * or the HTTP request), `description` (a bounded preview of a JSON or proto payload), `insert_id`,
 * `log_name`, `payload_type`, `http_request`, `trace`, `span_id` and the entry labels as
 * `label_<key>`.
 *
 * Severity: CRITICAL, ALERT and EMERGENCY (a person must act now) are `critical`; ERROR and
 * WARNING `warning`; NOTICE, INFO, DEBUG and DEFAULT (also an absent severity) `info`. This is the
 * Monitoring mapping's reading of the same words, so one sink filter (`severity>=ERROR`) does not
 * page for every error line; a route may match `log_severity` to page on ERROR.
 *
 * Identity: `log:<logName>:<timestamp>:<insertId>`, the timestamp in UTC with nine fraction
 * digits. Cloud Logging treats two entries as one exactly when project, timestamp and insertId are
 * equal; insertIds are chosen by writers (client libraries, structured-log lines), so across the
 * logs and projects of an aggregated sink they are not unique alone. The log name holds the
 * project and keeps the key finer than Logging's own, never coarser.
 */
import type { protos } from '@google-cloud/logging';
import type { IncomingAlert, PubSubMessage, Severity } from '../../types.js';
import {
  defined,
  identifier,
  invalid,
  isObject,
  type Json,
  MAX_ANNOTATION_CHARS,
  MAX_LABEL_VALUE_CHARS,
  missing,
  optionalText,
  own,
  parseRfc3339,
  prefixed,
  type Rfc3339Time,
  storable,
  stringMap,
  type Where,
} from '../fields.js';

type ProtoLogEntry = protos.google.logging.v2.ILogEntry;
type ProtoHttpRequest = protos.google.logging.type.IHttpRequest;
export type LogSeverityName = keyof typeof protos.google.logging.type.LogSeverity;

/**
 * The HTTP request as the sink writes it. Proto: `latency` is a Duration object
 * `{seconds, nanos}` and the sizes are Long; wire: `latency` is a string such as `"1.250s"` and
 * the int64 sizes are decimal strings.
 */
export type WireHttpRequest = Omit<
  ProtoHttpRequest,
  'latency' | 'requestSize' | 'responseSize' | 'cacheFillBytes'
> & {
  latency?: string | null;
  requestSize?: string | null;
  responseSize?: string | null;
  cacheFillBytes?: string | null;
};

/**
 * The LogEntry as a sink writes it: proto3 JSON of `ILogEntry`. Where the library's proto type
 * differs from the wire:
 * - `timestamp`, `receiveTimestamp`: proto `Timestamp {seconds, nanos}`; wire an RFC 3339 string;
 * - `severity`: proto the enum's number (or name); wire its name, `"ERROR"`;
 * - `jsonPayload`: proto `Struct {fields: {k: Value}}`; wire the plain JSON object;
 * - `protoPayload`: proto `Any {type_url, value: bytes}`; wire the message's own JSON with its type
 *   in `"@type"` (`type.googleapis.com/google.cloud.audit.AuditLog`);
 * - `httpRequest`: `WireHttpRequest`.
 * Everything else (`insertId`, `logName`, `resource`, `labels`, `trace`, `spanId`, ...) is the same.
 */
export type WireLogEntry = Omit<
  ProtoLogEntry,
  'timestamp' | 'receiveTimestamp' | 'severity' | 'jsonPayload' | 'protoPayload' | 'httpRequest'
> & {
  timestamp?: string | null;
  receiveTimestamp?: string | null;
  severity?: LogSeverityName | null;
  jsonPayload?: Record<string, unknown> | null;
  protoPayload?: ({ '@type': string } & Record<string, unknown>) | null;
  httpRequest?: WireHttpRequest | null;
};

/** A wire type's fields, none of them checked yet. */
type Unchecked<T> = { readonly [K in keyof T]-?: unknown };

/** The attribute a logging sink puts on every message. */
export const LOG_TIMESTAMP_ATTRIBUTE = 'logging.googleapis.com/timestamp';

export const LOG_SEVERITY: Readonly<Record<LogSeverityName, Severity>> = {
  DEFAULT: 'info',
  DEBUG: 'info',
  INFO: 'info',
  NOTICE: 'info',
  WARNING: 'warning',
  ERROR: 'warning',
  CRITICAL: 'critical',
  ALERT: 'critical',
  EMERGENCY: 'critical',
};

// proto3 JSON parsers also accept an enum's number.
const SEVERITY_BY_NUMBER: Readonly<Record<number, LogSeverityName>> = {
  0: 'DEFAULT',
  100: 'DEBUG',
  200: 'INFO',
  300: 'NOTICE',
  400: 'WARNING',
  500: 'ERROR',
  600: 'CRITICAL',
  700: 'ALERT',
  800: 'EMERGENCY',
};

const LOG_NAME = /^(?:projects|organizations|folders|billingAccounts)\/[^/]+\/logs\/([^/]+)$/;
const PAYLOADS = ['textPayload', 'jsonPayload', 'protoPayload'] as const;
const PREVIEW_DEPTH = 6;

/** Whether a payload looks like a LogEntry (the classifier's test, after the attribute). */
export function isLogEntry(body: Json): boolean {
  return own(body, 'logName') !== undefined || own(body, 'insertId') !== undefined;
}

function severityName(where: Where, value: unknown): LogSeverityName {
  if (value === undefined || value === null) return 'DEFAULT';
  const name =
    typeof value === 'string'
      ? value.toUpperCase()
      : typeof value === 'number'
        ? SEVERITY_BY_NUMBER[value]
        : undefined;
  if (name === undefined || !Object.hasOwn(LOG_SEVERITY, name)) {
    throw invalid(
      where,
      'severity',
      value,
      `a LogSeverity name (${Object.keys(LOG_SEVERITY).join(', ')}) or its number`,
    );
  }
  return name as LogSeverityName;
}

function timeOf(where: Where, entry: Unchecked<WireLogEntry>, message: PubSubMessage): Rfc3339Time {
  const candidates: [string, unknown][] = [
    ['timestamp', entry.timestamp],
    [`attributes.${LOG_TIMESTAMP_ATTRIBUTE}`, own(message.attributes, LOG_TIMESTAMP_ATTRIBUTE)],
    ['receiveTimestamp', entry.receiveTimestamp],
  ];
  for (const [field, value] of candidates) {
    if (value === undefined || value === null) continue;
    const time = parseRfc3339(value);
    // The wire form is a string; the proto's {seconds, nanos} object is not what a sink writes.
    if (time === null) throw invalid(where, field, value, 'an RFC 3339 time string');
    return time;
  }
  throw missing(where, 'timestamp', 'an RFC 3339 time string (or the timestamp attribute)');
}

/** The one payload, checked: its kind and value, or none. */
function payloadOf(
  where: Where,
  entry: Unchecked<WireLogEntry>,
):
  | { kind: 'textPayload'; value: string }
  | { kind: 'jsonPayload'; value: Json }
  | { kind: 'protoPayload'; value: Json; type: string }
  | { kind: 'none' } {
  const present = PAYLOADS.filter((k) => entry[k] !== undefined && entry[k] !== null);
  const [first, second] = present;
  if (second !== undefined) {
    throw invalid(where, second, entry[second], `no ${second} beside ${first}: one payload`);
  }
  const kind = first;
  if (kind === undefined) return { kind: 'none' };
  const value = entry[kind];
  if (kind === 'textPayload') {
    if (typeof value !== 'string') throw invalid(where, kind, value, 'a string');
    return { kind, value };
  }
  if (!isObject(value)) throw invalid(where, kind, value, 'an object');
  if (kind === 'jsonPayload') return { kind, value };
  const type = own(value, '@type');
  if (typeof type !== 'string' || type === '') {
    throw invalid(
      where,
      'protoPayload.@type',
      type,
      'the payload type URL, e.g. type.googleapis.com/google.cloud.audit.AuditLog',
    );
  }
  return { kind, value, type };
}

/**
 * Compact JSON of `value` for an annotation: at most `max` characters, and objects deeper than
 * `PREVIEW_DEPTH` levels written as `{…}`, so neither the size nor the depth of what a writer
 * logged costs more than a bounded walk.
 */
function preview(value: unknown, max: number): string {
  let out = '';
  const full = () => out.length > max;
  const write = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object') {
      out += typeof v === 'string' ? JSON.stringify(v.slice(0, max)) : String(v);
      return;
    }
    if (depth >= PREVIEW_DEPTH) {
      out += Array.isArray(v) ? '[…]' : '{…}';
      return;
    }
    const array = Array.isArray(v);
    out += array ? '[' : '{';
    let first = true;
    for (const [k, item] of array ? v.entries() : Object.entries(v)) {
      if (full()) break;
      out += first ? '' : ',';
      first = false;
      if (!array) out += `${JSON.stringify(String(k).slice(0, max))}:`;
      write(item, depth + 1);
    }
    out += array ? ']' : '}';
  };
  write(value, 0);
  return storable(out, max);
}

function httpRequestOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const req = value as Unchecked<WireHttpRequest>;
  const parts = [
    optionalText(req.requestMethod, 16),
    optionalText(req.requestUrl, MAX_LABEL_VALUE_CHARS),
    typeof req.status === 'number' ? String(req.status) : undefined,
    optionalText(req.latency, 32),
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? undefined : parts.join(' ');
}

/** An AuditLog's gist (not in the library's types: only the fields read here). */
function auditSummary(payload: Json): string | undefined {
  const method = optionalText(own(payload, 'methodName'), 256);
  if (method === undefined) return undefined;
  const resource = optionalText(own(payload, 'resourceName'), MAX_LABEL_VALUE_CHARS);
  const status = own(payload, 'status');
  const error = isObject(status) ? optionalText(own(status, 'message'), 1024) : undefined;
  const auth = own(payload, 'authenticationInfo');
  const who = isObject(auth) ? optionalText(own(auth, 'principalEmail'), 256) : undefined;
  return [method, resource, who === undefined ? undefined : `by ${who}`, error]
    .filter((p) => p !== undefined)
    .join(' ');
}

function logIdOf(logName: string): string {
  const raw = LOG_NAME.exec(logName)?.[1] ?? logName;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function parseLogEntry(body: Json, message: PubSubMessage): IncomingAlert {
  const where: Where = { what: 'log entry', messageId: message.messageId };
  const entry = body as Unchecked<WireLogEntry>;
  const insertId = identifier(where, entry.insertId, 'insertId', 'the entry insertId');
  const logName = identifier(where, entry.logName, 'logName', 'the log name');
  if (!LOG_NAME.test(logName)) {
    throw invalid(
      where,
      'logName',
      logName,
      'projects/<project>/logs/<log id> (or organizations/, folders/, billingAccounts/)',
    );
  }
  const time = timeOf(where, entry, message);
  const level = severityName(where, entry.severity);
  const payload = payloadOf(where, entry);

  if (entry.resource !== undefined && entry.resource !== null && !isObject(entry.resource)) {
    throw invalid(
      where,
      'resource',
      entry.resource,
      'an object {type, labels} (the monitored resource)',
    );
  }
  const resource = isObject(entry.resource) ? entry.resource : {};
  const resourceLabels = stringMap(where, own(resource, 'labels'), 'resource.labels');
  const entryLabels = stringMap(where, entry.labels, 'labels');

  const logId = storable(logIdOf(logName), MAX_LABEL_VALUE_CHARS);
  const alertname = optionalText(entryLabels.alertname, MAX_LABEL_VALUE_CHARS) ?? logId;
  const http = httpRequestOf(entry.httpRequest);
  const summary =
    (payload.kind === 'textPayload' ? optionalText(payload.value) : undefined) ??
    (payload.kind === 'jsonPayload' ? optionalText(own(payload.value, 'message')) : undefined) ??
    (payload.kind === 'protoPayload' ? auditSummary(payload.value) : undefined) ??
    http ??
    `${level} entry in ${logId}`;

  return {
    source: 'log',
    dedupeKey: `log:${logName}:${time.canonical}:${insertId}`,
    lifecycleId: null,
    status: 'firing',
    labels: defined([
      ['resource_type', optionalText(own(resource, 'type'), MAX_LABEL_VALUE_CHARS)],
      ...prefixed('resource_', resourceLabels),
      ['log', logId],
      ['log_severity', level],
      ['alertname', alertname],
      ['severity', LOG_SEVERITY[level]],
    ]),
    annotations: defined([
      ['summary', summary],
      [
        'description',
        payload.kind === 'jsonPayload' || payload.kind === 'protoPayload'
          ? preview(payload.value, MAX_ANNOTATION_CHARS)
          : undefined,
      ],
      [
        'payload_type',
        payload.kind === 'protoPayload' ? storable(payload.type, MAX_LABEL_VALUE_CHARS) : undefined,
      ],
      ['insert_id', insertId],
      ['log_name', logName],
      ['http_request', http],
      ['trace', optionalText(entry.trace, MAX_LABEL_VALUE_CHARS)],
      ['span_id', optionalText(entry.spanId, MAX_LABEL_VALUE_CHARS)],
      ...prefixed('label_', entryLabels),
    ]),
    startsAt: time.ms,
    endsAt: null,
  };
}
