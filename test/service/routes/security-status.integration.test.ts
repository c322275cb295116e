/**
 * GET /security_status reports what the service enforces: checked against behaviour observed
 * over real HTTP for two different configurations.
 */
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

const ADMIN = 'admin-key-0123456789abcdef';

const configs = [
  {
    name: 'an exact origin and a localhost wildcard, a 3000-byte limit',
    env: {
      CORS_ORIGINS: 'https://app.example.com,http://localhost:*',
      BODY_LIMIT_BYTES: '3000',
      RATE_LIMIT_PER_MINUTE: '50',
    },
  },
  {
    name: 'no origin, a 5000-byte limit, API keys and tighter timeouts',
    env: {
      CORS_ORIGINS: '',
      BODY_LIMIT_BYTES: '5000',
      AUTH_MODE: 'api-key',
      API_KEYS: 'client-key-0123456789abcdef',
      HEADERS_TIMEOUT_MS: '4000',
      REQUEST_TIMEOUT_MS: '9000',
      KEEP_ALIVE_TIMEOUT_MS: '7000',
    },
  },
];

const CANDIDATE_ORIGINS = [
  'https://app.example.com',
  'https://evil.example',
  'http://localhost:3000',
  'http://localhost',
  'https://app.example.com.evil.example',
];

function allowedBy(reported: string[], origin: string): boolean {
  return reported.some((o) =>
    o.startsWith('regex:') ? new RegExp(o.slice('regex:'.length)).test(origin) : o === origin,
  );
}

for (const c of configs) {
  test(`security status: with ${c.name}, the report matches what the service does`, async (t) => {
    const built = await buildTestApp({ ADMIN_API_KEYS: ADMIN, ...c.env });
    try {
      const url = await built.listen();
      const res = await fetch(`${url}/security_status`, { headers: { 'x-api-key': ADMIN } });
      t.is(res.status, 200);
      const report = (await res.json()) as {
        auth: { mode: string; api_keys: { ids: string[] } };
        cors: { origins: string[] };
        body_limit_bytes: number;
        timeouts_ms: { headers: number; request: number; keep_alive: number };
        rate_limit: { per_minute: number; store: string; enabled: boolean };
        shedding: Record<string, number>;
      };
      t.false(JSON.stringify(report).includes('client-key-0123456789abcdef'), 'no secret');
      t.is(report.auth.mode, built.config.auth.mode);

      for (const origin of CANDIDATE_ORIGINS) {
        const r = await fetch(`${url}/emotions`, { headers: { origin } });
        t.is(
          r.headers.get('access-control-allow-origin') === origin,
          allowedBy(report.cors.origins, origin),
          `ACAO for ${origin} agrees with the reported origins ${JSON.stringify(report.cors.origins)}`,
        );
      }

      const limit = report.body_limit_bytes;
      const send = (bytes: number) => {
        const head = '{"text":"';
        const tail = '"}';
        return fetch(`${url}/predict`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': 'client-key-0123456789abcdef',
          },
          body: head + 'a'.repeat(bytes - head.length - tail.length) + tail,
        });
      };
      t.not((await send(limit)).status, 413, `a body of the reported ${limit} bytes is read`);
      t.is((await send(limit + 1)).status, 413, 'one byte more is 413');

      t.is(report.timeouts_ms.headers, built.app.server.headersTimeout);
      t.is(report.timeouts_ms.request, built.app.server.requestTimeout);
      t.is(report.timeouts_ms.headers, Number(c.env.HEADERS_TIMEOUT_MS ?? 10000));
      t.is(report.timeouts_ms.keep_alive, Number(c.env.KEEP_ALIVE_TIMEOUT_MS ?? 5000));
      t.is(report.rate_limit.enabled, c.env.RATE_LIMIT_PER_MINUTE !== undefined);
      t.is(report.rate_limit.store, c.env.RATE_LIMIT_PER_MINUTE ? 'memory' : 'off');
      if (report.rate_limit.enabled) {
        // The two bodies above were this client's first predicts of the minute.
        const statuses: number[] = [];
        for (let i = 2; i < report.rate_limit.per_minute; i++)
          statuses.push((await send(40)).status);
        t.false(statuses.includes(429), `all ${report.rate_limit.per_minute} reported are allowed`);
        t.is((await send(40)).status, 429, 'one more is 429');
      }
      t.deepEqual(report.shedding, { ...built.config.shedding });
    } finally {
      await built.app.close();
    }
  });
}

test('security status: without the admin key it is 401', async (t) => {
  const built = await buildTestApp({ ADMIN_API_KEYS: ADMIN });
  try {
    const res = await built.http({ url: '/security_status' });
    t.is(res.statusCode, 401);
    t.is(res.json().error.code, 'SVC_ERR_UNAUTHENTICATED');
  } finally {
    await built.app.close();
  }
});
