/**
 * The poison table: deliveries that alert ingest can never read, each as the handler would be
 * handed it, through the envelope decoder and `normalise` (what the ingest core will call). Every
 * row yields an `IngestPoisonError` with its stable code (never another exception), dead-lettered
 * or dropped as its catalogue entry says, and carrying the messageId once the envelope had one.
 */
import test from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import {
  INGEST_ERRORS,
  type IngestPoisonCode,
  IngestPoisonError,
} from '../../../alerts/ingest/errors.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import {
  binaryCloudEvent,
  EVENTARC_BINARY_HTTP,
  eventarcEvent,
  INCIDENT_METRIC_OPEN,
  INCIDENT_MINIMAL_BASE64,
  LOGSYNC_STDOUT_LINE,
  PUSH_BODY_ATTRIBUTES_ONLY,
  parseHttp,
  SCHEDULER_PUBSUB_TARGET,
} from './fixtures/gcp-formats.js';

const MESSAGE_ID = '11937951452598386';

/** The §1.1 event with its message edited. */
function withMessage(edit: (m: Record<string, unknown>) => void): Record<string, unknown> {
  const event = binaryCloudEvent(parseHttp(EVENTARC_BINARY_HTTP));
  edit((event.data as { message: Record<string, unknown> }).message);
  return event;
}

const carrying = (data: string | Buffer, attributes: Record<string, string> = {}) =>
  eventarcEvent({ data, attributes });

interface Row {
  readonly name: string;
  readonly event: unknown;
  readonly code: IngestPoisonCode;
  /** Whether the messageId was known when it failed. */
  readonly id: boolean;
}

const ROWS: readonly Row[] = [
  // Not a Pub/Sub delivery at all.
  { name: 'a null event', event: null, code: 'INGEST_ERR_ENVELOPE', id: false },
  { name: 'a string event', event: 'hello', code: 'INGEST_ERR_ENVELOPE', id: false },
  {
    name: 'an event that is a Buffer (an octet-stream body)',
    event: Buffer.from('{}'),
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  { name: 'an empty object', event: {}, code: 'INGEST_ERR_ENVELOPE', id: false },
  {
    name: 'a Cloud Storage CloudEvent',
    event: { id: '1', type: 'google.cloud.storage.object.v1.finalized', data: { bucket: 'b' } },
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  {
    name: 'a CloudEvent whose data is a number',
    event: { id: '1', data: 7 },
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  {
    name: 'a CloudEvent whose data is text, not JSON',
    event: { id: '1', data: 'message=1' },
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  {
    name: 'MessagePublishedData without a message',
    event: { id: '1', data: { subscription: 's' } },
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  {
    name: 'a message that is an array',
    event: { id: '1', data: { message: [] } },
    code: 'INGEST_ERR_ENVELOPE',
    id: false,
  },
  // The envelope's own fields.
  {
    name: 'no messageId anywhere',
    event: {
      data: withMessage((m) => {
        delete m.messageId;
        delete m.message_id;
      }).data,
    },
    code: 'INGEST_ERR_FIELD_MISSING',
    id: false,
  },
  {
    name: 'a numeric messageId',
    event: withMessage((m) => (m.messageId = 11937951452598386)),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: false,
  },
  {
    name: 'a messageId with a newline',
    event: withMessage((m) => (m.messageId = '1\n2')),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: false,
  },
  {
    name: 'a raw push without publishTime',
    event: { subscription: 's', message: { messageId: '9', attributes: { k: 'v' } } },
    code: 'INGEST_ERR_FIELD_MISSING',
    id: true,
  },
  {
    name: 'a publishTime of "1" (Date.parse would take it)',
    event: withMessage((m) => (m.publishTime = '1')),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'a publishTime of February 30',
    event: withMessage((m) => (m.publishTime = '2024-02-30T00:00:00Z')),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'attributes that are an array',
    event: withMessage((m) => (m.attributes = ['k'])),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'an attribute that is a number',
    event: withMessage((m) => (m.attributes = { n: 1 })),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: '101 attributes',
    event: withMessage(
      (m) =>
        (m.attributes = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']))),
    ),
    code: 'INGEST_ERR_TOO_LARGE',
    id: true,
  },
  {
    name: 'an attribute value of 1025 bytes',
    event: withMessage((m) => (m.attributes = { k: 'v'.repeat(1025) })),
    code: 'INGEST_ERR_TOO_LARGE',
    id: true,
  },
  {
    name: 'an ordering key that is a number',
    event: withMessage((m) => (m.orderingKey = 3)),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'data with a space in its base64',
    event: withMessage((m) => (m.data = 'SGVs bG8=')),
    code: 'INGEST_ERR_BASE64',
    id: true,
  },
  {
    name: 'data with a character outside base64',
    event: withMessage((m) => (m.data = 'SGVsbG8!')),
    code: 'INGEST_ERR_BASE64',
    id: true,
  },
  {
    name: 'data of one base64 digit too many',
    event: withMessage((m) => (m.data = 'SGVsbG8=A')),
    code: 'INGEST_ERR_BASE64',
    id: true,
  },
  {
    name: 'data that is a number',
    event: withMessage((m) => (m.data = 12)),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'data over 1 MiB',
    event: carrying(Buffer.alloc(1024 * 1024 + 1, '{')),
    code: 'INGEST_ERR_TOO_LARGE',
    id: true,
  },
  // The payload.
  {
    name: 'a push body with attributes only',
    event: JSON.parse(PUSH_BODY_ATTRIBUTES_ONLY),
    code: 'INGEST_ERR_ATTRIBUTES_ONLY',
    id: true,
  },
  {
    name: 'an incident carrying origin=runwatch',
    event: carrying(INCIDENT_METRIC_OPEN, { origin: 'runwatch' }),
    code: 'INGEST_ERR_LOOP',
    id: true,
  },
  {
    name: 'attributes only, carrying origin=runwatch (the loop comes first)',
    event: withMessage((m) => {
      delete m.data;
      m.attributes = { origin: 'runwatch' };
    }),
    code: 'INGEST_ERR_LOOP',
    id: true,
  },
  {
    name: 'bytes that are not UTF-8',
    event: carrying(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    code: 'INGEST_ERR_NOT_JSON',
    id: true,
  },
  {
    name: 'UTF-16 JSON',
    event: carrying(Buffer.from('{"a":1}', 'utf16le')),
    code: 'INGEST_ERR_NOT_JSON',
    id: true,
  },
  {
    name: 'text that is not JSON (the §1.3 "Hello")',
    event: carrying('Hello'),
    code: 'INGEST_ERR_NOT_JSON',
    id: true,
  },
  {
    name: 'truncated JSON',
    event: carrying(INCIDENT_METRIC_OPEN.slice(0, 100)),
    code: 'INGEST_ERR_NOT_JSON',
    id: true,
  },
  {
    name: 'a JSON array',
    event: carrying('[{"incident":{}}]'),
    code: 'INGEST_ERR_UNKNOWN_SHAPE',
    id: true,
  },
  { name: 'JSON null', event: carrying('null'), code: 'INGEST_ERR_UNKNOWN_SHAPE', id: true },
  {
    name: 'the §1.1 sweep trigger data',
    event: binaryCloudEvent(parseHttp(EVENTARC_BINARY_HTTP)),
    code: 'INGEST_ERR_UNKNOWN_SHAPE',
    id: true,
  },
  {
    name: "a Cloud Scheduler Pub/Sub target's message (§8)",
    event: carrying(
      Buffer.from(JSON.parse(SCHEDULER_PUBSUB_TARGET).data, 'base64'),
      JSON.parse(SCHEDULER_PUBSUB_TARGET).attributes,
    ),
    code: 'INGEST_ERR_UNKNOWN_SHAPE',
    id: true,
  },
  {
    name: 'the minimal incident (§3)',
    event: carrying(Buffer.from(INCIDENT_MINIMAL_BASE64, 'base64')),
    code: 'INGEST_ERR_FIELD_MISSING',
    id: true,
  },
  {
    name: 'an incident that is a string',
    event: carrying('{"version":"1.2","incident":"open"}'),
    code: 'INGEST_ERR_FIELD_INVALID',
    id: true,
  },
  {
    name: 'an empty body marked as a sink entry',
    event: carrying('{}', { 'logging.googleapis.com/timestamp': '2024-05-01T12:00:00Z' }),
    code: 'INGEST_ERR_FIELD_MISSING',
    id: true,
  },
  {
    name: 'a LogSync stdout line (§7)',
    event: carrying(LOGSYNC_STDOUT_LINE),
    code: 'INGEST_ERR_FIELD_MISSING',
    id: true,
  },
  {
    name: 'an empty body marked as alert-event.v1',
    event: carrying('{}', { schema: 'alert-event.v1' }),
    code: 'INGEST_ERR_FIELD_MISSING',
    id: true,
  },
];

/** What the ingest core will do with a delivery: decode, then normalise. */
const ingest = (event: unknown) => normalise(decodeEnvelope(event));

test('poison table: at least 25 rows, covering every code in the catalogue', (t) => {
  t.true(ROWS.length >= 25, `${ROWS.length} rows`);
  t.deepEqual([...new Set(ROWS.map((r) => r.code))].sort(), Object.keys(INGEST_ERRORS).sort());
});

for (const row of ROWS) {
  test(`poison: ${row.name} is ${row.code}`, (t) => {
    let thrown: unknown;
    try {
      ingest(row.event);
    } catch (e) {
      thrown = e;
    }
    if (!(thrown instanceof IngestPoisonError)) {
      t.fail(
        `expected an IngestPoisonError, got ${thrown === undefined ? 'an alert' : String(thrown)}`,
      );
      return;
    }
    t.is(thrown.code, row.code, thrown.message);
    t.is(thrown.statusCode, 204);
    t.is(thrown.deadLetter, INGEST_ERRORS[row.code].deadLetter);
    if (row.id) t.truthy(thrown.messageId, 'carries the messageId');
    else t.is(thrown.messageId, undefined);
    t.true(thrown.message.length <= 600, `a bounded message (${thrown.message.length})`);
  });
}

test('poison: only a loop is dropped; every other kind is dead-lettered', (t) => {
  const dropped = Object.entries(INGEST_ERRORS)
    .filter(([, spec]) => !spec.deadLetter)
    .map(([code]) => code);
  t.deepEqual(dropped, ['INGEST_ERR_LOOP']);
});

test('poison: messages quote a field path, the value and the expectation', (t) => {
  const err = t.throws(() => ingest(withMessage((m) => (m.publishTime = '1'))), {
    instanceOf: IngestPoisonError,
  });
  t.is(
    err?.message,
    'Pub/Sub envelope: field data.message.publishTime is "1"; expected an RFC 3339 publish time such as 2024-05-01T12:00:00.123Z',
  );
  t.is(err?.messageId, MESSAGE_ID);
});
