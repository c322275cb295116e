import test from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { IngestPoisonError } from '../../../alerts/ingest/errors.js';
import {
  binaryCloudEvent,
  EVENTARC_BINARY_HTTP,
  frameworkPushEvent,
  PUSH_BODY,
  PUSH_BODY_ATTRIBUTES_ONLY,
  parseHttp,
  structuredCloudEvent,
} from './fixtures/gcp-formats.js';

const eventarc = () => binaryCloudEvent(parseHttp(EVENTARC_BINARY_HTTP));
const SWEEP_DATA = '{"sweepId":"2024-05-01T12:00:00Z","target":"infer"}';

function poison(t: import('ava').ExecutionContext, event: unknown, options = {}) {
  const err = t.throws(() => decodeEnvelope(event, options), { instanceOf: IngestPoisonError });
  return err as IngestPoisonError;
}

test('envelope: an Eventarc binary-mode CloudEvent decodes to its message, ordering key and subscription', (t) => {
  const message = decodeEnvelope(eventarc());
  t.is(message.messageId, '11937951452598386');
  t.is(message.publishTime, Date.UTC(2024, 4, 1, 12, 0, 0, 123));
  t.deepEqual(message.attributes, { sweep: 'infer' });
  t.is(message.data.toString('utf8'), SWEEP_DATA);
  t.is(message.orderingKey, 'infer');
  t.is(
    message.subscription,
    'projects/my-proj/subscriptions/eventarc-us-central1-health-sweep-123-sub-456',
  );
});

test('envelope: an Eventarc event published without an ordering key has none', (t) => {
  const event = eventarc();
  const data = event.data as { message: Record<string, unknown> };
  delete data.message.orderingKey;
  const message = decodeEnvelope(event);
  t.false('orderingKey' in message);
  t.is(message.messageId, '11937951452598386');
});

test('envelope: a structured-mode CloudEvent decodes to the same message as binary mode', (t) => {
  t.deepEqual(
    decodeEnvelope(structuredCloudEvent(parseHttp(EVENTARC_BINARY_HTTP))),
    decodeEnvelope(eventarc()),
  );
});

for (const path of ['/projects/myproject/topics/mytopic', '/']) {
  test(`envelope: the framework's conversion of a raw push posted to ${path} decodes without subscription or ordering key`, (t) => {
    const message = decodeEnvelope(frameworkPushEvent(PUSH_BODY, path));
    t.deepEqual(message, {
      messageId: '2070443601311540',
      data: Buffer.from('Hello'),
      attributes: { k: 'v' },
      publishTime: Date.UTC(2021, 1, 26, 19, 13, 55, 749),
    });
  });
}

test('envelope: a raw push body with attributes only (not converted by the framework) decodes with its messageId and empty data', (t) => {
  const message = decodeEnvelope(JSON.parse(PUSH_BODY_ATTRIBUTES_ONLY));
  t.is(message.messageId, '2070443601311541');
  t.is(message.data.length, 0);
  t.deepEqual(message.attributes, { k: 'v' });
  t.is(message.subscription, 'projects/myproject/subscriptions/mysubscription');
});

test('envelope: a raw push body with data, handed over unconverted, decodes too', (t) => {
  const message = decodeEnvelope(JSON.parse(PUSH_BODY));
  t.is(message.data.toString(), 'Hello');
  t.is(message.orderingKey, 'k');
  t.is(message.subscription, 'projects/myproject/subscriptions/mysubscription');
});

test('envelope: snake_case alone is read, and camelCase wins when both are present', (t) => {
  const snake = eventarc();
  const message = (snake.data as { message: Record<string, unknown> }).message;
  delete message.messageId;
  delete message.publishTime;
  message.message_id = 'snake-id';
  message.publish_time = '2024-05-01T12:00:01Z';
  delete message.orderingKey;
  message.ordering_key = 'snake-key';
  t.like(decodeEnvelope(snake), {
    messageId: 'snake-id',
    publishTime: Date.UTC(2024, 4, 1, 12, 0, 1),
    orderingKey: 'snake-key',
  });
  message.messageId = 'camel-id';
  message.publishTime = '2024-05-01T12:00:02Z';
  t.like(decodeEnvelope(snake), {
    messageId: 'camel-id',
    publishTime: Date.UTC(2024, 4, 1, 12, 0, 2),
  });
});

test("envelope: a message without messageId or publishTime takes the CloudEvent's id and time", (t) => {
  const event = eventarc();
  const message = (event.data as { message: Record<string, unknown> }).message;
  for (const k of ['messageId', 'message_id', 'publishTime', 'publish_time']) delete message[k];
  event.id = 'ce-id-1';
  event.time = '2024-05-01T12:00:00.5Z';
  t.like(decodeEnvelope(event), {
    messageId: 'ce-id-1',
    publishTime: Date.UTC(2024, 4, 1, 12, 0, 0, 500),
  });
});

test('envelope: publish times with nanoseconds and offsets are read to the millisecond', (t) => {
  const at = (publishTime: string) => {
    const event = eventarc();
    const message = (event.data as { message: Record<string, unknown> }).message;
    message.publishTime = publishTime;
    return decodeEnvelope(event).publishTime;
  };
  t.is(at('2022-07-25T22:19:09.903683708Z'), Date.UTC(2022, 6, 25, 22, 19, 9, 903));
  t.is(at('2024-05-01T14:00:00+02:00'), Date.UTC(2024, 4, 1, 12));
  t.is(at('2024-05-01t12:00:00z'), Date.UTC(2024, 4, 1, 12));
});

test('envelope: data of exactly maxDataBytes decodes; one byte more is INGEST_ERR_TOO_LARGE with the messageId', (t) => {
  const sized = (n: number) => {
    const event = eventarc();
    const message = (event.data as { message: Record<string, unknown> }).message;
    message.data = Buffer.alloc(n, 'x').toString('base64');
    return event;
  };
  t.is(decodeEnvelope(sized(1000), { maxDataBytes: 1000 }).data.length, 1000);
  const err = poison(t, sized(1001), { maxDataBytes: 1000 });
  t.is(err.code, 'INGEST_ERR_TOO_LARGE');
  t.is(err.messageId, '11937951452598386');
  t.is(err.field, 'data.message.data');
});

test('envelope: data past the default bound of 1 MiB is refused before it is decoded', (t) => {
  const event = eventarc();
  const message = (event.data as { message: Record<string, unknown> }).message;
  // Not base64 at all: only the size can have refused it.
  message.data = '!'.repeat(1.5 * 1024 * 1024);
  t.is(poison(t, event).code, 'INGEST_ERR_TOO_LARGE');
});

test('envelope: URL-safe and unpadded base64 decode like the standard alphabet', (t) => {
  const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01]);
  for (const text of ['+/+/AQ==', '-_-_AQ', '+/+/AQ']) {
    const event = eventarc();
    (event.data as { message: Record<string, unknown> }).message.data = text;
    t.deepEqual(decodeEnvelope(event).data, bytes, text);
  }
});

test('envelope: a binary-mode event whose data arrived as a Buffer (application/octet-stream) is parsed as JSON', (t) => {
  const event = eventarc();
  event.data = Buffer.from(JSON.stringify(event.data));
  t.is(decodeEnvelope(event).messageId, '11937951452598386');
});

test('envelope: an attribute named __proto__ stays an attribute', (t) => {
  const event = eventarc();
  (event.data as { message: Record<string, unknown> }).message.attributes = JSON.parse(
    '{"__proto__":"x","k":"v"}',
  );
  const { attributes } = decodeEnvelope(event);
  t.deepEqual(Object.keys(attributes), ['__proto__', 'k']);
  t.is(Object.getPrototypeOf(attributes), Object.prototype);
});

test('envelope: a poison error before the messageId is known carries none; after, it carries it', (t) => {
  const noId = eventarc();
  const m = (noId.data as { message: Record<string, unknown> }).message;
  for (const k of ['messageId', 'message_id']) delete m[k];
  delete noId.id;
  const before = poison(t, noId);
  t.is(before.code, 'INGEST_ERR_FIELD_MISSING');
  t.is(before.field, 'data.message.messageId');
  t.is(before.messageId, undefined);

  const badTime = eventarc();
  (badTime.data as { message: Record<string, unknown> }).message.publishTime = 'yesterday';
  const after = poison(t, badTime);
  t.is(after.code, 'INGEST_ERR_FIELD_INVALID');
  t.is(after.messageId, '11937951452598386');
  t.regex(after.message, /field data\.message\.publishTime is "yesterday"; expected an RFC 3339/);
});
