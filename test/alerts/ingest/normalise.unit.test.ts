import test from 'ava';
import { IngestPoisonError } from '../../../alerts/ingest/errors.js';
import { classify, normalise } from '../../../alerts/ingest/normalise.js';
import { LOG_TIMESTAMP_ATTRIBUTE } from '../../../alerts/ingest/sources/log-entry.js';
import type { AlertSource } from '../../../alerts/types.js';
import { INCIDENT_METRIC_OPEN, pubsubMessage, SINK_LOG_ENTRY } from './fixtures/gcp-formats.js';

const SINK = { [LOG_TIMESTAMP_ATTRIBUTE]: '2024-05-01T12:00:00Z' };
const incident = JSON.parse(INCIDENT_METRIC_OPEN);
const entry = JSON.parse(SINK_LOG_ENTRY);

const CLASSES: [string, Record<string, string>, Record<string, unknown>, AlertSource | null][] = [
  ['an incident', {}, incident, 'monitoring'],
  ['a LogEntry with the sink attribute', SINK, entry, 'log'],
  ['a LogEntry without it', {}, entry, 'log'],
  ['a body with only an insertId', {}, { insertId: 'x' }, 'log'],
  ['an incident published with the sink attribute', SINK, incident, 'log'],
  ['an incident marked alert-event.v1', { schema: 'alert-event.v1' }, incident, 'runwatch'],
  ['a body whose schema field is alert-event.v9', {}, { schema: 'alert-event.v9' }, 'runwatch'],
  ['a body with a foreign schema attribute', { schema: 'cloudevents' }, { a: 1 }, null],
  ['an empty object', {}, {}, null],
];
for (const [name, attributes, body, expected] of CLASSES) {
  test(`normalise: ${name} is classified as ${expected ?? 'no source'}`, (t) => {
    t.is(classify(attributes, body), expected);
  });
}

test('normalise: origin=runwatch is a loop before anything else is looked at', (t) => {
  const err = t.throws(() => normalise(pubsubMessage('\u00ff not json', { origin: 'runwatch' })), {
    instanceOf: IngestPoisonError,
  });
  t.is(err?.code, 'INGEST_ERR_LOOP');
  t.is(err?.field, 'attributes.origin');
});

test('normalise: another origin is no loop', (t) => {
  const alert = normalise(pubsubMessage(INCIDENT_METRIC_OPEN, { origin: 'monitoring' }));
  t.is(alert.source, 'monitoring');
});

test('normalise: data over maxDataBytes is INGEST_ERR_TOO_LARGE also for a message built in-process', (t) => {
  const message = pubsubMessage(INCIDENT_METRIC_OPEN);
  t.notThrows(() => normalise(message, { maxDataBytes: message.data.length }));
  const err = t.throws(() => normalise(message, { maxDataBytes: message.data.length - 1 }), {
    instanceOf: IngestPoisonError,
  });
  t.is(err?.code, 'INGEST_ERR_TOO_LARGE');
  t.is(err?.messageId, '11937951452598386');
});

test('normalise: a UTF-8 byte order mark before the JSON is allowed', (t) => {
  const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(INCIDENT_METRIC_OPEN)]);
  t.is(normalise(pubsubMessage(data)).source, 'monitoring');
});

test('normalise: an unknown shape names a few of its fields, bounded', (t) => {
  const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field${i}`, i]));
  const err = t.throws(() => normalise(pubsubMessage(JSON.stringify(body))), {
    instanceOf: IngestPoisonError,
  });
  t.is(err?.code, 'INGEST_ERR_UNKNOWN_SHAPE');
  t.regex(err?.message ?? '', /50 field\(s\) \("field0", "field1", "field2", "field3", "field4"\)/);
});
