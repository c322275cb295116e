/**
 * Properties of the envelope decoder and `normalise` over generated input: whatever arrives, the
 * only exception is an `IngestPoisonError` (anything else would be retried for ever, or crash the
 * handler), an alert that comes out is well formed, and the same message always gives the same
 * dedupe key, as does the same content republished under a new messageId.
 */
import test from 'ava';
import fc from 'fast-check';
import { findingEvent } from '../../../alerts/ingest/alert-event.js';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { IngestPoisonError } from '../../../alerts/ingest/errors.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import { LOG_TIMESTAMP_ATTRIBUTE } from '../../../alerts/ingest/sources/log-entry.js';
import type { IncomingAlert, PubSubMessage } from '../../../alerts/types.js';
import {
  binaryCloudEvent,
  EVENTARC_BINARY_HTTP,
  eventarcEvent,
  frameworkPushEvent,
  INCIDENT_LOG_MATCH,
  INCIDENT_METRIC_CLOSED,
  INCIDENT_METRIC_OPEN,
  INCIDENT_TEST,
  PUSH_BODY,
  PUSH_BODY_ATTRIBUTES_ONLY,
  parseHttp,
  pubsubMessage,
  SINK_LOG_ENTRY,
  structuredCloudEvent,
} from './fixtures/gcp-formats.js';

const RUNS = { numRuns: 300 };

/** Runs `f`; an IngestPoisonError is an answer, anything else thrown fails the property. */
function outcome<T>(f: () => T): T | IngestPoisonError {
  try {
    return f();
  } catch (e) {
    if (e instanceof IngestPoisonError) return e;
    throw e;
  }
}

const ENVELOPES: readonly (() => unknown)[] = [
  () => binaryCloudEvent(parseHttp(EVENTARC_BINARY_HTTP)),
  () => structuredCloudEvent(parseHttp(EVENTARC_BINARY_HTTP)),
  () => frameworkPushEvent(PUSH_BODY, '/projects/p/topics/t'),
  () => JSON.parse(PUSH_BODY_ATTRIBUTES_ONLY),
  () => JSON.parse(PUSH_BODY),
];

const FINDING_EVENT = findingEvent(
  {
    alertname: 'InferDown',
    target: 'emotion',
    severity: 'critical',
    state: 'firing',
    ts: Date.UTC(2026, 10, 27, 12),
    labels: { alertname: 'InferDown', target: 'emotion', severity: 'critical' },
    annotations: { summary: 'emotion is down', observed: 0, threshold: 1 },
  },
  'local-health-sweep@2026-11-27T12:00:00.000Z',
);

/** Valid payloads of every source, with the attributes their producer sets. */
const PAYLOADS: readonly { text: string; attributes: Record<string, string> }[] = [
  { text: INCIDENT_METRIC_OPEN, attributes: {} },
  { text: INCIDENT_METRIC_CLOSED, attributes: {} },
  { text: INCIDENT_LOG_MATCH, attributes: {} },
  { text: INCIDENT_TEST, attributes: {} },
  {
    text: SINK_LOG_ENTRY,
    attributes: { [LOG_TIMESTAMP_ATTRIBUTE]: '2024-05-01T12:00:00.123456Z' },
  },
  { text: JSON.stringify(FINDING_EVENT.json), attributes: FINDING_EVENT.attributes },
];

/** A JSON value with one place replaced by `replacement` (or deleted), chosen by `path`. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined || value === null || typeof value !== 'object') return replacement;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...value };
  const keys = Object.keys(copy);
  if (keys.length === 0) return replacement;
  const key = keys[step % keys.length] as string;
  const child = (copy as Record<string, unknown>)[key];
  const next = rest.length === 0 ? replacement : mutate(child, rest, replacement);
  if (next === DELETE && !Array.isArray(copy)) delete copy[key];
  else (copy as Record<string, unknown>)[key] = next === DELETE ? null : next;
  return copy;
}
const DELETE = Symbol('delete');

const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant(DELETE),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    'null',
    0,
    -1,
    1e300,
    'OPEN',
    'closed',
    '2024-02-30T00:00:00Z',
    '\u0000',
    '\uD800',
  ),
);
const path = fc.array(fc.nat(), { minLength: 1, maxLength: 5 });

function wellFormed(alert: IncomingAlert): boolean {
  // Storable: no NUL and no lone surrogate (neither survives PostgreSQL text or jsonb).
  const storable = (v: string) => !v.includes('\u0000') && v === Buffer.from(v).toString();
  const strings = (r: Readonly<Record<string, string>>) =>
    Object.entries(r).every(([k, v]) => typeof v === 'string' && storable(k) && storable(v));
  return (
    ['monitoring', 'log', 'runwatch'].includes(alert.source) &&
    alert.dedupeKey.startsWith(`${alert.source}:`) &&
    ['firing', 'resolved'].includes(alert.status) &&
    typeof alert.labels.alertname === 'string' &&
    alert.labels.alertname !== '' &&
    ['critical', 'warning', 'info'].includes(alert.labels.severity ?? '') &&
    strings(alert.labels) &&
    strings(alert.annotations) &&
    typeof alert.annotations.summary === 'string' &&
    Number.isSafeInteger(alert.startsAt) &&
    alert.startsAt >= 0 &&
    (alert.endsAt === null || Number.isSafeInteger(alert.endsAt)) &&
    (alert.status === 'firing' ? alert.endsAt === null : true)
  );
}

test('properties: the envelope decoder throws only IngestPoisonError for any JSON value', (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (event) => {
      outcome(() => decodeEnvelope(event));
    }),
    RUNS,
  );
  t.pass();
});

test('properties: the envelope decoder throws only IngestPoisonError for any value at all', (t) => {
  fc.assert(
    fc.property(fc.anything({ withBigInt: true, withTypedArray: true, withMap: true }), (event) => {
      outcome(() => decodeEnvelope(event));
    }),
    RUNS,
  );
  t.pass();
});

test('properties: the envelope decoder throws only IngestPoisonError for mutated valid envelopes', (t) => {
  fc.assert(
    fc.property(fc.nat(ENVELOPES.length - 1), path, replacement, (which, at, value) => {
      const event = mutate((ENVELOPES[which] as () => unknown)(), at, value);
      const result = outcome(() => decodeEnvelope(event));
      if (!(result instanceof IngestPoisonError)) {
        return typeof result.messageId === 'string' && Buffer.isBuffer(result.data);
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('properties: normalise throws only IngestPoisonError for any bytes and attributes', (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 512 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 5 }),
      (bytes, attributes) => {
        const result = outcome(() => normalise(pubsubMessage(Buffer.from(bytes), attributes)));
        return result instanceof IngestPoisonError || wellFormed(result);
      },
    ),
    RUNS,
  );
  t.pass();
});

test('properties: normalise throws only IngestPoisonError for any JSON under any source marker', (t) => {
  const marker = fc.constantFrom<Record<string, string>>(
    {},
    { schema: 'alert-event.v1' },
    { [LOG_TIMESTAMP_ATTRIBUTE]: '2024-05-01T12:00:00Z' },
    { origin: 'runwatch' },
  );
  const body = fc.oneof(
    fc.jsonValue(),
    fc.record({ version: fc.jsonValue(), incident: fc.jsonValue() }),
    fc.record({ logName: fc.jsonValue(), insertId: fc.jsonValue(), jsonPayload: fc.jsonValue() }),
    fc.record({ schema: fc.constant('alert-event.v1'), labels: fc.jsonValue() }),
  );
  fc.assert(
    fc.property(body, marker, (json, attributes) => {
      const result = outcome(() =>
        normalise(pubsubMessage(JSON.stringify(json) ?? 'null', attributes)),
      );
      return result instanceof IngestPoisonError || wellFormed(result);
    }),
    RUNS,
  );
  t.pass();
});

test('properties: normalise throws only IngestPoisonError for mutated valid payloads, and what it accepts is well formed', (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.nat(PAYLOADS.length - 1), path, replacement, (which, at, value) => {
      const { text, attributes } = PAYLOADS[which] as (typeof PAYLOADS)[number];
      const mutated = JSON.stringify(mutate(JSON.parse(text), at, value)) ?? 'null';
      const result = outcome(() => normalise(pubsubMessage(mutated, attributes)));
      if (result instanceof IngestPoisonError) return true;
      accepted++;
      return wellFormed(result);
    }),
    { numRuns: 2000 },
  );
  // Most single mutations hit explanatory fields: the property saw alerts, not only poison.
  t.true(accepted > 200, `${accepted} of 2000 mutated payloads normalised`);
});

test('properties: normalising the same message twice gives the same alert and dedupe key', (t) => {
  fc.assert(
    fc.property(fc.nat(PAYLOADS.length - 1), path, replacement, (which, at, value) => {
      const { text, attributes } = PAYLOADS[which] as (typeof PAYLOADS)[number];
      const message: PubSubMessage = pubsubMessage(
        JSON.stringify(mutate(JSON.parse(text), at, value)) ?? 'null',
        attributes,
      );
      const first = outcome(() => normalise(message));
      const second = outcome(() => normalise({ ...message, data: Buffer.from(message.data) }));
      if (first instanceof IngestPoisonError || second instanceof IngestPoisonError) {
        return (
          first instanceof IngestPoisonError &&
          second instanceof IngestPoisonError &&
          first.code === second.code
        );
      }
      t.deepEqual(second, first);
      return second.dedupeKey === first.dedupeKey;
    }),
    { numRuns: 500 },
  );
});

test('properties: the same content republished under another messageId and publish time has the same dedupe key (test notifications aside)', (t) => {
  const republished = PAYLOADS.filter((p) => p.text !== INCIDENT_TEST);
  fc.assert(
    fc.property(
      fc.nat(republished.length - 1),
      fc.stringMatching(/^[0-9]{1,20}$/),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      (which, messageId, ms) => {
        const { text, attributes } = republished[which] as (typeof PAYLOADS)[number];
        const publishTime = new Date(ms).toISOString();
        const a = normalise(decodeEnvelope(eventarcEvent({ data: text, attributes })));
        const b = normalise(
          decodeEnvelope(eventarcEvent({ data: text, attributes, messageId, publishTime })),
        );
        return a.dedupeKey === b.dedupeKey;
      },
    ),
    RUNS,
  );
  t.pass();
});
