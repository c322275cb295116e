/**
 * CORS, security headers, body limits, content types and slow-client timeouts, through the real
 * app over real sockets on port 0.
 */
import net from 'node:net';
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

const PREDICT = { method: 'POST' as const, url: '/predict', payload: { text: 'hello' } };

function corsHeaders(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((h) => h.startsWith('access-control-allow-'));
}

test('cors: in development a localhost origin on any port is allowed, with a working preflight', async (t) => {
  const built = await buildTestApp();
  try {
    const origin = 'http://localhost:5173';
    const res = await built.http({ ...PREDICT, headers: { origin } });
    t.is(res.statusCode, 200);
    t.is(res.headers['access-control-allow-origin'], origin);
    t.regex(String(res.headers['access-control-expose-headers']), /x-request-id/);
    const pre = await built.http({
      method: 'OPTIONS',
      url: '/predict',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key',
      },
    });
    t.is(pre.statusCode, 204);
    t.is(pre.headers['access-control-allow-origin'], origin);
    t.regex(String(pre.headers['access-control-allow-methods']), /POST/);
    t.regex(String(pre.headers['access-control-allow-headers']), /x-api-key/);
    t.is(pre.headers['access-control-max-age'], '600');
  } finally {
    await built.app.close();
  }
});

test('cors: a disallowed origin gets no Access-Control-Allow-* header, on requests and preflights', async (t) => {
  const built = await buildTestApp({ CORS_ORIGINS: 'https://app.example.com' });
  try {
    const allowed = await built.http({
      ...PREDICT,
      headers: { origin: 'https://app.example.com' },
    });
    t.is(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'http://localhost:3000',
    ]) {
      const res = await built.http({ ...PREDICT, headers: { origin } });
      t.deepEqual(corsHeaders(res.headers), [], origin);
      const pre = await built.http({
        method: 'OPTIONS',
        url: '/predict',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      t.deepEqual(corsHeaders(pre.headers), [], `preflight from ${origin}`);
    }
  } finally {
    await built.app.close();
  }
});

test('cors: production allows no origin by default', async (t) => {
  const built = await buildTestApp({
    ENVIRONMENT: 'production',
    AUTH_MODE: 'iam',
    K_SERVICE: 'svc',
  });
  try {
    const res = await built.http({
      ...PREDICT,
      headers: { origin: 'http://localhost:5173' },
    });
    t.deepEqual(corsHeaders(res.headers), []);
  } finally {
    await built.app.close();
  }
});

test('headers: security headers for a JSON API, and no Server or X-Powered-By header', async (t) => {
  const built = await buildTestApp();
  try {
    const url = await built.listen();
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    t.is(res.status, 200);
    t.is(res.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
    t.is(res.headers.get('x-content-type-options'), 'nosniff');
    t.is(res.headers.get('x-frame-options'), 'DENY');
    t.regex(res.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
    t.is(res.headers.get('cache-control'), 'no-store');
    t.is(res.headers.get('referrer-policy'), 'no-referrer');
    t.is(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    for (const name of ['x-dns-prefetch-control', 'x-download-options', 'x-xss-protection']) {
      t.is(res.headers.get(name), null, `${name} governs HTML documents, not a JSON API`);
    }
    t.is(res.headers.get('server'), null);
    t.is(res.headers.get('x-powered-by'), null);
  } finally {
    await built.app.close();
  }
});

test('limits: 413 SVC_ERR_BODY_TOO_LARGE starts exactly above BODY_LIMIT_BYTES', async (t) => {
  const built = await buildTestApp({ BODY_LIMIT_BYTES: '2048' });
  try {
    const bodyOf = (bytes: number) => {
      const prefix = '{"text":"';
      const suffix = '"}';
      return prefix + 'a'.repeat(bytes - prefix.length - suffix.length) + suffix;
    };
    const send = (payload: string) =>
      built.http({
        method: 'POST',
        url: '/predict',
        headers: { 'content-type': 'application/json' },
        payload,
      });
    const atLimit = await send(bodyOf(2048));
    t.not(atLimit.statusCode, 413, 'a body of exactly the limit is parsed');
    t.is(atLimit.json().error.code, 'SVC_ERR_INPUT_INVALID', 'then refused for its text length');
    const over = await send(bodyOf(2049));
    t.is(over.statusCode, 413);
    t.is(over.json().error.code, 'SVC_ERR_BODY_TOO_LARGE');
    t.regex(over.json().error.message, /expected at most 2048 bytes/);
  } finally {
    await built.app.close();
  }
});

for (const contentType of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
  test(`limits: a ${contentType} body gets 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE naming it`, async (t) => {
    const built = await buildTestApp();
    try {
      const res = await built.http({
        method: 'POST',
        url: '/predict',
        headers: { 'content-type': contentType },
        payload: 'text=hello',
      });
      t.is(res.statusCode, 415);
      t.is(res.json().error.code, 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE');
      t.true(res.json().error.message.includes(contentType));
    } finally {
      await built.app.close();
    }
  });
}

/**
 * Opens a socket to a fresh app with these timeouts, writes `partial` and never more; resolves
 * with how long the server took to close it and what it answered.
 */
async function stallWith(
  env: Record<string, string>,
  partial: string,
): Promise<{ ms: number; received: string }> {
  const built = await buildTestApp({ CONNECTIONS_CHECK_INTERVAL_MS: '100', ...env });
  try {
    const url = new URL(await built.listen());
    const socket = net.connect(Number(url.port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const t0 = performance.now();
    socket.write(partial);
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    await new Promise((resolve) => socket.once('close', resolve));
    return { ms: performance.now() - t0, received };
  } finally {
    await built.app.close();
  }
}

test('timeouts: a client that never finishes its headers is cut off after HEADERS_TIMEOUT_MS, not REQUEST_TIMEOUT_MS or 30 s', async (t) => {
  // The two differ: Node defaults headersTimeout to requestTimeout when it is not passed, so
  // equal values could not tell whether HEADERS_TIMEOUT_MS reached the server.
  const { ms, received } = await stallWith(
    { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '8000' },
    'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n',
  );
  t.log(`closed after ${Math.round(ms)} ms: ${received.split('\r\n')[0] ?? '(nothing)'}`);
  t.true(ms >= 900, `not before the timeout (${Math.round(ms)} ms)`);
  t.true(ms < 4000, `well before REQUEST_TIMEOUT_MS and Node's 30 s check (${Math.round(ms)} ms)`);
  t.regex(received, /^HTTP\/1\.1 408/);
});

test('timeouts: an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS, not Node’s 5 s default', async (t) => {
  // A shed connection's hold must stay below the keep-alive timeout (the config says so).
  const built = await buildTestApp({ KEEP_ALIVE_TIMEOUT_MS: '2000', SHED_HOLD_MS: '1000' });
  try {
    const url = new URL(await built.listen());
    const socket = net.connect(Number(url.port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    const answered = new Promise<number>((resolve) => {
      socket.on('data', (d: Buffer) => {
        received += d.toString();
        if (received.includes('\r\n\r\n')) resolve(performance.now());
      });
    });
    socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    const t0 = await answered;
    await new Promise((resolve) => socket.once('close', resolve));
    const idleMs = performance.now() - t0;
    t.regex(received, /^HTTP\/1\.1 200/);
    t.regex(received, /keep-alive: timeout=2/i, 'the client is told the timeout');
    t.true(idleMs >= 1900 && idleMs < 4000, `closed after ${Math.round(idleMs)} ms idle`);
  } finally {
    await built.app.close();
  }
});

test('timeouts: a client that stalls mid-body is cut off after REQUEST_TIMEOUT_MS', async (t) => {
  const { ms, received } = await stallWith(
    { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1500' },
    'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text":',
  );
  t.true(ms >= 1400 && ms < 6000, `closed after ${Math.round(ms)} ms`);
  t.regex(received, /^HTTP\/1\.1 408/);
});
