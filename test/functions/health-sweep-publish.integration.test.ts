/**
 * healthSweep with SWEEP_FINDINGS_TOPIC through the real Functions Framework server and the real
 * @google-cloud/pubsub client. No Pub/Sub emulator can run here, so PUBSUB_EMULATOR_HOST points
 * at a gRPC Publisher built from the client's pubsub.proto (test double: Pub/Sub service) or at
 * a TCP black hole that accepts connections and never answers. The finding comes from a target
 * that refuses connections and a rule that fires at the first failed probe.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { downRuleDir } from '../helpers/down-rule.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { startBlackHole, startPublisherServer } from '../helpers/pubsub-server.js';
import { refusedUrl } from '../helpers/sweep-target.js';

process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GOOGLE_CLOUD_PROJECT = 'runwatch-local';

async function env(extra: Record<string, string>) {
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-pub-')), 'trends.db')}`;
  return {
    storeUrl,
    env: {
      STORE_URL: storeUrl,
      SWEEP_TARGETS: JSON.stringify([{ name: 'gone', url: await refusedUrl() }]),
      SWEEP_RULES_DIR: downRuleDir(),
      SWEEP_FINDINGS_TOPIC: 'sweep-findings',
      GOOGLE_CLOUD_PROJECT: 'runwatch-local',
      ...extra,
    },
  };
}

const schedulerHeaders = {
  'x-cloudscheduler-jobname': 'publish-test',
  'x-cloudscheduler-scheduletime': '2026-11-27T12:00:00Z',
};

test('healthSweep: with SWEEP_FINDINGS_TOPIC set each finding is published as one message (test double: Pub/Sub service)', async (t) => {
  const pubsub = await startPublisherServer();
  const logs = sinkLogger('info');
  const { env: e } = await env({ PUBSUB_EMULATOR_HOST: pubsub.host });
  const fn = createHealthSweep({ env: e, log: logs.log });
  ff.http('healthSweepPublishes', fn);
  const server = await serveFunction('healthSweepPublishes');
  try {
    const res = await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(res.status, 200);
    const body = (await res.json()) as { findings: { alertname: string }[] };
    t.deepEqual(
      body.findings.map((f) => f.alertname),
      ['TargetDown'],
    );
    t.is(pubsub.messages.length, 1);
    t.like(pubsub.messages[0], {
      topic: 'projects/runwatch-local/topics/sweep-findings',
      attributes: {
        alertname: 'TargetDown',
        target: 'gone',
        severity: 'critical',
        state: 'firing',
        sweepId: 'publish-test@2026-11-27T12:00:00.000Z',
      },
    });
    t.like(JSON.parse(pubsub.messages[0]?.data.toString() ?? '{}'), {
      alertname: 'TargetDown',
      annotations: { summary: 'gone is down' },
    });
    // A retried Scheduler call is a duplicate: nothing is published again.
    await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(pubsub.messages.length, 1);
  } finally {
    await server.close();
    await fn.close();
    await pubsub.close();
  }
});

test('healthSweep: a Pub/Sub host that never answers delays the sweep by SWEEP_PUBLISH_TIMEOUT_MS at most, logs sweep.publish_failed, and the finding is stored', async (t) => {
  const hole = await startBlackHole();
  const logs = sinkLogger('info');
  const timeoutMs = 1000;
  const { env: e, storeUrl } = await env({
    PUBSUB_EMULATOR_HOST: hole.host,
    SWEEP_PUBLISH_TIMEOUT_MS: String(timeoutMs),
  });
  const fn = createHealthSweep({ env: e, log: logs.log });
  ff.http('healthSweepPublishBlackHole', fn);
  const server = await serveFunction('healthSweepPublishBlackHole');
  try {
    const t0 = performance.now();
    const res = await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    const elapsed = performance.now() - t0;
    t.is(res.status, 200);
    const body = (await res.json()) as { findings: { alertname: string }[] };
    t.is(body.findings.length, 1);
    t.true(elapsed < timeoutMs + 1000, `the sweep took ${elapsed.toFixed(0)} ms`);
    t.log(`sweep with a black-holed publish: ${elapsed.toFixed(0)} ms (timeout ${timeoutMs} ms)`);
    t.like(
      logs.lines.find((l) => l.event === 'sweep.publish_failed'),
      { alertname: 'TargetDown', target: 'gone', severity: 'ERROR' },
    );
    t.true(logs.lines.some((l) => l.event === 'sweep.completed'));
    const store = await openStore(storeUrl, { platform: 'local' });
    try {
      t.deepEqual(
        (await store.findings({ target: 'gone' })).map((f) => f.alertname),
        ['TargetDown'],
      );
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
    await fn.close();
    await hole.close();
  }
});

test('healthSweep: publishing is off without SWEEP_FINDINGS_TOPIC', async (t) => {
  const pubsub = await startPublisherServer();
  const logs = sinkLogger('info');
  const { env: e } = await env({ PUBSUB_EMULATOR_HOST: pubsub.host });
  const { SWEEP_FINDINGS_TOPIC: _unset, ...withoutTopic } = e;
  const fn = createHealthSweep({ env: withoutTopic, log: logs.log });
  ff.http('healthSweepNoTopic', fn);
  const server = await serveFunction('healthSweepNoTopic');
  try {
    const res = await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(((await res.json()) as { findings: unknown[] }).findings.length, 1);
    t.is(pubsub.messages.length, 0);
    t.false(logs.lines.some((l) => String(l.event).startsWith('sweep.publish')));
  } finally {
    await server.close();
    await fn.close();
    await pubsub.close();
  }
});
