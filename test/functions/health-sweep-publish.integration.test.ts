/**
 * Where healthSweep's findings go, through the real Functions Framework server: with Pub/Sub on,
 * to the alert-ingest topic of the real Cloud Pub/Sub emulator through the real
 * @google-cloud/pubsub client (pulled back from a subscription); with Pub/Sub off, to the ingest
 * core in-process (the log notifier's line and the ingest store). A TCP server that accepts and
 * never answers stands in for a hung Pub/Sub host. The finding comes from a target that refuses
 * connections and a rule that fires at the first failed probe.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import type { Message, Subscription } from '@google-cloud/pubsub';
import test from 'ava';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import { openStore, openStores } from '../../alerts/store/open.js';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { startBlackHole } from '../helpers/black-hole.js';
import { downRuleDir } from '../helpers/down-rule.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../helpers/pubsub-emulator.js';
import { refusedUrl } from '../helpers/sweep-target.js';

process.env.METADATA_SERVER_DETECTION = 'none';

test.after.always(stopPubSubEmulator);

async function env(extra: Record<string, string>) {
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-pub-')), 'trends.db')}`;
  return {
    storeUrl,
    env: {
      STORE_URL: storeUrl,
      SWEEP_TARGETS: JSON.stringify([{ name: 'gone', url: await refusedUrl() }]),
      SWEEP_RULES_DIR: downRuleDir(),
      ...extra,
    },
  };
}

/** The first `n` messages the subscription streams, or what came within `timeoutMs`. */
function receive(
  subscription: Subscription,
  n: number,
  timeoutMs: number,
): Promise<{ data: Buffer; attributes: Record<string, string> }[]> {
  return new Promise((resolve) => {
    const got: { data: Buffer; attributes: Record<string, string> }[] = [];
    const timer = setTimeout(() => resolve(got), timeoutMs);
    subscription.on('message', (m: Message) => {
      got.push({ data: m.data, attributes: m.attributes });
      m.ack();
      if (got.length >= n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

const schedulerHeaders = {
  'x-cloudscheduler-jobname': 'publish-test',
  'x-cloudscheduler-scheduletime': new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
};

test('healthSweep: with Pub/Sub on, each finding is published to alert-ingest as one alert-event.v1 message, and a retried Scheduler call publishes nothing again', async (t) => {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const project = freshProject('sweep');
  const client = emulatorClient(emulator, project);
  const [topic] = await client.createTopic(TOPICS.ingest);
  const [subscription] = await topic.createSubscription('findings-check');
  const logs = sinkLogger('info');
  const { env: e } = await env({
    PUBSUB_EMULATOR_HOST: emulator.host,
    GOOGLE_CLOUD_PROJECT: project,
  });
  const fn = createHealthSweep({ env: e, log: logs.log });
  ff.http('healthSweepPublishes', fn);
  const server = await serveFunction('healthSweepPublishes');
  try {
    const res = await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(res.status, 200);
    const body = (await res.json()) as { sweepId: string; findings: { alertname: string }[] };
    t.deepEqual(
      body.findings.map((f) => f.alertname),
      ['TargetDown'],
    );
    const messages = await receive(subscription, 1, 10_000);
    t.is(messages.length, 1);
    t.like(messages[0]?.attributes, {
      schema: 'alert-event.v1',
      alertname: 'TargetDown',
      target: 'gone',
      severity: 'critical',
      state: 'firing',
      sweepId: body.sweepId,
    });
    t.like(JSON.parse(messages[0]?.data.toString() ?? '{}'), {
      alertname: 'TargetDown',
      annotations: { summary: 'gone is down' },
    });
    // A retried Scheduler call is a duplicate: nothing is published again.
    await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(logs.lines.filter((l) => l.event === 'sweep.published').length, 1);
  } finally {
    await subscription.close();
    await server.close();
    await fn.close();
    await client.close();
  }
});

test('healthSweep: a Pub/Sub host that never answers delays the sweep by SWEEP_PUBLISH_TIMEOUT_MS at most, logs sweep.publish_failed, and the finding is stored', async (t) => {
  const hole = await startBlackHole();
  const logs = sinkLogger('info');
  const timeoutMs = 1000;
  const { env: e, storeUrl } = await env({
    PUBSUB_EMULATOR_HOST: hole.host,
    GOOGLE_CLOUD_PROJECT: 'runwatch-local',
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

test('healthSweep: with Pub/Sub off, findings go through the ingest core in-process: one hand-off (alert.ingested), stored in the ingest tables, a retried sweep adds nothing', async (t) => {
  const logs = sinkLogger('info');
  const { env: e, storeUrl } = await env({ ALERTS_PUBSUB: 'off' });
  const fn = createHealthSweep({ env: e, log: logs.log });
  ff.http('healthSweepInProcess', fn);
  const server = await serveFunction('healthSweepInProcess');
  try {
    const res = await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    t.is(((await res.json()) as { findings: unknown[] }).findings.length, 1);
    await fetch(server.url, { method: 'POST', headers: schedulerHeaders });
    const notified = logs.lines.filter((l) => l.event === 'alert.ingested');
    t.is(notified.length, 1);
    t.like(notified[0], { alertname: 'TargetDown', status: 'firing', source: 'runwatch' });
    t.false(logs.lines.some((l) => String(l.event).startsWith('sweep.publish')));
    const stores = await openStores(storeUrl, { platform: 'local' });
    try {
      const key = String(notified[0]?.dedupeKey);
      t.like(await stores.ingest.getAlert(key), { stale: false });
      t.not((await stores.ingest.getAlert(key))?.handedOffAt, null);
    } finally {
      await stores.close();
    }
  } finally {
    await server.close();
    await fn.close();
  }
});
