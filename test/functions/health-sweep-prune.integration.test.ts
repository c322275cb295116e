/**
 * Incremental retention after each sweep, through the real healthSweep function and a real
 * SQLite store that the test seeds with expired samples.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import type { Sample } from '../../alerts/types.js';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { serveFunction } from '../helpers/ff-server.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { startSweepTarget } from '../helpers/sweep-target.js';

const DAY = 86_400_000;

test('healthSweep: each sweep prunes one SWEEP_PRUNE_BATCH of samples older than STORE_RETENTION_DAYS, and a refused future schedule time prunes nothing', async (t) => {
  const target = await startSweepTarget();
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-prune-')), 'trends.db')}`;
  const now = Date.now();
  const store = await openStore(storeUrl, { platform: 'local' });
  const old: Sample[] = Array.from({ length: 7 }, (_, i) => ({
    target: 'retired',
    metric: 'up',
    instance: null,
    ts: now - 40 * DAY + i * 60_000,
    value: 1,
  }));
  const recent: Sample[] = [
    { target: 'retired', metric: 'up', instance: null, ts: now - 29 * DAY, value: 1 },
    { target: 'retired', metric: 'up', instance: null, ts: now - DAY, value: 1 },
  ];
  await store.appendSamples([...old, ...recent]);
  const logs = sinkLogger('info');
  const fn = createHealthSweep({
    env: {
      STORE_URL: storeUrl,
      SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
      STORE_RETENTION_DAYS: '30',
      SWEEP_PRUNE_BATCH: '5',
    },
    log: logs.log,
  });
  ff.http('healthSweepPrunes', fn);
  const server = await serveFunction('healthSweepPrunes');
  const retired = () => store.window({ target: 'retired', metric: 'up', from: 0, to: now + 1 });
  const sweep = (scheduleTime: number) =>
    fetch(server.url, {
      method: 'POST',
      headers: {
        'x-cloudscheduler-jobname': 'prune-test',
        'x-cloudscheduler-scheduletime': new Date(scheduleTime).toISOString(),
      },
    });
  try {
    t.is((await sweep(now - 120_000)).status, 200);
    t.is((await retired()).length, 4, 'the first sweep pruned one batch of 5');
    t.like(
      logs.lines.find((l) => l.event === 'sweep.pruned'),
      { pruned: 5, limit: 5, retentionDays: 30 },
    );

    t.is((await sweep(now - 60_000)).status, 200);
    t.deepEqual(
      (await retired()).map((s) => s.ts),
      recent.map((s) => s.ts),
      'the second pruned the remaining 2 expired samples and nothing recent',
    );
    const completed = logs.lines.filter((l) => l.event === 'sweep.completed');
    t.deepEqual(
      completed.map((l) => l.pruned),
      [5, 2],
    );

    // A schedule time 60 days ahead is refused (SWEEP_ERR_SCHEDULE_INVALID) and prunes nothing.
    t.is((await sweep(now + 60 * DAY)).status, 400);
    t.is((await retired()).length, 2);
    t.is(logs.lines.filter((l) => l.event === 'sweep.completed').length, 2);
    const emotionUp = await store.window({
      target: 'emotion',
      metric: 'up',
      from: 0,
      to: now + 61 * DAY,
    });
    t.is(emotionUp.length, 2, "every sweep's own samples are kept, the refused one stored none");
  } finally {
    await server.close();
    await fn.close();
    await store.close();
    await target.close();
  }
});

test('healthSweep: SWEEP_PRUNE_BATCH=0 turns pruning off', async (t) => {
  const target = await startSweepTarget();
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-prune-')), 'trends.db')}`;
  const store = await openStore(storeUrl, { platform: 'local' });
  const ts = Date.now() - 400 * DAY;
  await store.appendSamples([{ target: 'retired', metric: 'up', instance: null, ts, value: 1 }]);
  const fn = createHealthSweep({
    env: {
      STORE_URL: storeUrl,
      SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
      SWEEP_PRUNE_BATCH: '0',
    },
    log: sinkLogger('fatal').log,
  });
  ff.http('healthSweepNoPrune', fn);
  const server = await serveFunction('healthSweepNoPrune');
  try {
    t.is((await fetch(server.url, { method: 'POST' })).status, 200);
    t.is((await store.window({ target: 'retired', metric: 'up', from: 0, to: ts + 1 })).length, 1);
  } finally {
    await server.close();
    await fn.close();
    await store.close();
    await target.close();
  }
});
