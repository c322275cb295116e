/**
 * alertIngest failing every delivery, through the real emulator, the Eventarc relay and the real
 * Functions Framework: its store is a PostgreSQL URL whose port refuses connections, so each
 * delivery fails as a store outage does (the store cannot be opened), is answered 500 and is
 * redelivered, until the push subscription's dead-letter policy moves it to the dead-letter
 * topic. The subscription retries after 1 s (the committed 10 s would take minutes).
 */
import test from 'ava';
import { SUBSCRIPTIONS, TOPICS } from '../../alerts/pubsub/topology.js';
import { INCIDENT_METRIC_OPEN } from '../alerts/ingest/fixtures/gcp-formats.js';
import { collect, sleep, topologyVariant, until, withPushRig } from '../helpers/alert-ingest.js';
import { stopPubSubEmulator } from '../helpers/pubsub-emulator.js';

test.after.always(stopPubSubEmulator);

const REFUSING_STORE = 'postgres://postgres@127.0.0.1:1/x';

test('alertIngest: a handler failure is retried and then dead-lettered after maxDeliveryAttempts, arriving on the dead-letter topic with its source attributes', async (t) => {
  await withPushRig(
    t,
    {
      topology: topologyVariant({ backoffSeconds: 1, maxDeliveryAttempts: 5 }),
      storeUrl: REFUSING_STORE,
    },
    async ({ client, projectId, fn, relayLines }) => {
      const keep = collect(client.subscription(SUBSCRIPTIONS.ingestDeadLetterKeep));
      try {
        const data = Buffer.from(INCIDENT_METRIC_OPEN);
        const began = performance.now();
        const messageId = await client
          .topic(TOPICS.ingest)
          .publishMessage({ data, attributes: { sender: 'e2e', channel: 'monitoring' } });
        t.true(await until(() => keep.messages.length >= 1, 45_000), 'dead-lettered within 45 s');
        const elapsed = Math.round(performance.now() - began);
        // Nothing more may come: neither a sixth push nor a second dead letter.
        await sleep(2500);
        const failed = relayLines('relay.forward_failed', messageId);
        t.log(`dead-lettered ${elapsed} ms after publish, after ${failed.length} deliveries`);
        t.is(failed.length, 5, 'the relay saw exactly maxDeliveryAttempts deliveries');
        t.true(failed.every((l) => l.status === 500));
        t.deepEqual(relayLines('relay.forwarded'), [], 'none succeeded');
        const failures = fn.lines('alert.ingest_failed');
        t.is(failures.length, 5, 'the function failed each one');
        t.true(failures.every((l) => l.ceId === messageId));
        t.regex(String(failures[0]?.error), /ECONNREFUSED/);
        t.deepEqual(fn.lines('alert.ingested'), []);
        t.is(keep.messages.length, 1, 'one dead letter');
        const [letter] = keep.messages;
        t.true(letter?.data.equals(data), 'the original data');
        t.not(letter?.id, messageId, 'a dead letter is a new message');
        t.like(letter?.attributes, {
          sender: 'e2e',
          channel: 'monitoring',
          CloudPubSubDeadLetterSourceDeliveryCount: '5',
          CloudPubSubDeadLetterSourceSubscription: SUBSCRIPTIONS.ingestPush,
          CloudPubSubDeadLetterSourceSubscriptionProject: projectId,
        });
        t.truthy(letter?.attributes.CloudPubSubDeadLetterSourceTopicPublishTime);
        t.false(
          'runwatch_poison_code' in (letter?.attributes ?? {}),
          "the subscription's dead letter, not alertIngest's poison",
        );
      } finally {
        await keep.close();
      }
    },
  );
});
