/**
 * The findings publisher with the real @google-cloud/pubsub client. No Pub/Sub emulator can run
 * here, so the client's PUBSUB_EMULATOR_HOST path points at local stand-ins: a gRPC Publisher
 * server built from the client's own pubsub.proto (test double: Pub/Sub service), and a TCP
 * black hole that accepts connections and never answers.
 */
import test from 'ava';
import { normalise } from '../../../alerts/ingest/normalise.js';
import { createPubSubFindingsPublisher } from '../../../alerts/sweep/publish-findings.js';
import type { Finding } from '../../../alerts/types.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { startBlackHole, startPublisherServer } from '../../helpers/pubsub-server.js';

// Google clients probe the GCE metadata server unless told there is none.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GOOGLE_CLOUD_PROJECT = 'runwatch-local';

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

test('pubsub findings: each finding is one alert-event.v1 message with its identity and schema attributes, which alert ingest accepts (test double: Pub/Sub service)', async (t) => {
  const server = await startPublisherServer();
  const sink = sinkLogger('info');
  const publisher = createPubSubFindingsPublisher({
    topic: 'sweep-findings',
    projectId: 'runwatch-local',
    emulatorHost: server.host,
    timeoutMs: 5000,
    log: sink.log,
  });
  try {
    const outcome = await publisher.publish(
      [finding('InferDown', 'emotion'), finding('InferDown', 'other')],
      'job@2026-11-27T12:00:00.000Z',
    );
    t.like(outcome, { published: 2, failed: 0 });
    t.is(server.messages.length, 2);
    const [first] = server.messages;
    t.is(first?.topic, 'projects/runwatch-local/topics/sweep-findings');
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
    await server.close();
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
