import test from 'ava';
import { parseSweepEvent } from '../../../functions/shared/sweep-event.js';

const TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function event(message: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: '11937951452598386',
    type: TYPE,
    source: '//pubsub.googleapis.com/projects/p/topics/t',
    specversion: '1.0',
    data: { message, subscription: 'projects/p/subscriptions/s' },
    ...extra,
  } as Parameters<typeof parseSweepEvent>[0];
}

test('sweep event: the id is pubsub:<sweep>@<publish minute>#<messageId>, the time is publishTime to the ms', (t) => {
  t.deepEqual(
    parseSweepEvent(
      event({
        messageId: '42',
        publishTime: '2024-05-01T12:00:59.999Z',
        attributes: { sweep: 'infer' },
      }),
    ),
    {
      sweepId: 'pubsub:infer@2024-05-01T12:00:00.000Z#42',
      ts: Date.parse('2024-05-01T12:00:59.999Z'),
      messageId: '42',
      sweep: 'infer',
    },
  );
});

test('sweep event: snake_case message fields and the CloudEvent id and time are fallbacks', (t) => {
  t.is(
    parseSweepEvent(event({ message_id: '7', publish_time: '2024-05-01T12:03:04Z' })).sweepId,
    'pubsub:default@2024-05-01T12:03:00.000Z#7',
  );
  t.is(
    parseSweepEvent(event({}, { time: '2024-05-01T12:03:04Z' })).sweepId,
    'pubsub:default@2024-05-01T12:03:00.000Z#11937951452598386',
  );
});

test('sweep event: the sweep attribute wins over the data, JSON data names the sweep, free-text data is ignored', (t) => {
  const base = { messageId: '1', publishTime: '2024-05-01T12:00:00Z' };
  const data = b64('{"sweep":"from-data","reason":"scheduled"}');
  t.is(parseSweepEvent(event({ ...base, data, attributes: { sweep: 'attr' } })).sweep, 'attr');
  t.is(parseSweepEvent(event({ ...base, data })).sweep, 'from-data');
  t.is(parseSweepEvent(event({ ...base, data: b64('tick') })).sweep, 'default');
  t.is(parseSweepEvent(event({ ...base, data: b64('[1,2]') })).sweep, 'default');
});

test('sweep event: a poison event names the field, its value and the expectation', (t) => {
  const base = { messageId: '1', publishTime: '2024-05-01T12:00:00Z' };
  const cases: [Parameters<typeof parseSweepEvent>[0], RegExp][] = [
    [event(base, { type: undefined }), /^field type is undefined; expected "google/],
    [event(base, { id: '' }), /^field id is ""; expected a non-empty CloudEvent id/],
    [{ ...event(base), data: 'text' }, /^field data is "text"; expected a MessagePublishedData/],
    [event({ ...base, messageId: 5 }), /^field data.message.messageId is 5; expected a non-empty/],
    [
      event({ ...base, attributes: 'x' }),
      /^field data.message.attributes is "x"; expected an object/,
    ],
    [event({ ...base, data: 'a===' }), /^field data.message.data is "a==="; expected base64/],
  ];
  for (const [ev, message] of cases) {
    t.throws(() => parseSweepEvent(ev), { code: 'SWEEP_ERR_EVENT_INVALID', message });
  }
});
