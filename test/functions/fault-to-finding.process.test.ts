/**
 * End to end: the real service (main.js, the committed model) in a child process with fault
 * injection, the real healthSweep function (Functions Framework test server), a real SQLite
 * store. Scheduler calls are a minute apart in schedule time. A model fault makes the service
 * unhealthy; InferUnhealthy fires in the store, and resolves after `ok`.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import { request, startChild, until } from '../helpers/child-service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 13, 0);

test('fault to finding: a model fault fires InferUnhealthy in the store through the real sweep, and ok resolves it', async (t) => {
  const svc = await startChild(
    { ENABLE_FAULT_INJECTION: 'true', ADMIN_API_KEYS: ADMIN },
    { main: true },
  );
  const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-e2e-')), 'trends.db')}`;
  process.env.STORE_URL = storeUrl;
  process.env.SWEEP_TARGETS = JSON.stringify([
    { name: 'emotion', url: `http://127.0.0.1:${svc.port}` },
  ]);
  process.env.LOG_LEVEL = 'fatal';
  await import('../../functions/index.js');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const server = getTestServer('healthSweep');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sweepUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const health = async () =>
    (JSON.parse((await request(svc.port, '/health')).body ?? '{}') as { status?: string }).status;
  const fault = (model: 'fail' | 'ok') =>
    request(svc.port, '/admin/faults', { body: { model }, headers: { 'x-api-key': ADMIN } });
  let minute = 0;
  const sweep = async () => {
    const res = await fetch(sweepUrl, {
      method: 'POST',
      headers: {
        'x-cloudscheduler-jobname': 'e2e',
        'x-cloudscheduler-scheduletime': new Date(T0 + minute++ * MIN).toISOString(),
      },
    });
    return (await res.json()) as { findings: { alertname: string; state: string }[] };
  };
  const unhealthy = (s: { findings: { alertname: string; state: string }[] }) =>
    s.findings.find((f) => f.alertname === 'InferUnhealthy')?.state ?? null;
  try {
    t.is(unhealthy(await sweep()), null);
    t.is((await fault('fail')).status, 200);
    t.true(await until(async () => (await health()) === 'unhealthy', 5000));
    const during = [await sweep(), await sweep(), await sweep()].map(unhealthy);
    t.deepEqual(during, [null, null, 'firing'], 'fires once health_status >= 2 held for 2m');

    t.is((await fault('ok')).status, 200);
    t.true(await until(async () => (await health()) === 'healthy', 5000));
    const after = [await sweep(), await sweep(), await sweep(), await sweep()].map(unhealthy);
    t.true(
      after.slice(0, 2).every((s) => s === 'firing'),
      `keeps firing for 2m: ${after.join(',')}`,
    );
    t.true(after.includes('resolved'), `then resolves: ${after.join(',')}`);

    const store = await openStore(storeUrl, { platform: 'local' });
    const stored = await store.findings({ target: 'emotion' });
    await store.close();
    t.true(stored.some((f) => f.alertname === 'InferUnhealthy' && f.state === 'firing'));
    t.true(stored.some((f) => f.alertname === 'InferUnhealthy' && f.state === 'resolved'));
  } finally {
    server.close();
    svc.kill('SIGTERM');
    await svc.exited;
  }
});
