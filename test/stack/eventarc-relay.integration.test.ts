/**
 * The Eventarc relay between the real emulator's push and a receiving HTTP server, with the
 * topology created by ensurePubSub and messages published by the real client. Pushes the
 * emulator never makes (malformed, oversized, to no route) are posted by hand.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import type { PubSub } from '@google-cloud/pubsub';
import test, { type ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { ensurePubSub } from '../../alerts/pubsub/ensure.js';
import {
  parseTopology,
  SUBSCRIPTIONS,
  TOPICS,
  TOPOLOGY,
  TOPOLOGY_FILE,
  type Topology,
  topicPath,
} from '../../alerts/pubsub/topology.js';
import {
  type EventarcRelay,
  PUBSUB_MESSAGE_PUBLISHED,
  startEventarcRelay,
} from '../../stack/eventarc-relay.js';
import type { PubSubEmulator } from '../../stack/pubsub-emulator.js';
import { RELAY_ERR_ROUTE_INVALID, RelayError } from '../../stack/pubsub-errors.js';
import { serveFunction } from '../helpers/ff-server.js';
import { type Sink, sinkLogger } from '../helpers/log-sink.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../helpers/pubsub-emulator.js';

test.after.always(stopPubSubEmulator);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

interface Delivery {
  readonly at: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly body: { message: Record<string, unknown>; subscription: string };
}

interface Target {
  readonly url: string;
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

/** A receiving server; `answer(n)` is the status for its n-th delivery (1-based), or 'hang'. */
async function startTarget(answer: (n: number) => number | 'hang'): Promise<Target> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => {
      deliveries.push({
        at: performance.now(),
        headers: req.headers,
        text,
        body: JSON.parse(text),
      });
      const status = answer(deliveries.length);
      if (status === 'hang') return;
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The committed topology with a retry backoff of `seconds` (the first retry is ~1 s anyway). */
function withBackoff(seconds: number, ordering = false): Topology {
  const doc = parse(readFileSync(TOPOLOGY_FILE, 'utf8'));
  doc.subscriptions.ingestPush.retryPolicy = {
    minimumBackoff: `${seconds}s`,
    maximumBackoff: `${seconds}s`,
  };
  if (ordering) doc.subscriptions.ingestPush.enableMessageOrdering = true;
  return parseTopology(stringify(doc), 'test-variant.yaml');
}

interface Rig {
  readonly emulator: PubSubEmulator;
  readonly client: PubSub;
  readonly projectId: string;
  readonly relay: EventarcRelay;
  readonly sink: Sink;
  readonly topic: string;
}

/**
 * A fresh project holding `topology`, its push subscription delivering through a relay to
 * `target`; torn down after `fn`.
 */
async function withRig(
  t: ExecutionContext,
  target: Pick<Target, 'url'>,
  options: { topology?: Topology; forwardTimeoutMs?: number },
  fn: (rig: Rig) => Promise<void>,
): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('relay');
  const client = emulatorClient(emulator, projectId);
  const sink = sinkLogger();
  const topic = topicPath(projectId, TOPICS.ingest);
  const relay = await startEventarcRelay({
    routes: [{ path: '/alert-ingest', topic, target: target.url }],
    log: sink.log,
    ...(options.forwardTimeoutMs === undefined
      ? {}
      : { forwardTimeoutMs: options.forwardTimeoutMs }),
  });
  try {
    await ensurePubSub(client, options.topology ?? TOPOLOGY, {
      projectId,
      endpoints: { alertIngest: { url: relay.endpoint('/alert-ingest') } },
    });
    await fn({ emulator, client, projectId, relay, sink, topic });
  } finally {
    await relay.close();
    await client.close();
  }
}

const relayLines = (sink: Sink, event: string) => sink.lines.filter((l) => l.event === event);

test('relay: an emulator push reaches the target as an Eventarc binary-mode CloudEvent, headers and body as gcp-formats §1.1 has them', async (t) => {
  const target = await startTarget(() => 204);
  try {
    await withRig(t, target, {}, async ({ client, projectId, sink, topic }) => {
      const data = Buffer.from(JSON.stringify({ sweepId: 's1', target: 'infer' }));
      const before = Date.now();
      const messageId = await client
        .topic(TOPICS.ingest)
        .publishMessage({ data, attributes: { sweep: 'infer', origin: 'test' } });
      t.true(await until(() => target.deliveries.length >= 1, 10_000), 'delivered');
      const [d] = target.deliveries as [Delivery];
      const publishTime = d.body.message.publishTime as string;
      t.regex(publishTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      t.true(Math.abs(Date.parse(publishTime) - before) < 10_000, publishTime);
      const ce = Object.fromEntries(
        Object.entries(d.headers).filter(([k]) => k.startsWith('ce-') || k === 'content-type'),
      );
      t.deepEqual(ce, {
        'ce-id': messageId,
        'ce-source': `//pubsub.googleapis.com/${topic}`,
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
        'ce-time': publishTime,
        'content-type': 'application/json',
      });
      t.is(
        d.text,
        JSON.stringify({
          message: {
            attributes: { sweep: 'infer', origin: 'test' },
            data: data.toString('base64'),
            messageId,
            message_id: messageId,
            publishTime,
            publish_time: publishTime,
          },
          subscription: `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`,
        }),
      );
      t.true(await until(() => relayLines(sink, 'relay.forwarded').length === 1, 2000));
      t.like(relayLines(sink, 'relay.forwarded')[0], {
        messageId,
        topic,
        path: '/alert-ingest',
        target: target.url,
        status: 204,
      });
    });
  } finally {
    await target.close();
  }
});

test('relay: the Functions Framework reads a relayed push as the CloudEvent Eventarc delivers, subscription and both spellings included', async (t) => {
  const events: ff.CloudEvent<unknown>[] = [];
  ff.cloudEvent('relayProbe', (ce: ff.CloudEvent<unknown>) => {
    events.push(ce);
  });
  const fn = await serveFunction('relayProbe');
  try {
    await withRig(t, fn, {}, async ({ client, projectId, topic }) => {
      const messageId = await client
        .topic(TOPICS.ingest)
        .publishMessage({ data: Buffer.from('hi'), attributes: { a: 'b' } });
      t.true(await until(() => events.length >= 1, 10_000), 'handled');
      const [ce] = events as [
        ff.CloudEvent<{ message: Record<string, unknown>; subscription: string }>,
      ];
      t.like(ce, {
        id: messageId,
        source: `//pubsub.googleapis.com/${topic}`,
        specversion: '1.0',
        type: PUBSUB_MESSAGE_PUBLISHED,
      });
      t.is(ce.time, ce.data?.message.publishTime as string);
      t.like(ce.data, {
        subscription: `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`,
        message: { data: 'aGk=', attributes: { a: 'b' }, messageId, message_id: messageId },
      });
      t.is(ce.data?.message.publish_time, ce.data?.message.publishTime);
    });
  } finally {
    await fn.close();
  }
});

test("relay: a message published with an ordering key arrives without orderingKey, because the emulator's push body carries none", async (t) => {
  const target = await startTarget(() => 204);
  try {
    await withRig(t, target, { topology: withBackoff(1, true) }, async ({ client }) => {
      await client
        .topic(TOPICS.ingest, { messageOrdering: true })
        .publishMessage({ data: Buffer.from('x'), orderingKey: 'infer' });
      t.true(await until(() => target.deliveries.length >= 1, 10_000));
      t.false('orderingKey' in (target.deliveries[0] as Delivery).body.message);
    });
  } finally {
    await target.close();
  }
});

test('relay: a push body carrying orderingKey, as Pub/Sub push sends it (gcp-formats §1.3), keeps it in the CloudEvent', async (t) => {
  const target = await startTarget(() => 200);
  const sink = sinkLogger();
  const relay = await startEventarcRelay({
    routes: [{ path: '/in', topic: 'projects/myproject/topics/mytopic', target: target.url }],
    log: sink.log,
  });
  try {
    const push = {
      message: {
        attributes: { k: 'v' },
        data: 'SGVsbG8=',
        messageId: '2070443601311540',
        message_id: '2070443601311540',
        publishTime: '2021-02-26T19:13:55.749Z',
        publish_time: '2021-02-26T19:13:55.749Z',
        orderingKey: 'k',
      },
      subscription: 'projects/myproject/subscriptions/mysubscription',
      deliveryAttempt: 3,
    };
    const res = await fetch(relay.endpoint('/in'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(push),
    });
    t.is(res.status, 200);
    const { deliveryAttempt: _, ...eventarc } = push;
    t.is((target.deliveries[0] as Delivery).text, JSON.stringify(eventarc));
    t.is(
      (target.deliveries[0] as Delivery).headers['ce-source'],
      '//pubsub.googleapis.com/projects/myproject/topics/mytopic',
    );
  } finally {
    await relay.close();
    await target.close();
  }
});

test('relay: a target answering 500 makes the emulator redeliver the same message, and its 204 then acks it', async (t) => {
  const target = await startTarget((n) => (n === 1 ? 500 : 204));
  try {
    await withRig(t, target, { topology: withBackoff(1) }, async ({ client, sink }) => {
      const messageId = await client
        .topic(TOPICS.ingest)
        .publishMessage({ data: Buffer.from('retry me') });
      t.true(await until(() => target.deliveries.length >= 2, 15_000), 'redelivered');
      const [first, second] = target.deliveries as [Delivery, Delivery];
      t.is(first.headers['ce-id'], messageId);
      t.is(second.headers['ce-id'], messageId);
      t.is(second.text, first.text, 'the same CloudEvent');
      t.log(`redelivered after ${Math.round(second.at - first.at)} ms`);
      await sleep(3000);
      t.is(target.deliveries.length, 2, 'acked once the target answered 204');
      t.like(relayLines(sink, 'relay.forward_failed')[0], {
        code: 'RELAY_ERR_FORWARD_FAILED',
        messageId,
        status: 500,
        reason: 'the target answered 500',
      });
    });
  } finally {
    await target.close();
  }
});

test('relay: a target answering 202, which the emulator alone would retry, is acked with 204 and delivered once', async (t) => {
  const target = await startTarget(() => 202);
  try {
    await withRig(t, target, { topology: withBackoff(1) }, async ({ client }) => {
      await client.topic(TOPICS.ingest).publishMessage({ data: Buffer.from('accepted') });
      t.true(await until(() => target.deliveries.length >= 1, 10_000));
      await sleep(3000);
      t.is(target.deliveries.length, 1);
    });
  } finally {
    await target.close();
  }
});

test('relay: a target that does not answer within the forward timeout, or cannot be reached, is a 500 and the emulator redelivers', async (t) => {
  const hanging = await startTarget(() => 'hang');
  const closed = await startTarget(() => 204);
  await closed.close();
  try {
    await withRig(
      t,
      hanging,
      { topology: withBackoff(1), forwardTimeoutMs: 300 },
      async ({ client, sink }) => {
        const messageId = await client
          .topic(TOPICS.ingest)
          .publishMessage({ data: Buffer.from('slow') });
        t.true(
          await until(() => hanging.deliveries.length >= 2, 15_000),
          'redelivered after a timeout',
        );
        t.like(relayLines(sink, 'relay.forward_failed')[0], {
          messageId,
          reason: 'no answer within 300 ms',
        });
      },
    );
    await withRig(t, closed, { topology: withBackoff(1) }, async ({ client, sink }) => {
      const messageId = await client
        .topic(TOPICS.ingest)
        .publishMessage({ data: Buffer.from('nobody') });
      t.true(
        await until(() => relayLines(sink, 'relay.forward_failed').length >= 2, 15_000),
        'redelivered after a refused connection',
      );
      const failed = relayLines(sink, 'relay.forward_failed');
      t.true(failed.every((l) => l.messageId === messageId));
      t.regex(String(failed[0]?.reason), /^the target cannot be reached \(ECONNREFUSED\)$/);
    });
  } finally {
    await hanging.close();
  }
});

test('relay: after maxDeliveryAttempts (5) failed pushes the message is on the dead-letter topic, pulled from its keep with CloudPubSubDeadLetterSource* attributes', async (t) => {
  const target = await startTarget(() => 500);
  try {
    await withRig(t, target, { topology: withBackoff(1) }, async ({ client, projectId }) => {
      const keep = client.subscription(SUBSCRIPTIONS.ingestDeadLetterKeep);
      const dead = new Promise<{ id: string; data: string; attributes: Record<string, string> }>(
        (resolve) => {
          keep.on('message', (m) => {
            m.ack();
            resolve({ id: m.id, data: m.data.toString(), attributes: m.attributes });
          });
        },
      );
      const began = performance.now();
      const messageId = await client
        .topic(TOPICS.ingest)
        .publishMessage({ data: Buffer.from('poison'), attributes: { origin: 'test' } });
      let timer: NodeJS.Timeout | undefined;
      const letter = await Promise.race([
        dead,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), 45_000);
        }),
      ]);
      clearTimeout(timer);
      const elapsed = Math.round(performance.now() - began);
      await keep.close();
      t.log(`dead-lettered ${elapsed} ms after publish, after ${target.deliveries.length} pushes`);
      t.not(letter, null, 'dead-lettered within 45 s');
      if (letter === null) return;
      t.is(target.deliveries.length, 5, 'pushed exactly maxDeliveryAttempts times');
      t.true(target.deliveries.every((d) => d.headers['ce-id'] === messageId));
      t.is(letter.data, 'poison');
      t.not(letter.id, messageId, 'a dead letter is a new message');
      t.like(letter.attributes, {
        origin: 'test',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
        CloudPubSubDeadLetterSourceSubscription: SUBSCRIPTIONS.ingestPush,
        CloudPubSubDeadLetterSourceSubscriptionProject: projectId,
      });
      t.truthy(letter.attributes.CloudPubSubDeadLetterSourceTopicPublishTime);
    });
  } finally {
    await target.close();
  }
});

test('relay: a body that is not a push is 400, an unknown path 404, a body over the bound 413, and none reaches the target', async (t) => {
  const target = await startTarget(() => 204);
  const sink = sinkLogger();
  const relay = await startEventarcRelay({
    routes: [{ path: '/in', topic: 'projects/p-1/topics/t-1', target: target.url }],
    log: sink.log,
    maxBodyBytes: 1024,
  });
  const post = async (path: string, body: string) =>
    (
      await fetch(relay.endpoint(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).status;
  const ok = {
    subscription: 'projects/p-1/subscriptions/s-1',
    message: { messageId: '1', publishTime: '2024-05-01T12:00:00Z' },
  };
  try {
    t.is(await post('/in', 'not json'), 400);
    t.is(await post('/in', JSON.stringify({ message: ok.message })), 400);
    t.is(await post('/in', JSON.stringify({ ...ok, message: { publishTime: 'x' } })), 400);
    t.is(
      await post(
        '/in',
        JSON.stringify({ ...ok, message: { ...ok.message, attributes: { n: 1 } } }),
      ),
      400,
    );
    t.is(await post('/elsewhere', JSON.stringify(ok)), 404);
    t.is(
      await post(
        '/in',
        JSON.stringify({ ...ok, message: { ...ok.message, data: 'A'.repeat(2000) } }),
      ),
      413,
    );
    t.is((await fetch(relay.endpoint('/in'))).status, 400, 'GET');
    t.is(target.deliveries.length, 0);
    t.deepEqual(
      relayLines(sink, 'relay.rejected').map((l) => l.code),
      [
        'RELAY_ERR_BODY_INVALID',
        'RELAY_ERR_BODY_INVALID',
        'RELAY_ERR_BODY_INVALID',
        'RELAY_ERR_BODY_INVALID',
        'RELAY_ERR_NO_ROUTE',
        'RELAY_ERR_BODY_TOO_LARGE',
        'RELAY_ERR_BODY_INVALID',
      ],
    );
    t.is(await post('/in', JSON.stringify(ok)), 204, 'and a good push still passes');
  } finally {
    await relay.close();
    await target.close();
  }
});

test('relay: a route whose topic is not a full name, whose target is not a URL, or whose path repeats is RELAY_ERR_ROUTE_INVALID at start', async (t) => {
  const { log } = sinkLogger();
  const good = { path: '/a', topic: 'projects/p-1/topics/t-1', target: 'http://127.0.0.1:9/' };
  for (const [routes, words] of [
    [[{ ...good, topic: 'alert-ingest' }], 'topic "alert-ingest"; expected projects/P/topics/T'],
    [[{ ...good, target: '127.0.0.1:9' }], 'target "127.0.0.1:9"; expected an http(s) URL'],
    [[good, good], 'relay route 1 has path "/a"'],
  ] as const) {
    const e = await t.throwsAsync(startEventarcRelay({ routes, log }), { instanceOf: RelayError });
    t.is(e?.code, RELAY_ERR_ROUTE_INVALID);
    t.true(e?.message.includes(words), e?.message);
  }
});
