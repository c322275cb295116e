/** The replay's pure parts: routes from the topology, the attributes a replay carries, and what a refusal does. */
import test from 'ava';
import {
  deadLetterRoutes,
  type PulledDeadLetter,
  REPLAYED_FROM_ATTRIBUTE,
  replayDeadLetters,
  replayMessage,
} from '../../../alerts/pubsub/replay.js';
import { DLQ_ERR_PUBLISH_FAILED } from '../../../alerts/pubsub/replay-errors.js';
import { TOPOLOGY } from '../../../alerts/pubsub/topology.js';

const letter = (messageId: string, attributes: Record<string, string>): PulledDeadLetter => ({
  source: 'subscription',
  subscription: 'projects/p/subscriptions/keep',
  messageId,
  originalMessageId: attributes.runwatch_source_message_id ?? messageId,
  data: Buffer.from(messageId),
  attributes,
  publishTime: null,
  sourceSubscription: null,
  deliveryCount: null,
  code: null,
});

test('replay: the committed topology routes each dead-letter topic back to its source, the store only for the input', (t) => {
  t.deepEqual(deadLetterRoutes(TOPOLOGY), [
    {
      topic: 'alert-ingest-dead-letter',
      subscription: 'alert-ingest-dead-letter-keep',
      replayTo: 'alert-ingest',
      store: true,
    },
    {
      topic: 'alerts-dead-letter',
      subscription: 'alerts-dead-letter-keep',
      replayTo: 'alerts',
      store: false,
    },
  ]);
});

test("replay: a replay drops Pub/Sub's and alertIngest's bookkeeping and an earlier mark, and names the original", (t) => {
  const message = replayMessage(
    letter('dl-1', {
      sender: 'x',
      origin: 'elsewhere',
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: 's',
      runwatch_poison_code: 'INGEST_ERR_NOT_JSON',
      runwatch_poison_reason: 'r',
      runwatch_source_message_id: 'orig-1',
      runwatch_received_at: '2026-12-07T00:00:00.000Z',
      [REPLAYED_FROM_ATTRIBUTE]: 'older',
    }),
  );
  t.deepEqual(message.attributes, {
    sender: 'x',
    origin: 'elsewhere',
    [REPLAYED_FROM_ATTRIBUTE]: 'orig-1',
  });
  t.is(message.data.toString(), 'dl-1');
});

test('replay: a refusal of one message (INVALID_ARGUMENT) lets the next go on; any other failure stops the replay', async (t) => {
  const acked: string[] = [];
  // A test double for Pub/Sub refusing: the emulator enforces no attribute limits to refuse by.
  const refuse = (code: number) => async (m: { attributes: Readonly<Record<string, string>> }) => {
    if (m.attributes[REPLAYED_FROM_ATTRIBUTE] === 'b')
      throw Object.assign(new Error('refused'), { code });
    return `new-${m.attributes[REPLAYED_FROM_ATTRIBUTE]}`;
  };
  const letters = [letter('a', {}), letter('b', {}), letter('c', {})];
  const settle = async (l: { messageId: string }) => {
    acked.push(l.messageId);
  };
  const going = await replayDeadLetters(letters, {
    topic: 'alert-ingest',
    publish: refuse(3),
    settle,
    dryRun: false,
  });
  t.deepEqual(
    going.replayed.map((r) => r.replayedAs),
    ['new-a', 'new-c'],
  );
  t.deepEqual(
    going.failures.map((f) => [f.letter?.messageId, f.error.code]),
    [['b', DLQ_ERR_PUBLISH_FAILED]],
  );
  t.deepEqual(acked, ['a', 'c'], 'only confirmed republishes are settled');
  acked.length = 0;
  const stopped = await replayDeadLetters(letters, {
    topic: 'alert-ingest',
    publish: refuse(14),
    settle,
    dryRun: false,
  });
  t.deepEqual(
    stopped.replayed.map((r) => r.letter.messageId),
    ['a'],
  );
  t.deepEqual(
    stopped.untried.map((l) => l.messageId),
    ['c'],
  );
  t.deepEqual(acked, ['a']);
});
