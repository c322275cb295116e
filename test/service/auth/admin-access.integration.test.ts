/**
 * Admin keys through the real app over real sockets (issue 16, findings 12 and 15): the key is
 * checked before anything else about the request, every wrong key leaves an INFO line (never the
 * key), and a client that keeps guessing is refused on every route that checks admin keys, the
 * right key included, so /health's detail switch is no oracle.
 */
import test from 'ava';
import { buildTestApp, type HttpRequest, type TestApp } from '../../helpers/test-app.js';

const ADMIN = 'admin-key-0123456789abcdef';
const API_KEY = 'client-key-0123456789abcdef';
const WRONG = 'wrong-key-do-not-log-0123456789';
/** ADMIN_KEY_FAILURES_PER_MINUTE, set below its default (10) so the setting is what is tested. */
const FAILURES_ALLOWED = 4;

const ENV = {
  ENVIRONMENT: 'development',
  ADMIN_API_KEYS: ADMIN,
  API_KEYS: API_KEY,
  METRICS_PUBLIC: 'false',
};

/** A lower limit than the default (10), so the setting is what the lockout test exercises. */
const LOCKOUT_ENV = { ...ENV, ADMIN_KEY_FAILURES_PER_MINUTE: String(FAILURES_ALLOWED) };

/** Every admin route, with a request whose body (or lack of one) would be refused on its own. */
const ADMIN_ROUTES: readonly HttpRequest[] = [
  { url: '/model_status' },
  { url: '/security_status' },
  { url: '/metrics' },
  { method: 'POST', url: '/admin/faults', payload: { model: 'broken' } },
  { method: 'POST', url: '/admin/faults', payload: '{"model": ' },
  { method: 'POST', url: '/admin/faults', payload: 'model=fail' },
];

function withKey(req: HttpRequest, key: string | undefined, from = '127.0.0.21'): HttpRequest {
  const contentType =
    typeof req.payload === 'string' && !req.payload.startsWith('{')
      ? { 'content-type': 'text/plain' }
      : typeof req.payload === 'string'
        ? { 'content-type': 'application/json' }
        : {};
  return {
    ...req,
    remoteAddress: from,
    headers: { ...contentType, ...(key === undefined ? {} : { 'x-api-key': key }) },
  };
}

async function withApp(
  t: import('ava').ExecutionContext,
  fn: (built: TestApp) => Promise<void>,
  env: Record<string, string> = ENV,
) {
  const built = await buildTestApp(env, undefined, { faults: true });
  try {
    await fn(built);
  } finally {
    await built.app.close();
  }
  t.pass();
}

test('admin routes: the admin key is checked before the body, so a bad body without a key is 401, not a 400 naming the allowed values', async (t) => {
  await withApp(t, async (built) => {
    for (const req of ADMIN_ROUTES) {
      for (const key of [undefined, WRONG]) {
        const res = await built.http(withKey(req, key));
        t.is(res.statusCode, 401, `${req.method ?? 'GET'} ${req.url} ${String(req.payload)}`);
        t.is(res.json().error.code, 'SVC_ERR_UNAUTHENTICATED');
        t.notRegex(res.body, /"fail"|"ok"|allowed values|must be equal/);
      }
    }
    const bad = await built.http(withKey(ADMIN_ROUTES[3] as HttpRequest, ADMIN, '127.0.0.22'));
    t.is(bad.statusCode, 400, 'with the key, the body is validated');
  });
});

test('admin key: a wrong key on /metrics, /health and /model_status is logged at INFO as auth.admin_key_rejected, never echoing the key', async (t) => {
  await withApp(t, async (built) => {
    const from = '127.0.0.23';
    t.is(
      (await built.http({ url: '/metrics', remoteAddress: from, headers: { 'x-api-key': WRONG } }))
        .statusCode,
      401,
    );
    const health = await built.http({
      url: '/health',
      remoteAddress: from,
      headers: { 'x-api-key': WRONG },
    });
    t.is(health.statusCode, 200);
    t.deepEqual(Object.keys(health.json()), ['status'], 'a wrong key gets what no key gets');
    await built.http({
      url: '/model_status',
      remoteAddress: from,
      headers: { 'x-api-key': API_KEY },
    });

    const rejected = built.sink.lines.filter((l) => l.event === 'auth.admin_key_rejected');
    t.deepEqual(
      rejected.map((l) => [l.severity, l.route, l.reason, l.failures]),
      [
        ['INFO', '/metrics', 'unknown', 1],
        ['INFO', '/health', 'unknown', 2],
        ['INFO', '/model_status', 'unknown', 3],
      ],
    );
    t.is(
      rejected[2]?.apiKeyId,
      built.config.auth.apiKeys.reference.ids[0],
      'an API key sent as an admin key is named by its id',
    );
    t.is(rejected[0]?.apiKeyId, undefined, 'an unknown key has no id');
    for (const l of rejected) t.is(l.remoteIp, from);
    const everything = JSON.stringify(built.sink.lines);
    t.false(everything.includes(WRONG), 'the wrong key appears in no log line');
    t.false(everything.includes(API_KEY), 'nor does an API key');
    const failures = await built.metrics.own.getSingleMetric('admin_key_failures_total')?.get();
    t.is(failures?.values[0]?.value, 3);
  });
});

test(`admin key: after ${FAILURES_ALLOWED} wrong keys in a minute a client gets 429 SVC_ERR_RATE_LIMITED with Retry-After on admin routes and /health, even with the right key`, async (t) => {
  await withApp(
    t,
    async (built) => {
      const from = '127.0.0.24';
      const guess = (url: string, key: string) =>
        built.http({ url, remoteAddress: from, headers: { 'x-api-key': key } });
      const urls = ['/health', '/metrics', '/model_status', '/security_status'];
      for (let i = 0; i < FAILURES_ALLOWED; i++) {
        const res = await guess(urls[i % urls.length] as string, `${WRONG}-${i}`);
        t.not(res.statusCode, 429, `guess ${i + 1} is still answered`);
      }
      for (const url of [...urls, '/admin/faults']) {
        const res =
          url === '/admin/faults'
            ? await built.http({
                method: 'POST',
                url,
                payload: { model: 'fail' },
                remoteAddress: from,
                headers: { 'x-api-key': ADMIN },
              })
            : await guess(url, ADMIN);
        t.is(res.statusCode, 429, `${url} with the right key`);
        t.is(res.json().error.code, 'SVC_ERR_RATE_LIMITED');
        const retryAfter = Number(res.headers['retry-after']);
        t.true(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${res.headers['retry-after']}`);
      }
      const plain = await built.http({ url: '/health', remoteAddress: from });
      t.is(plain.statusCode, 200, 'a probe without a key is never refused');
      t.deepEqual(Object.keys(plain.json()), ['status']);
      const other = await built.http({
        url: '/health',
        remoteAddress: '127.0.0.25',
        headers: { 'x-api-key': ADMIN },
      });
      t.true('checks' in other.json(), 'another client is not affected');
      const locked = built.sink.lines.filter((l) => l.event === 'auth.admin_key_locked');
      t.is(locked.length, 1, 'one line when the lockout starts, not one per refusal');
      t.is(locked[0]?.severity, 'WARNING');
    },
    LOCKOUT_ENV,
  );
});

test('admin key: a missing key on an admin route is logged at INFO but not counted as a guess', async (t) => {
  await withApp(t, async (built) => {
    const from = '127.0.0.26';
    for (let i = 0; i < FAILURES_ALLOWED + 2; i++) {
      t.is((await built.http({ url: '/metrics', remoteAddress: from })).statusCode, 401);
    }
    const lines = built.sink.lines.filter((l) => l.event === 'auth.admin_key_rejected');
    t.is(lines.length, FAILURES_ALLOWED + 2);
    t.true(lines.every((l) => l.reason === 'missing' && l.severity === 'INFO'));
    const ok = await built.http({
      url: '/metrics',
      remoteAddress: from,
      headers: { 'x-api-key': ADMIN },
    });
    t.is(ok.statusCode, 200);
  });
});
