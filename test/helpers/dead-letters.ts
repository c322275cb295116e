/**
 * Dead letters for the tests of test/alerts/pubsub/replay* and test/tools/dlq*, made by the real
 * emulator: `deadLetterForReal` publishes a message to a topic that one subscription of its own
 * (with a dead-letter policy of 5 attempts) pulls and nacks five times, so the emulator itself
 * moves it to the dead-letter topic, with its `CloudPubSubDeadLetterSource*` attributes, as it
 * does for alertIngest's push subscription (which takes 5 backoffs of 10 s and more).
 */
import { randomBytes } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import type { SubscriberApi } from '../../alerts/pubsub/dead-letter-pull.js';
import { subscriptionPath, TOPOLOGY, topicPath } from '../../alerts/pubsub/topology.js';
import { sleep } from './alert-ingest.js';

/** The committed topology's topics and pull subscriptions, without its push subscription. */
export async function createDeadLetterTopology(client: PubSub): Promise<void> {
  for (const t of Object.values(TOPOLOGY.topics)) await client.createTopic(t.name);
  for (const s of Object.values(TOPOLOGY.subscriptions)) {
    if (s.push !== null) continue;
    await client.topic(s.topic).createSubscription(s.name, {
      ackDeadlineSeconds: s.ackDeadlineSeconds,
    });
  }
}

export interface RealDeadLetter {
  /** The messageId of the message published, which Pub/Sub dead-lettered. */
  readonly originalId: string;
  /** The dead letter's own messageId. */
  readonly deadLetterId: string;
  /** The subscription whose deliveries failed. */
  readonly failedSubscription: string;
}

/**
 * Publishes `data` and `attributes` to `topic` and has the emulator dead-letter it to
 * `deadLetterTopic`; resolves once the dead letter is there. `api` is the unary Subscriber API
 * of the same emulator.
 */
export async function deadLetterForReal(
  client: PubSub,
  api: SubscriberApi,
  projectId: string,
  options: {
    readonly topic: string;
    readonly deadLetterTopic: string;
    readonly data: Buffer;
    readonly attributes?: Record<string, string>;
  },
): Promise<RealDeadLetter> {
  const tag = randomBytes(3).toString('hex');
  const witness = subscriptionPath(projectId, `witness-${tag}`);
  const nacker = subscriptionPath(projectId, `nacker-${tag}`);
  await client
    .topic(options.deadLetterTopic)
    .createSubscription(`witness-${tag}`, { ackDeadlineSeconds: 60 });
  await client.topic(options.topic).createSubscription(`nacker-${tag}`, {
    ackDeadlineSeconds: 10,
    deadLetterPolicy: {
      deadLetterTopic: topicPath(projectId, options.deadLetterTopic),
      maxDeliveryAttempts: 5,
    },
  });
  try {
    const originalId = await client
      .topic(options.topic)
      .publishMessage({ data: options.data, attributes: options.attributes ?? {} });
    const end = performance.now() + 20_000;
    // The emulator moves a message to the dead-letter topic when it would deliver it once more
    // than maxDeliveryAttempts: the nacker keeps pulling (and nacking) until the witness has it.
    while (performance.now() < end) {
      const [r] = await api.pull(
        { subscription: nacker, maxMessages: 10, returnImmediately: true },
        { timeout: 3000 },
      );
      const ackIds = (r.receivedMessages ?? []).map((m) => String(m.ackId));
      if (ackIds.length > 0) {
        await api.modifyAckDeadline({ subscription: nacker, ackIds, ackDeadlineSeconds: 0 });
        continue;
      }
      const [w] = await api.pull(
        { subscription: witness, maxMessages: 1, returnImmediately: true },
        { timeout: 3000 },
      );
      const [letter] = w.receivedMessages ?? [];
      if (letter === undefined) {
        await sleep(25);
        continue;
      }
      await api.acknowledge({ subscription: witness, ackIds: [String(letter.ackId)] });
      const attributes = letter.message?.attributes ?? {};
      return {
        originalId,
        deadLetterId: String(letter.message?.messageId),
        failedSubscription: String(attributes.CloudPubSubDeadLetterSourceSubscription),
      };
    }
    throw new Error(`the emulator did not dead-letter ${originalId} within 20 s`);
  } finally {
    await client.subscription(`nacker-${tag}`).delete();
    await client.subscription(`witness-${tag}`).delete();
  }
}
