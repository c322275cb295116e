/**
 * Rate limiting when Redis does not answer (issue 16, finding 9), through the real app: a Redis
 * that hangs (paused, not closed: a proxy in front of the local Redis holds every byte) and one
 * that never answered (a server that accepts and stays silent). Either way a request waits at
 * most one short command timeout, limits are still enforced (in this instance's memory), the
 * checks are counted and logged sampled, and /security_status reports the fallback.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import test from 'ava';
import { LOCAL_REDIS, needsLocalRedis } from '../../helpers/local-redis.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

const ADMIN = 'admin-key-0123456789abcdef';

function envFor(port: number) {
  return {
    RATE_LIMIT_PER_MINUTE: '3',
    RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${port}`,
    RATE_LIMIT_NAMESPACE: `runwatch-test-${randomBytes(6).toString('hex')}:`,
    ADMIN_API_KEYS: ADMIN,
  };
}

const predict = (built: TestApp) =>
  built.http({ method: 'POST', url: '/predict', payload: { text: 'hello' } });

async function rateLimitReport(built: TestApp) {
  const res = await built.http({ url: '/security_status', headers: { 'x-api-key': ADMIN } });
  return res.json().rate_limit as {
    store: string;
    scope: string;
    fallback: { active: boolean; since: string | null; checks_in_memory: number } | null;
  };
}

async function metricValue(built: TestApp, name: string): Promise<number | undefined> {
  return (await built.metrics.own.getSingleMetric(name)?.get())?.values[0]?.value;
}

/** Statuses of `n` predicts in a row, and how long they took together. */
async function timedStatuses(built: TestApp, n: number) {
  const started = performance.now();
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await predict(built)).statusCode);
  return { statuses, ms: performance.now() - started };
}

test('rate limit: a Redis that stops answering (paused, not closed) costs one short wait, then limits are checked in memory, counted, logged once and reported by /security_status until it answers again', async (t) => {
  if (!(await needsLocalRedis(t))) return;
  const proxy = await startTcpProxy(LOCAL_REDIS);
  const built = await buildTestApp(envFor(proxy.port));
  try {
    t.is((await predict(built)).headers['ratelimit-remaining'], '2', 'counted in Redis');
    t.is((await rateLimitReport(built)).scope, 'all instances');

    proxy.pause();
    const hung = await timedStatuses(built, 4);
    t.deepEqual(hung.statuses, [200, 200, 200, 429], 'limited in memory, not let through');
    // Before: every request waited the 500 ms command timeout (2 s for these four).
    t.true(hung.ms < 1000, `four requests took ${Math.round(hung.ms)} ms`);
    t.is(await metricValue(built, 'rate_limit_store_fallback_total'), 4);
    t.is(await metricValue(built, 'rate_limit_store_fallback'), 1);
    const report = await rateLimitReport(built);
    t.like(report, { store: `redis 127.0.0.1:${proxy.port}`, scope: 'per instance' });
    t.like(report.fallback, { active: true, checks_in_memory: 4 });
    t.regex(String(report.fallback?.since), /^\d{4}-\d\d-\d\dT/);
    const started = built.sink.lines.filter((l) => l.event === 'rate_limit.store_fallback');
    t.is(started.length, 1, 'one line for the outage, not one a request');
    t.like(started[0], { severity: 'WARNING', reason: 'Command timed out' });

    proxy.resume();
    const deadline = Date.now() + 5000;
    while ((await rateLimitReport(built)).fallback?.active && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    t.false((await rateLimitReport(built)).fallback?.active, 'a probe found Redis again');
    t.is(await metricValue(built, 'rate_limit_store_fallback'), 0);
    t.like(
      built.sink.lines.find((l) => l.event === 'rate_limit.store_recovered'),
      { severity: 'INFO', checks: 4 },
    );
    await predict(built);
    t.is(await metricValue(built, 'rate_limit_store_fallback_total'), 4, 'checks are Redis again');
  } finally {
    await built.app.close();
    await proxy.close();
  }
});

test('rate limit: a Redis that accepts connections and never answers has limits checked in memory from the first request, with no wait, and /security_status says so', async (t) => {
  const silent = await startTcpProxy(null);
  const built = await buildTestApp(envFor(silent.port));
  try {
    // Listening waits up to a second for Redis to be ready (it never is); requests come after.
    await built.listen();
    const { statuses, ms } = await timedStatuses(built, 4);
    t.deepEqual(statuses, [200, 200, 200, 429], 'before: all four passed unlimited');
    t.true(ms < 1000, `four requests took ${Math.round(ms)} ms`);
    t.like((await rateLimitReport(built)).fallback, { active: true, checks_in_memory: 4 });
    t.is(await metricValue(built, 'rate_limit_store_fallback_total'), 4);
    t.like(
      built.sink.lines.filter((l) => l.event === 'rate_limit.store_fallback'),
      [{ severity: 'WARNING', reason: 'not reachable at start' }],
    );
  } finally {
    await built.app.close();
    await silent.close();
  }
});

test('rate limit: RATE_LIMIT_REDIS_TIMEOUT_MS is how long the first check waits for a hung Redis before it is made in memory', async (t) => {
  if (!(await needsLocalRedis(t))) return;
  const proxy = await startTcpProxy(LOCAL_REDIS);
  const built = await buildTestApp({ ...envFor(proxy.port), RATE_LIMIT_REDIS_TIMEOUT_MS: '400' });
  try {
    t.is((await predict(built)).statusCode, 200);
    proxy.pause();
    const first = await timedStatuses(built, 1);
    t.deepEqual(first.statuses, [200]);
    // Never shorter than the configured wait (the default, 100 ms, would be well under it).
    t.true(first.ms >= 380, `the check took ${Math.round(first.ms)} ms`);
    t.true(first.ms < 2000, `the check took ${Math.round(first.ms)} ms`);
  } finally {
    proxy.resume();
    await built.app.close();
    await proxy.close();
  }
});
