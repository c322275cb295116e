/**
 * Rate limiting through the real app (real sockets from chosen loopback addresses), and across
 * two app instances through the real Redis at 127.0.0.1:6379.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { needsLocalRedis } from '../../helpers/local-redis.js';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

const KEY_A = 'client-key-a-0123456789abcdef';
const KEY_B = 'client-key-b-0123456789abcdef';

function predict(
  built: TestApp,
  opts: { key?: string; xff?: string; remoteAddress?: string } = {},
) {
  return built.http({
    method: 'POST',
    url: '/predict',
    payload: { text: 'hello' },
    remoteAddress: opts.remoteAddress ?? '127.0.0.7',
    headers: {
      ...(opts.key ? { 'x-api-key': opts.key } : {}),
      ...(opts.xff ? { 'x-forwarded-for': opts.xff } : {}),
    },
  });
}

async function statuses(
  built: TestApp,
  n: number,
  opts: Parameters<typeof predict>[1] = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await predict(built, opts)).statusCode);
  return out;
}

test('rate limit: past RATE_LIMIT_PER_MINUTE a client gets 429 SVC_ERR_RATE_LIMITED with Retry-After and RateLimit-* headers, and no text is scored', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
  try {
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await predict(built));
    t.deepEqual(
      ok.map((r) => [r.statusCode, r.headers['ratelimit-limit'], r.headers['ratelimit-remaining']]),
      [
        [200, '3', '2'],
        [200, '3', '1'],
        [200, '3', '0'],
      ],
    );
    const runsBefore = built.recording.runs.length;
    const limited = await predict(built);
    t.is(limited.statusCode, 429);
    t.is(limited.json().error.code, 'SVC_ERR_RATE_LIMITED');
    t.regex(limited.json().error.message, /used its 3 requests per minute/);
    t.regex(String(limited.headers['retry-after']), /^\d+$/);
    t.truthy(limited.headers['ratelimit-reset']);
    t.is(built.recording.runs.length, runsBefore, 'a refused request reaches no model');
    for (const url of ['/health/live', '/health/ready', '/health', '/metrics', '/emotions']) {
      for (let i = 0; i < 5; i++) {
        const res = await built.http({ url, remoteAddress: '127.0.0.7' });
        t.is(res.statusCode, 200, `${url} is exempt`);
      }
    }
    const counted = await built.metrics.own.getSingleMetric('rate_limited_total')?.get();
    t.is(counted?.values[0]?.value, 1);
  } finally {
    await built.app.close();
  }
});

test('rate limit: one bucket per client covers /predict, /predict_batch and the OIP infer routes (the SAMO-DL API counted each endpoint apart)', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '4' });
  try {
    const from = { remoteAddress: '127.0.0.9' };
    const oip = {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['hello'] }],
    };
    const calls = [
      { method: 'POST' as const, url: '/predict', payload: { text: 'hello' } },
      { method: 'POST' as const, url: '/predict_batch', payload: { texts: ['hello'] } },
      { method: 'POST' as const, url: '/v2/models/tiny-test-model/infer', payload: oip },
      {
        method: 'POST' as const,
        url: '/v2/models/tiny-test-model/versions/0.0.1/infer',
        payload: oip,
      },
    ];
    const answers = [];
    for (const call of calls) answers.push(await built.http({ ...call, ...from }));
    t.deepEqual(
      answers.map((r) => [r.statusCode, r.headers['ratelimit-remaining']]),
      [
        [200, '3'],
        [200, '2'],
        [200, '1'],
        [200, '0'],
      ],
      'each route draws on the same allowance',
    );
    for (const call of calls) {
      const res = await built.http({ ...call, ...from });
      t.is(res.statusCode, 429, `${call.url} refuses once the shared bucket is empty`);
    }
  } finally {
    await built.app.close();
  }
});

test('rate limit: two valid keys from one address get separate buckets', async (t) => {
  const built = await buildTestApp({
    RATE_LIMIT_PER_MINUTE: '2',
    AUTH_MODE: 'api-key',
    API_KEYS: `${KEY_A},${KEY_B}`,
  });
  try {
    t.deepEqual(await statuses(built, 3, { key: KEY_A }), [200, 200, 429]);
    t.deepEqual(await statuses(built, 3, { key: KEY_B }), [200, 200, 429]);
  } finally {
    await built.app.close();
  }
});

test("rate limit: random or invalid keys share the address's bucket, so invented keys mint no allowance", async (t) => {
  const built = await buildTestApp({
    RATE_LIMIT_PER_MINUTE: '2',
    AUTH_MODE: 'api-key',
    API_KEYS: KEY_A,
  });
  try {
    const random = () => ({ key: `random-${randomBytes(12).toString('hex')}` });
    const got = [
      (await predict(built, random())).statusCode,
      (await predict(built, random())).statusCode,
      (await predict(built, random())).statusCode,
      (await predict(built, {})).statusCode,
    ];
    t.deepEqual(got, [401, 401, 429, 429]);
    t.deepEqual(await statuses(built, 1, { key: KEY_A }), [200], 'a valid key has its own bucket');
    t.deepEqual(
      await statuses(built, 1, { key: 'random-key-0000000000', remoteAddress: '127.0.0.9' }),
      [401],
      'another address has its own bucket',
    );
  } finally {
    await built.app.close();
  }
});

test('rate limit: a forged left-most X-Forwarded-For does not change the bucket (TRUST_PROXY_HOPS=1)', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY_HOPS: '1' });
  try {
    // Google's front end appends the real client address; everything left of it is the client's.
    const got = [
      (await predict(built, { xff: '1.1.1.1, 198.51.100.20' })).statusCode,
      (await predict(built, { xff: '2.2.2.2, 198.51.100.20' })).statusCode,
      (await predict(built, { xff: '3.3.3.3, 4.4.4.4, 198.51.100.20' })).statusCode,
    ];
    t.deepEqual(got, [200, 200, 429]);
    t.deepEqual(await statuses(built, 1, { xff: '1.1.1.1, 198.51.100.21' }), [200]);
    const log = built.sink.lines.find((l) => l.event === 'http.request') as {
      httpRequest: { remoteIp: string };
    };
    t.is(log.httpRequest.remoteIp, '198.51.100.20', 'logs carry the same client address');
  } finally {
    await built.app.close();
  }
});

test('rate limit: IPv6 clients are bucketed by /64, so cycling addresses within one prefix mints no allowance (TRUST_PROXY_HOPS=1)', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY_HOPS: '1' });
  try {
    t.deepEqual(
      [
        (await predict(built, { xff: '2001:db8:1:2::1' })).statusCode,
        (await predict(built, { xff: '2001:db8:1:2:aaaa:bbbb:cccc:dddd' })).statusCode,
        (await predict(built, { xff: '2001:0db8:0001:0002:ffff::9' })).statusCode,
      ],
      [200, 200, 429],
      'three addresses in 2001:db8:1:2::/64 share one bucket',
    );
    t.deepEqual(
      await statuses(built, 1, { xff: '2001:db8:1:3::1' }),
      [200],
      'the next /64 is another client',
    );
    // An IPv4 client seen through an IPv4-mapped IPv6 address is that IPv4 client.
    t.deepEqual(await statuses(built, 2, { xff: '198.51.100.40' }), [200, 200]);
    t.deepEqual(await statuses(built, 1, { xff: '::ffff:198.51.100.40' }), [429]);
  } finally {
    await built.app.close();
  }
});

test('rate limit: X-Forwarded-For entries that are no address (foo, 999.1.1.1) share one bucket, so cycling them earns no fresh allowance (TRUST_PROXY_HOPS=1)', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY_HOPS: '1' });
  try {
    t.deepEqual(
      [
        (await predict(built, { xff: 'foo' })).statusCode,
        (await predict(built, { xff: '999.1.1.1' })).statusCode,
        (await predict(built, { xff: 'bar' })).statusCode,
        (await predict(built, { xff: '1.2.3.4.5' })).statusCode,
      ],
      [200, 200, 429, 429],
      'garbage entries are one client: "an address we cannot parse"',
    );
    t.deepEqual(await statuses(built, 1, { xff: '198.51.100.50' }), [200], 'a real address is not');
    const ips = built.sink.lines
      .filter((l) => l.event === 'http.request')
      .map((l) => (l as { httpRequest: { remoteIp: string } }).httpRequest.remoteIp);
    t.deepEqual(ips.slice(0, 2), ['foo', '999.1.1.1'], 'the log keeps what the proxy chain said');
  } finally {
    await built.app.close();
  }
});

test('rate limit: with TRUST_PROXY_HOPS=2 (external load balancer) the client is second from the right', async (t) => {
  const built = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY_HOPS: '2' });
  try {
    t.deepEqual(await statuses(built, 1, { xff: 'forged, 198.51.100.30, 130.211.0.1' }), [200]);
    t.deepEqual(await statuses(built, 1, { xff: 'other, 198.51.100.30, 130.211.0.2' }), [429]);
    t.deepEqual(await statuses(built, 1, { xff: 'forged, 198.51.100.31, 130.211.0.1' }), [200]);
  } finally {
    await built.app.close();
  }
});

test('rate limit: two app instances share one bucket through Redis', async (t) => {
  if (!(await needsLocalRedis(t))) return;
  const env = {
    RATE_LIMIT_PER_MINUTE: '3',
    RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379',
    // A namespace of its own, so runs never share buckets.
    RATE_LIMIT_NAMESPACE: `runwatch-test-${randomBytes(6).toString('hex')}:`,
  };
  const one = await buildTestApp(env);
  const two = await buildTestApp(env);
  try {
    const got = [
      (await predict(one)).statusCode,
      (await predict(two)).statusCode,
      (await predict(one)).statusCode,
      (await predict(two)).statusCode,
      (await predict(one)).statusCode,
    ];
    t.deepEqual(got, [200, 200, 200, 429, 429]);
    t.is(one.rateLimiting.store, 'redis 127.0.0.1:6379');
  } finally {
    await one.app.close();
    await two.app.close();
  }
});
