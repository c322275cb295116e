import test from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import {
  BENCH_SUBSCRIPTION,
  BENCH_TOPIC,
  benchCloudEvent,
  benchPublication,
  SOURCES,
  sourceOf,
} from '../../../bench/ingest/messages.js';
import { PUBSUB_MESSAGE_PUBLISHED } from '../../../stack/eventarc-relay.js';
import { binaryCloudEvent } from '../../alerts/ingest/fixtures/gcp-formats.js';

const TS = Date.UTC(2026, 11, 7, 12, 0, 0, 123);

/** Bench request `i` as the Functions Framework hands it to alertIngest. */
const handed = (run: string, i: number) =>
  binaryCloudEvent({ path: '/', ...benchCloudEvent(run, i, TS) });

test('ingest bench: a request is Eventarc binary mode, both spellings in the body', (t) => {
  const { headers, body } = benchCloudEvent('r0', 4, TS);
  t.deepEqual(headers, {
    'ce-id': 'r0-m4',
    'ce-source': `//pubsub.googleapis.com/${BENCH_TOPIC}`,
    'ce-specversion': '1.0',
    'ce-type': PUBSUB_MESSAGE_PUBLISHED,
    'ce-time': '2026-12-07T12:00:00.123Z',
    'content-type': 'application/json',
  });
  const { message, subscription } = JSON.parse(body);
  t.is(subscription, BENCH_SUBSCRIPTION);
  t.is(message.messageId, 'r0-m4');
  t.is(message.message_id, 'r0-m4');
  t.is(message.publishTime, '2026-12-07T12:00:00.123Z');
  t.is(message.publish_time, '2026-12-07T12:00:00.123Z');
  t.is(
    Buffer.from(message.data, 'base64').toString('utf8'),
    String(benchPublication('r0', 4, TS).data),
  );
});

test('ingest bench: the three sources take turns', (t) => {
  t.deepEqual(
    Array.from({ length: 6 }, (_, i) => sourceOf(i)),
    [...SOURCES, ...SOURCES],
  );
});

test('ingest bench: every request decodes and normalises to a new firing alert of its source', (t) => {
  const keys = new Set<string>();
  const ids = new Set<string>();
  for (const run of ['sqlite-r0-c16', 'postgres-r0-c16']) {
    for (let i = 0; i < 30; i++) {
      const message = decodeEnvelope(handed(run, i));
      const alert = normalise(message);
      t.is(alert.source, sourceOf(i));
      t.is(alert.status, 'firing');
      t.is(message.subscription, BENCH_SUBSCRIPTION);
      keys.add(alert.dedupeKey);
      ids.add(message.messageId);
    }
  }
  t.is(keys.size, 60, 'no two requests share a dedupe key');
  t.is(ids.size, 60, 'no two requests share a messageId');
});

test('ingest bench: incidents take the lifecycle path', (t) => {
  const alert = normalise(decodeEnvelope(handed('r1', 2)));
  t.is(alert.lifecycleId, 'monitoring:bench.r1.2');
});
