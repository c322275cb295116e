/**
 * Fault injection against the real service (main.js, the committed model) in a child process:
 * the model fails on demand, the health check sees it, and it recovers.
 */
import test from 'ava';
import { request, startChild, until } from '../../helpers/child-service.js';

const ADMIN = 'admin-key-0123456789abcdef';

async function healthStatus(port: number): Promise<string> {
  const res = await request(port, '/health');
  return (JSON.parse(res.body ?? '{}') as { status?: string }).status ?? '';
}

test('faults: POST /admin/faults fails the model, the health check turns unhealthy, and ok restores both', async (t) => {
  const svc = await startChild(
    { ENABLE_FAULT_INJECTION: 'true', ADMIN_API_KEYS: ADMIN },
    { main: true },
  );
  try {
    const body = { text: 'I love this' };
    t.is((await request(svc.port, '/predict', { body })).status, 200);
    const denied = await request(svc.port, '/admin/faults', { body: { model: 'fail' } });
    t.is(denied.status, 401);
    const bad = await request(svc.port, '/admin/faults', {
      body: { model: 'broken' },
      headers: { 'x-api-key': ADMIN },
    });
    t.is(bad.status, 400);

    const set = await request(svc.port, '/admin/faults', {
      body: { model: 'fail' },
      headers: { 'x-api-key': ADMIN },
    });
    t.is(set.status, 200);
    t.deepEqual(JSON.parse(set.body ?? '{}'), { model: 'fail' });
    const failed = await request(svc.port, '/predict', { body });
    t.is(failed.status, 500);
    t.is(JSON.parse(failed.body ?? '{}').error.code, 'SVC_ERR_INFERENCE_FAILED');
    t.true(await until(async () => (await healthStatus(svc.port)) === 'unhealthy', 5000));
    t.is((await request(svc.port, '/health/ready')).status, 503);
    t.is((await request(svc.port, '/health/live')).status, 200);

    await request(svc.port, '/admin/faults', {
      body: { model: 'ok' },
      headers: { 'x-api-key': ADMIN },
    });
    t.is((await request(svc.port, '/predict', { body })).status, 200);
    t.true(await until(async () => (await healthStatus(svc.port)) === 'healthy', 5000));
    t.true(svc.lines.some((l) => l.event === 'fault.injected' && l.model === 'fail'));
  } finally {
    svc.kill('SIGTERM');
    await svc.exited;
  }
});

test('faults: without ENABLE_FAULT_INJECTION there is no /admin/faults route', async (t) => {
  const svc = await startChild({ ADMIN_API_KEYS: ADMIN });
  try {
    const res = await request(svc.port, '/admin/faults', {
      body: { model: 'fail' },
      headers: { 'x-api-key': ADMIN },
    });
    t.is(res.status, 404);
  } finally {
    svc.kill('SIGTERM');
    await svc.exited;
  }
});
