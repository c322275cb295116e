/**
 * healthSweep through the real Functions Framework server (getTestServer, on port 0), against
 * the real service (buildTestApp), with a real SQLite store. Only STORE_URL and SWEEP_TARGETS
 * are set, as when the function runs alone.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { sweepIdentity } from '../../functions/health-sweep.js';
import { buildTestApp } from '../helpers/test-app.js';

test('healthSweep: a Scheduler call sweeps the targets and answers the summary; the same scheduled run again is a duplicate', async (t) => {
  const service = await buildTestApp();
  const serviceUrl = await service.listen();
  process.env.STORE_URL = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-fn-')), 'trends.db')}`;
  process.env.SWEEP_TARGETS = JSON.stringify([{ name: 'emotion', url: serviceUrl }]);
  process.env.LOG_LEVEL = 'fatal';
  await import('../../functions/index.js');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const server = getTestServer('healthSweep');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const headers = {
      'x-cloudscheduler-jobname': 'runwatch-sweep',
      'x-cloudscheduler-scheduletime': '2026-11-27T12:00:00Z',
    };
    const res = await fetch(url, { method: 'POST', headers });
    t.is(res.status, 200);
    const body = (await res.json()) as {
      sweepId: string;
      duplicate: boolean;
      targets: { name: string; up: boolean; health: string }[];
      findings: unknown[];
    };
    t.is(body.sweepId, 'runwatch-sweep@2026-11-27T12:00:00.000Z');
    t.false(body.duplicate);
    t.like(body.targets[0], { name: 'emotion', up: true, health: 'healthy' });
    t.true(Array.isArray(body.findings));
    const again = (await (await fetch(url, { method: 'POST', headers })).json()) as typeof body;
    t.true(again.duplicate);
    t.deepEqual(again.targets, body.targets);
  } finally {
    server.close();
    await service.app.close();
  }
});

test('healthSweep: the sweep id comes from the Scheduler headers, else it is manual at now', (t) => {
  const now = Date.UTC(2026, 10, 27, 12, 34, 56);
  t.deepEqual(
    sweepIdentity(
      {
        'x-cloudscheduler-jobname': 'job',
        'x-cloudscheduler-scheduletime': '2026-11-27T12:00:00Z',
      },
      now,
    ),
    { sweepId: 'job@2026-11-27T12:00:00.000Z', ts: Date.UTC(2026, 10, 27, 12) },
  );
  t.deepEqual(sweepIdentity({}, now), { sweepId: 'manual@2026-11-27T12:34:56.000Z', ts: now });
  t.is(
    sweepIdentity({ 'x-cloudscheduler-scheduletime': 'not a time' }, now).sweepId,
    'manual@2026-11-27T12:34:56.000Z',
  );
});
