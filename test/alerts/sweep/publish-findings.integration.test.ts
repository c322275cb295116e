/**
 * The findings publisher with the real @google-cloud/pubsub client against the real Cloud Pub/Sub
 * emulator (messages read back from a subscription), and against a TCP black hole that accepts
 * connections and never answers, as a hung Pub/Sub host would.
 */
import type { Message } from '@google-cloud/pubsub';
import test from 'ava';
import { normalise } from '../../../alerts/ingest/normalise.js';
import { createPubSubFindingsPublisher } from '../../../alerts/sweep/publish-findings.js';
import type { Finding } from '../../../alerts/types.js';
import { startBlackHole } from '../../helpers/black-hole.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../../helpers/pubsub-emulator.js';

// Google clients probe the GCE metadata server unless told there is none.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GOOGLE_CLOUD_PROJECT = 'runwatch-local';

test.after.always(stopPubSubEmulator);

function finding(alertname: string, target: string): Finding {
  return {
    alertname,
    target,
    severity: 'critical',
    state: 'firing',
    ts: Date.UTC(2026, 10, 27, 12),
    labels: { alertname, target, severity: 'critical' },
    annotations: { summary: `${target} is down`, observed: 0, threshold: 1 },
  };
}

test('pubsub findings: each finding is one alert-event.v1 message with its identity and schema attributes, which alert ingest accepts', async (t) => {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const project = freshProject('findings');
  const client = emulatorClient(emulator, project);
  const [topic] = await client.createTopic('sweep-findings');
  const [subscription] = await topic.createSubscription('check');
  const received: { topic: string; data: Buffer; attributes: Record<string, string> }[] = [];
  const two = new Promise<void>((resolve) => {
    subscription.on('message', (m: Message) => {
      received.push({ topic: topic.name, data: m.data, attributes: m.attributes });
      m.ack();
      if (received.length === 2) resolve();
    });
  });
  const sink = sinkLogger('info');
  const publisher = createPubSubFindingsPublisher({
    topic: 'sweep-findings',
    projectId: project,
    emulatorHost: emulator.host,
    timeoutMs: 5000,
    log: sink.log,
  });
  const server = { messages: received };
  try {
    const outcome = await publisher.publish(
      [finding('InferDown', 'emotion'), finding('InferDown', 'other')],
      'job@2026-11-27T12:00:00.000Z',
    );
    t.like(outcome, { published: 2, failed: 0 });
    await Promise.race([two, new Promise((r) => setTimeout(r, 10_000))]);
    t.is(server.messages.length, 2);
    server.messages.sort((a, b) =>
      String(a.attributes.target).localeCompare(String(b.attributes.target)),
    );
    const [first] = server.messages;
    t.is(first?.topic, `projects/${project}/topics/sweep-findings`);
    t.deepEqual(first?.attributes, {
      alertname: 'InferDown',
      target: 'emotion',
      severity: 'critical',
      state: 'firing',
      sweepId: 'job@2026-11-27T12:00:00.000Z',
      schema: 'alert-event.v1',
    });
    t.deepEqual(JSON.parse(first?.data.toString('utf8') ?? ''), {
      schema: 'alert-event.v1',
      sweepId: 'job@2026-11-27T12:00:00.000Z',
      alertname: 'InferDown',
      target: 'emotion',
      severity: 'critical',
      state: 'firing',
      ts: Date.UTC(2026, 10, 27, 12),
      labels: { alertname: 'InferDown', target: 'emotion', severity: 'critical' },
      annotations: { summary: 'emotion is down', observed: 0, threshold: 1 },
    });
    // What was published is what alert ingest reads: the same message, normalised.
    const alert = normalise({
      messageId: 'm-1',
      data: first?.data ?? Buffer.alloc(0),
      attributes: first?.attributes ?? {},
      publishTime: Date.now(),
    });
    t.like(alert, {
      source: 'runwatch',
      status: 'firing',
      dedupeKey: 'runwatch:job@2026-11-27T12:00:00.000Z:InferDown:emotion:firing',
    });
    t.true(sink.lines.some((l) => l.event === 'sweep.published' && l.published === 2));
    t.false(sink.lines.some((l) => l.event === 'sweep.publish_failed'));
  } finally {
    await publisher.close();
    await subscription.close();
    await client.close();
  }
});

test('pubsub findings: a Pub/Sub host that never answers costs the timeout, no more, and each finding is logged as not published', async (t) => {
  const hole = await startBlackHole();
  const sink = sinkLogger('info');
  const timeoutMs = 1000;
  const publisher = createPubSubFindingsPublisher({
    topic: 'projects/runwatch-local/topics/sweep-findings',
    emulatorHost: hole.host,
    timeoutMs,
    log: sink.log,
  });
  try {
    const t0 = performance.now();
    const outcome = await publisher.publish(
      [finding('InferDown', 'emotion'), finding('InferUnhealthy', 'emotion')],
      'job@2026-11-27T12:01:00.000Z',
    );
    const elapsed = performance.now() - t0;
    t.like(outcome, { published: 0, failed: 2 });
    t.true(elapsed >= timeoutMs - 20, `waited ${elapsed.toFixed(0)} ms`);
    t.true(
      elapsed < timeoutMs + 400,
      `took ${elapsed.toFixed(0)} ms for a ${timeoutMs} ms timeout`,
    );
    // The RPC may still be connecting when the deadline fires; it does reach the black hole.
    const until = performance.now() + 3000;
    while (hole.connections() === 0 && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.true(hole.connections() >= 1, 'the client did connect to the black hole');
    const failures = sink.lines.filter((l) => l.event === 'sweep.publish_failed');
    t.deepEqual(
      failures.map((l) => l.alertname),
      ['InferDown', 'InferUnhealthy'],
    );
    t.true(failures.every((l) => l.severity === 'ERROR' && typeof l.error === 'string'));
    t.log(
      `black hole: ${elapsed.toFixed(0)} ms for a ${timeoutMs} ms timeout; error: ${failures[0]?.error}`,
    );
  } finally {
    await publisher.close();
    await hole.close();
  }
});
