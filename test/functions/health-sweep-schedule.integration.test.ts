/**
 * Forged schedules: the sweep id and time come from caller-given headers (healthSweep) or the
 * message's publishTime (healthSweepEvent), so a time far from now is refused before anything is
 * probed or stored. Through the real Functions Framework and a real SQLite store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { createHealthSweepEvent } from '../../functions/health-sweep-event.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { startSweepTarget } from '../helpers/sweep-target.js';

const DAY = 86_400_000;
let n = 0;

async function sweepFunction() {
  const target = await startSweepTarget();
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-schedule-')), 'trends.db')}`;
  const logs = sinkLogger('info');
  const env = {
    STORE_URL: storeUrl,
    SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
    STORE_RETENTION_DAYS: '30',
  };
  const fn = createHealthSweep({ env, log: logs.log });
  const name = `healthSweepSchedule${n++}`;
  ff.http(name, fn);
  const server = await serveFunction(name);
  const post = (scheduleTime: string) =>
    fetch(server.url, {
      method: 'POST',
      headers: {
        'x-cloudscheduler-jobname': 'forged',
        'x-cloudscheduler-scheduletime': scheduleTime,
      },
    });
  const close = async () => {
    await server.close();
    await fn.close();
    await target.close();
  };
  return { post, logs, storeUrl, target, close };
}

test('healthSweep: a schedule time more than 15 s ahead of now is 400 SWEEP_ERR_SCHEDULE_INVALID, and nothing is probed or stored', async (t) => {
  const f = await sweepFunction();
  t.teardown(f.close);
  for (const ahead of [60_000, 365 * DAY * 73]) {
    const when = new Date(Date.now() + ahead).toISOString();
    const res = await f.post(when);
    t.is(res.status, 400, when);
    const body = (await res.json()) as { error: { code: string; message: string } };
    t.is(body.error.code, 'SWEEP_ERR_SCHEDULE_INVALID');
    t.regex(body.error.message, /X-CloudScheduler-ScheduleTime/);
    t.regex(body.error.message, /at most 15 s ahead/);
  }
  t.is(f.target.requests.length, 0, 'no target was probed');
  const store = await openStore(f.storeUrl, { platform: 'local' });
  t.teardown(() => store.close());
  t.is(await store.latestSweep(), null, 'no sweep was stored');
});

test('healthSweep: a schedule time older than the retention is refused; one within it and one a few seconds ahead are swept', async (t) => {
  const f = await sweepFunction();
  t.teardown(f.close);
  const old = await f.post(new Date(Date.now() - 31 * DAY).toISOString());
  t.is(old.status, 400);
  t.regex(
    ((await old.json()) as { error: { message: string } }).error.message,
    /STORE_RETENTION_DAYS \(30\)/,
  );
  t.is((await f.post(new Date(Date.now() - 29 * DAY).toISOString())).status, 200);
  t.is((await f.post(new Date(Date.now() + 5_000).toISOString())).status, 200);
});

test('healthSweepEvent: a publishTime more than 15 s ahead is acknowledged as SWEEP_ERR_EVENT_INVALID and not swept', async (t) => {
  const target = await startSweepTarget();
  t.teardown(() => target.close());
  const logs = sinkLogger('info');
  const fn = createHealthSweepEvent({
    env: {
      STORE_URL: 'sqlite::memory:',
      SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
    },
    log: logs.log,
  });
  t.teardown(() => fn.close());
  const event = {
    specversion: '1.0',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: '//pubsub.googleapis.com/projects/p/topics/sweeps',
    id: '42',
    data: {
      message: {
        messageId: '42',
        publishTime: new Date(Date.now() + 3_600_000).toISOString(),
        attributes: {},
      },
    },
  };
  await fn(event as never);
  t.is(target.requests.length, 0);
  t.like(
    logs.lines.find((l) => l.event === 'sweep.event_rejected'),
    { code: 'SWEEP_ERR_EVENT_INVALID', field: 'data.message.publishTime' },
  );
});
