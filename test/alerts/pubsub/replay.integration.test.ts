/**
 * Listing and replaying dead letters (alerts/pubsub/replay.ts, dead-letter-pull.ts) against the
 * real emulator and a real SQLite store. The dead letters are real: Pub/Sub's own (the emulator
 * dead-letters a message nacked five times, test/helpers/dead-letters.ts) and alertIngest's
 * (published by its real dead-letter publisher, with the runwatch_* attributes).
 */
import type { PubSub } from '@google-cloud/pubsub';
import test, { type ExecutionContext } from 'ava';
import { createDeadLetterPublisher } from '../../../alerts/pubsub/dead-letter.js';
import {
  openSubscriber,
  pullHeld,
  type SubscriberApi,
} from '../../../alerts/pubsub/dead-letter-pull.js';
import {
  createRepublisher,
  type DeadLetterRoute,
  deadLetterRoutes,
  REPLAYED_FROM_ATTRIBUTE,
  readStoredDeadLetters,
  replayFromStore,
  replayFromSubscription,
} from '../../../alerts/pubsub/replay.js';
import {
  DLQ_ERR_PUBLISH_FAILED,
  DLQ_ERR_UNKNOWN_ID,
} from '../../../alerts/pubsub/replay-errors.js';
import {
  SUBSCRIPTIONS,
  subscriptionPath,
  TOPICS,
  TOPOLOGY,
} from '../../../alerts/pubsub/topology.js';
import { openStores } from '../../../alerts/store/open.js';
import type { PubSubEmulator } from '../../../stack/pubsub-emulator.js';
import { sqliteStoreUrl, until, withPushRig } from '../../helpers/alert-ingest.js';
import { createDeadLetterTopology, deadLetterForReal } from '../../helpers/dead-letters.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../../helpers/pubsub-emulator.js';
import { INCIDENT_METRIC_OPEN } from '../ingest/fixtures/gcp-formats.js';

test.after.always(stopPubSubEmulator);

const INGEST_ROUTE = deadLetterRoutes(TOPOLOGY).find((r) => r.store) as DeadLetterRoute;
const PULL = { limit: 100, timeoutMs: 10_000 } as const;

/** The real republisher to alert-ingest, through Pub/Sub at `emulatorHost`. */
const republisherOf = (projectId: string, emulatorHost: string, timeoutMs = 5000) =>
  createRepublisher({ topic: INGEST_ROUTE.replayTo, projectId, emulatorHost, timeoutMs });

interface Rig {
  readonly emulator: PubSubEmulator;
  readonly projectId: string;
  readonly client: PubSub;
  readonly api: SubscriberApi;
  /** alert-ingest-dead-letter-keep, in full. */
  readonly keep: string;
  /** A pull subscription of alert-ingest, created after the dead letters: what replays bring. */
  tap(): Promise<string>;
}

async function withRig(t: ExecutionContext, fn: (rig: Rig) => Promise<void>): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('replay');
  const client = emulatorClient(emulator, projectId);
  const api = await openSubscriber({ projectId, emulatorHost: emulator.host });
  try {
    await createDeadLetterTopology(client);
    await fn({
      emulator,
      projectId,
      client,
      api,
      keep: subscriptionPath(projectId, SUBSCRIPTIONS.ingestDeadLetterKeep),
      tap: async () => {
        await client.topic(TOPICS.ingest).createSubscription('tap-ingest');
        return subscriptionPath(projectId, 'tap-ingest');
      },
    });
  } finally {
    await api.close();
    await client.close();
  }
}

/** One Pub/Sub dead letter and one alertIngest dead letter on alert-ingest-dead-letter. */
async function twoDeadLetters(rig: Rig) {
  const pubsub = await deadLetterForReal(rig.client, rig.api, rig.projectId, {
    topic: TOPICS.ingest,
    deadLetterTopic: TOPICS.ingestDeadLetter,
    data: Buffer.from(INCIDENT_METRIC_OPEN),
    attributes: { sender: 'monitoring' },
  });
  const sender = createDeadLetterPublisher({
    topic: TOPICS.ingestDeadLetter,
    projectId: rig.projectId,
    emulatorHost: rig.emulator.host,
    timeoutMs: 5000,
  });
  try {
    await sender.send({
      messageId: 'poison-1',
      code: 'INGEST_ERR_NOT_JSON',
      reason: 'the payload is not JSON',
      data: Buffer.from('not json'),
      attributes: { channel: 'log' },
      publishTime: Date.parse('2026-12-07T10:00:00Z'),
      receivedAt: Date.parse('2026-12-07T10:00:01Z'),
    });
  } finally {
    await sender.close();
  }
  return { pubsub };
}

/** Everything on `subscription` now, acknowledged (the tap only). */
async function drain(api: SubscriberApi, subscription: string) {
  const held = await pullHeld(api, subscription, { limit: 100, timeoutMs: 5000 });
  for (const m of held.messages) await held.ack(m.messageId);
  return held.messages;
}

async function listIds(rig: Rig): Promise<string[]> {
  const held = await pullHeld(rig.api, rig.keep, PULL);
  await held.release();
  return held.messages.map((m) => m.messageId).sort();
}

test("dead letters: listing a subscription consumes nothing, so a second listing shows the same dead letters, Pub/Sub's and alertIngest's", async (t) => {
  await withRig(t, async (rig) => {
    const { pubsub } = await twoDeadLetters(rig);
    const first = await pullHeld(rig.api, rig.keep, PULL);
    await first.release();
    t.is(first.messages.length, 2);
    const own = first.messages.find((m) => m.messageId === pubsub.deadLetterId);
    t.is(own?.attributes.CloudPubSubDeadLetterSourceDeliveryCount, '5');
    t.is(own?.data.toString(), INCIDENT_METRIC_OPEN);
    const poison = first.messages.find(
      (m) => m.attributes.runwatch_source_message_id === 'poison-1',
    );
    t.is(poison?.attributes.runwatch_poison_code, 'INGEST_ERR_NOT_JSON');
    t.deepEqual(
      await listIds(rig),
      first.messages.map((m) => m.messageId).sort(),
      'the second listing shows them again',
    );
  });
});

test('dead letters: a replay from the subscription republishes each to alert-ingest with the bookkeeping stripped and runwatch_replayed_from added, then acks it', async (t) => {
  await withRig(t, async (rig) => {
    const { pubsub } = await twoDeadLetters(rig);
    const tap = await rig.tap();
    const republisher = republisherOf(rig.projectId, rig.emulator.host);
    try {
      const report = await replayFromSubscription(await pullHeld(rig.api, rig.keep, PULL), {
        ids: 'all',
        route: INGEST_ROUTE,
        publish: republisher.publish,
        dryRun: false,
      });
      t.deepEqual(report.failures, []);
      t.is(report.replayed.length, 2);
      t.is(report.topic, TOPICS.ingest);
    } finally {
      await republisher.close();
    }
    const arrived = await drain(rig.api, tap);
    t.is(arrived.length, 2);
    const replayOfPubSub = arrived.find((m) => m.attributes.sender === 'monitoring');
    t.deepEqual(replayOfPubSub?.attributes, {
      sender: 'monitoring',
      [REPLAYED_FROM_ATTRIBUTE]: pubsub.deadLetterId,
    });
    t.is(replayOfPubSub?.data.toString(), INCIDENT_METRIC_OPEN, 'the data exactly');
    const replayOfPoison = arrived.find((m) => m.attributes.channel === 'log');
    t.deepEqual(replayOfPoison?.attributes, {
      channel: 'log',
      [REPLAYED_FROM_ATTRIBUTE]: 'poison-1',
    });
    t.is(replayOfPoison?.data.toString(), 'not json');
    t.deepEqual(await listIds(rig), [], 'both were acknowledged');
  });
});

test('dead letters: a republish Pub/Sub does not confirm (unreachable) leaves every dead letter on the subscription, and stops at the first', async (t) => {
  await withRig(t, async (rig) => {
    await twoDeadLetters(rig);
    const before = await listIds(rig);
    const unreachable = republisherOf(rig.projectId, '127.0.0.1:1', 1000);
    try {
      const report = await replayFromSubscription(await pullHeld(rig.api, rig.keep, PULL), {
        ids: 'all',
        route: INGEST_ROUTE,
        publish: unreachable.publish,
        dryRun: false,
      });
      t.deepEqual(report.replayed, []);
      t.is(report.failures.length, 1);
      t.is(report.failures[0]?.error.code, DLQ_ERR_PUBLISH_FAILED);
      t.regex(String(report.failures[0]?.error.message), /^replaying \S+ to alert-ingest failed/);
      t.is(report.untried.length, 1, 'the second was not tried');
    } finally {
      await unreachable.close();
    }
    t.deepEqual(await listIds(rig), before, 'nothing was acknowledged');
  });
});

test('dead letters: a dry run publishes and acknowledges nothing; an unknown --id replays nothing', async (t) => {
  await withRig(t, async (rig) => {
    await twoDeadLetters(rig);
    const before = await listIds(rig);
    const tap = await rig.tap();
    const republisher = republisherOf(rig.projectId, rig.emulator.host);
    try {
      const dry = await replayFromSubscription(await pullHeld(rig.api, rig.keep, PULL), {
        ids: 'all',
        route: INGEST_ROUTE,
        publish: republisher.publish,
        dryRun: true,
      });
      t.is(dry.replayed.length, 2);
      t.true(dry.replayed.every((r) => r.replayedAs === null));
      t.true(dry.replayed.every((r) => REPLAYED_FROM_ATTRIBUTE in r.message.attributes));
      const unknown = await t.throwsAsync(
        replayFromSubscription(await pullHeld(rig.api, rig.keep, PULL), {
          ids: [before[0] as string, 'no-such-id'],
          route: INGEST_ROUTE,
          publish: republisher.publish,
          dryRun: false,
        }),
      );
      t.is((unknown as { code?: string }).code, DLQ_ERR_UNKNOWN_ID);
      t.regex(String(unknown?.message), /"no-such-id": not among the 2 dead letters read from/);
    } finally {
      await republisher.close();
    }
    t.deepEqual(await drain(rig.api, tap), [], 'nothing reached alert-ingest');
    t.deepEqual(await listIds(rig), before, 'both are still there');
  });
});

test('dead letters: a replay from the store republishes the original bytes and attributes and writes nothing to the store', async (t) => {
  await withRig(t, async (rig) => {
    const stores = await openStores(sqliteStoreUrl(), { platform: 'local' });
    try {
      const data = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
      await stores.ingest.recordPoison({
        messageId: 'orig-7',
        code: 'INGEST_ERR_NOT_JSON',
        reason: 'the payload is not UTF-8 JSON text',
        data,
        attributes: { sender: 'x', [REPLAYED_FROM_ATTRIBUTE]: 'older' },
        publishTime: 1_000,
        receivedAt: 2_000,
      });
      await stores.ingest.markDeadLettered('orig-7', 3_000);
      const before = await readStoredDeadLetters(stores.ingest, { limit: 10 });
      const tap = await rig.tap();
      const republisher = republisherOf(rig.projectId, rig.emulator.host);
      try {
        const report = await replayFromStore(stores.ingest, {
          ids: ['orig-7'],
          limit: 10,
          route: INGEST_ROUTE,
          publish: republisher.publish,
          dryRun: false,
        });
        t.is(report.replayed.length, 1);
        t.deepEqual(report.failures, []);
      } finally {
        await republisher.close();
      }
      const [arrived, ...more] = await drain(rig.api, tap);
      t.deepEqual(more, []);
      t.true(arrived?.data.equals(data), 'the bytes exactly');
      t.deepEqual(arrived?.attributes, { sender: 'x', [REPLAYED_FROM_ATTRIBUTE]: 'orig-7' });
      t.deepEqual(await readStoredDeadLetters(stores.ingest, { limit: 10 }), before);
    } finally {
      await stores.close();
    }
  });
});

test('dead letters: replaying the dead letter of an alert alertIngest already admitted is a duplicate of its content, not a second hand-off', async (t) => {
  await withPushRig(t, {}, async ({ client, projectId, emulator, fn }) => {
    const api = await openSubscriber({ projectId, emulatorHost: emulator.host });
    try {
      // One publish: alertIngest admits and hands it off through the push subscription, while a
      // second subscription fails it five times, so Pub/Sub dead-letters the same alert.
      const letter = await deadLetterForReal(client, api, projectId, {
        topic: TOPICS.ingest,
        deadLetterTopic: TOPICS.ingestDeadLetter,
        data: Buffer.from(INCIDENT_METRIC_OPEN),
        attributes: { sender: 'monitoring' },
      });
      t.true(await until(() => fn.lines('alert.ingested').length === 1, 20_000), 'handed off');
      const republisher = republisherOf(projectId, emulator.host);
      let replayedAs: string | null = null;
      try {
        const keep = subscriptionPath(projectId, SUBSCRIPTIONS.ingestDeadLetterKeep);
        const report = await replayFromSubscription(await pullHeld(api, keep, PULL), {
          ids: [letter.deadLetterId],
          route: INGEST_ROUTE,
          publish: republisher.publish,
          dryRun: false,
        });
        t.deepEqual(report.failures, []);
        replayedAs = report.replayed[0]?.replayedAs ?? null;
      } finally {
        await republisher.close();
      }
      t.truthy(replayedAs);
      t.true(
        await until(
          () => fn.lines('alert.duplicate').some((l) => l.messageId === replayedAs),
          20_000,
        ),
        'the replay reached alertIngest',
      );
      const duplicate = fn.lines('alert.duplicate').find((l) => l.messageId === replayedAs);
      t.is(duplicate?.outcome, 'duplicate_content');
      t.is(fn.lines('alert.ingested').length, 1, 'handed off once');
    } finally {
      await api.close();
    }
  });
});
