/**
 * The pubsub notifier with the real @google-cloud/pubsub client against the real emulator: the
 * committed topology ensured on a fresh project (so the alerts topic validates against the
 * alert-v1 Avro schema), messages read back by a pull subscriber with message ordering. Hosts
 * that never answer or refuse are a TCP black hole and a port with nothing listening.
 */

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { Ajv } from 'ajv';
import test, { type ExecutionContext } from 'ava';
import { alertMessages, groupOrderingKey } from '../../../alerts/notifiers/alert-message.js';
import { NOTIFY_ERR_PUBLISH, NotifyError } from '../../../alerts/notifiers/errors.js';
import { createPubSubNotifier } from '../../../alerts/notifiers/pubsub.js';
import { ensurePubSub } from '../../../alerts/pubsub/ensure.js';
import { DEFINITIONS_DIR, TOPICS, TOPOLOGY } from '../../../alerts/pubsub/topology.js';
import { freePort, type PubSubEmulator } from '../../../stack/pubsub-emulator.js';
import { startBlackHole } from '../../helpers/black-hole.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../../helpers/pubsub-emulator.js';
import { alert, notification, varied } from './notifications.js';

test.after.always(stopPubSubEmulator);

const validate = new Ajv({ strict: true }).compile(
  JSON.parse(readFileSync(join(DEFINITIONS_DIR, 'alert.v1.json'), 'utf8')),
);

interface Setup {
  emulator: PubSubEmulator;
  client: PubSub;
  projectId: string;
  topic: string;
  subscription: Subscription;
  received: Message[];
  /** Resolves once `n` messages have arrived (or after 10 s). */
  until(n: number): Promise<void>;
}

async function withAlertsTopic(
  t: ExecutionContext,
  fn: (s: Setup) => Promise<void>,
): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('notify');
  const client = emulatorClient(emulator, projectId);
  await ensurePubSub(client, TOPOLOGY, {
    projectId,
    endpoints: { alertIngest: { url: 'http://127.0.0.1:9/x' } },
  });
  const topic = `projects/${projectId}/topics/${TOPICS.alerts}`;
  const [subscription] = await client
    .topic(topic)
    .createSubscription('consumer', { enableMessageOrdering: true });
  const received: Message[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  subscription.on('message', (m: Message) => {
    received.push(m);
    m.ack();
    for (const w of waiters) if (received.length >= w.n) w.resolve();
  });
  const until = (n: number) =>
    new Promise<void>((resolve) => {
      if (received.length >= n) return resolve();
      waiters.push({ n, resolve });
      setTimeout(resolve, 10_000);
    });
  try {
    await fn({ emulator, client, projectId, topic, subscription, received, until });
  } finally {
    await subscription.close();
    await client.close();
  }
}

const notifierOn = (emulator: PubSubEmulator, projectId: string, topic: string) =>
  createPubSubNotifier({ topic, projectId, emulatorHost: emulator.host, timeoutMs: 5000 });

const body = (m: Message) => JSON.parse(m.data.toString('utf8'));

test('pubsub notifier: a notification of 3 alerts is 3 messages with the attributes, the group ordering key and the alert.v1 body', (t) =>
  withAlertsTopic(t, async ({ emulator, projectId, topic, received, until }) => {
    const notifier = notifierOn(emulator, projectId, topic);
    const n = notification([
      alert(1),
      alert(2),
      alert(3, { status: 'resolved', endsAt: Date.UTC(2026, 11, 7, 12, 30) }),
    ]);
    try {
      await notifier.send(n, { deadlineMs: 5000 });
      await until(3);
      t.is(received.length, 3);
      const expected = alertMessages(n);
      received.forEach((m, i) => {
        t.is(m.orderingKey, groupOrderingKey(n.groupKey));
        t.like(m.attributes, { ...expected[i]?.attributes });
        t.deepEqual(body(m), JSON.parse(expected[i]?.data.toString('utf8') ?? ''));
      });
      t.deepEqual(
        received.map((m) => body(m).fingerprint),
        ['0000000000000001', '0000000000000002', '0000000000000003'],
      );
      t.deepEqual(body(received[2] as Message).endsAt, { string: '2026-12-07T12:30:00.000Z' });
      t.is(notifier.type, 'pubsub');
    } finally {
      await notifier.close();
    }
  }));

test('pubsub notifier: notifications of two groups sent in turn arrive in order within each group', (t) =>
  withAlertsTopic(t, async ({ emulator, projectId, topic, received, until }) => {
    const notifier = notifierOn(emulator, projectId, topic);
    const groups = ['0:{target="a"}', '0:{target="b"}'];
    try {
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          groups.map((groupKey) =>
            notifier.send(
              notification([alert(round * 2 + 1), alert(round * 2 + 2)], {
                id: `n-${round}-${groupKey}`,
                groupKey,
              }),
              { deadlineMs: 5000 },
            ),
          ),
        );
      }
      await until(16);
      t.is(received.length, 16);
      for (const groupKey of groups) {
        const mine = received.filter((m) => m.orderingKey === groupOrderingKey(groupKey));
        t.deepEqual(
          mine.map((m) => `${body(m).notificationId}/${body(m).alertIndex}`),
          [0, 1, 2, 3].flatMap((r) => [`n-${r}-${groupKey}/0`, `n-${r}-${groupKey}/1`]),
          groupKey,
        );
      }
    } finally {
      await notifier.close();
    }
  }));

test("alert.v1: every message the notifier makes is valid against the JSON Schema and accepted by the emulator's Avro validation; a message missing a field, or with endsAt unwrapped, is refused by both", (t) =>
  withAlertsTopic(t, async ({ emulator, client, projectId, topic, received, until }) => {
    const notifier = notifierOn(emulator, projectId, topic);
    try {
      let count = 0;
      for (const n of varied()) {
        for (const m of alertMessages(n)) t.true(validate(body(m as unknown as Message)), n.id);
        await notifier.send(n, { deadlineMs: 5000 });
        count += n.alerts.length;
      }
      await until(count);
      t.is(received.length, count);
      t.true(received.every((m) => validate(body(m))));

      const raw = client.topic(topic);
      const [sample] = alertMessages(notification([alert(1, { status: 'resolved', endsAt: 1 })]));
      const good = JSON.parse(sample?.data.toString('utf8') ?? '');
      const refusedBy = async (doc: unknown): Promise<number | undefined> => {
        try {
          await raw.publishMessage({ data: Buffer.from(JSON.stringify(doc)) });
          return undefined;
        } catch (e) {
          return (e as { code?: number }).code;
        }
      };
      t.is(await refusedBy(good), undefined, 'the hand-made message itself is accepted');
      const invalid: [string, unknown][] = Object.keys(good).map((field) => {
        const { [field]: _, ...rest } = good;
        return [`without ${field}`, rest];
      });
      invalid.push(['endsAt unwrapped', { ...good, endsAt: '1970-01-01T00:00:00.001Z' }]);
      invalid.push(['status unknown', { ...good, status: 'pending' }]);
      invalid.push(['a label that is a number', { ...good, labels: { n: 1 } }]);
      for (const [what, doc] of invalid) {
        t.false(validate(doc), `JSON Schema: ${what}`);
        t.is(await refusedBy(doc), 3, `emulator (INVALID_ARGUMENT): ${what}`);
      }
    } finally {
      await notifier.close();
    }
  }));

test('pubsub notifier: a topic whose schema refuses the message fails the delivery for good (NOTIFY_ERR_PUBLISH, not retryable)', (t) =>
  withAlertsTopic(t, async ({ emulator, client, projectId }) => {
    await client.createSchema(
      'stricter',
      'AVRO',
      JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'other', type: 'string' }] }),
    );
    const topic = `projects/${projectId}/topics/strict`;
    await client.createTopic({
      name: topic,
      schemaSettings: { schema: `projects/${projectId}/schemas/stricter`, encoding: 'JSON' },
    });
    const notifier = notifierOn(emulator, projectId, topic);
    try {
      const e = await t.throwsAsync(
        notifier.send(notification([alert(1), alert(2)]), { deadlineMs: 5000 }),
        { instanceOf: NotifyError },
      );
      t.is(e?.code, NOTIFY_ERR_PUBLISH);
      t.false(e?.retryable);
      t.regex(e?.message ?? '', /gRPC status 3/);
      t.true(e?.message.includes('not retried'), e?.message);
    } finally {
      await notifier.close();
    }
  }));

test('pubsub notifier: a Pub/Sub host that never answers fails the delivery at its deadline, retryable', async (t) => {
  const hole = await startBlackHole();
  const notifier = createPubSubNotifier({
    topic: 'projects/runwatch-local/topics/alerts',
    projectId: 'runwatch-local',
    emulatorHost: hole.host,
    timeoutMs: 10_000,
  });
  try {
    const deadlineMs = 800;
    const t0 = performance.now();
    const e = await t.throwsAsync(
      notifier.send(notification([alert(1), alert(2), alert(3)]), { deadlineMs }),
      { instanceOf: NotifyError },
    );
    const elapsed = performance.now() - t0;
    t.is(e?.code, NOTIFY_ERR_PUBLISH);
    t.true(e?.retryable);
    t.true(e?.message.includes('3 not confirmed'), e?.message);
    t.true(elapsed >= deadlineMs - 20 && elapsed < deadlineMs + 400, `${elapsed.toFixed(0)} ms`);
  } finally {
    await notifier.close();
    await hole.close();
  }
});

test('pubsub notifier: with nothing listening the delivery fails within its deadline, retryable, and once Pub/Sub is there the same group key publishes again', (t) =>
  withAlertsTopic(t, async ({ emulator, projectId, topic, received, until }) => {
    const port = await freePort();
    const notifier = createPubSubNotifier({
      topic,
      projectId,
      emulatorHost: `127.0.0.1:${port}`,
      timeoutMs: 1000,
    });
    let proxy: net.Server | null = null;
    const sockets = new Set<net.Socket>();
    try {
      const first = notification([alert(1)], { id: 'n-first' });
      const t0 = performance.now();
      const e = await t.throwsAsync(notifier.send(first, { deadlineMs: 3000 }), {
        instanceOf: NotifyError,
      });
      const elapsed = performance.now() - t0;
      t.is(e?.code, NOTIFY_ERR_PUBLISH);
      t.true(e?.retryable);
      t.true(elapsed < 3000 + 400, `${elapsed.toFixed(0)} ms`);
      // Pub/Sub comes up on that port: a plain TCP relay to the emulator.
      proxy = net.createServer((c) => {
        const upstream = net.connect(emulator.port, '127.0.0.1');
        for (const s of [c, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
        }
        c.pipe(upstream).pipe(c);
      });
      const server = proxy;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      const second = notification([alert(2)], { id: 'n-second' });
      let delivered = false;
      for (let attempt = 0; attempt < 10 && !delivered; attempt++) {
        try {
          await notifier.send(second, { deadlineMs: 3000 });
          delivered = true;
        } catch (err) {
          t.log(`attempt ${attempt}: ${(err as Error).message}`);
        }
      }
      t.true(delivered, 'the same key publishes again');
      await until(1);
      t.true(received.some((m) => body(m).notificationId === 'n-second'));
      t.true(received.every((m) => m.orderingKey === groupOrderingKey(second.groupKey)));
    } finally {
      await notifier.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) =>
        proxy === null ? resolve() : proxy.close(() => resolve()),
      );
    }
  }));
