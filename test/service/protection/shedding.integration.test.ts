/**
 * Load shedding by queue depth through the real app over real sockets, over the tiny ONNX model:
 * inference routes are refused before their body is read, readiness fails, and probes, /metrics,
 * admin and OIP metadata routes still answer. The event-loop measures are tested with a real
 * blocked loop in test/service/shedding.process.test.ts.
 */
import test from 'ava';
import { parseSamples, sampleValue } from '../../helpers/prom-text.js';
import { exchangeOn, rawExchange } from '../../helpers/raw-http.js';
import { buildTestApp, fillQueue } from '../../helpers/test-app.js';

const name = 'tiny-test-model';
const ADMIN = 'admin-key-0123456789abcdef';

test('shedding: at SHED_QUEUE_DEPTH queued texts inference gets 503 SVC_ERR_OVERLOADED with Retry-After and readiness fails, probes do not', async (t) => {
  const built = await buildTestApp({
    MAX_QUEUE_DEPTH: '100',
    SHED_QUEUE_DEPTH: '50',
    ADMIN_API_KEYS: ADMIN,
  });
  try {
    t.is((await built.http({ url: '/health/ready' })).statusCode, 200);
    const { release, busy, batch } = await fillQueue(built);

    const shed = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'one more' },
    });
    t.is(shed.statusCode, 503);
    t.is(shed.headers['retry-after'], '2');
    t.is(shed.json().error.code, 'SVC_ERR_OVERLOADED');
    t.is(
      shed.json().error.message,
      'the inference queue holds 100 texts; expected fewer than 50 (SHED_QUEUE_DEPTH); retry after Retry-After',
    );
    const batchShed = await built.http({
      method: 'POST',
      url: '/predict_batch',
      payload: { texts: ['a', 'b'] },
    });
    t.is(batchShed.statusCode, 503);
    const infer = await built.http({
      method: 'POST',
      url: `/v2/models/${name}/infer`,
      payload: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'] }] },
    });
    t.is(infer.statusCode, 503);
    t.is(infer.headers['retry-after'], '2');
    t.like(infer.json(), { code: 'SVC_ERR_OVERLOADED' }, 'in the protocol body shape');
    t.regex(infer.json().error, /inference queue holds 100 texts/);

    const ready = await built.http({ url: '/health/ready' });
    t.is(ready.statusCode, 503);
    t.is(ready.headers['retry-after'], '2');
    t.deepEqual(ready.json(), { status: 'SERVICE_IS_OVERLOADED', reason: 'overloaded' });
    const v2Ready = await built.http({ url: '/v2/health/ready' });
    t.is(v2Ready.statusCode, 503);
    t.deepEqual(v2Ready.json(), { ready: false });

    const notShed = [
      '/health/live',
      '/health/startup',
      '/health',
      '/metrics',
      '/model_status',
      '/v2',
      '/v2/health/live',
      `/v2/models/${name}`,
    ];
    for (const url of notShed) {
      const res = await built.http({ url, headers: { 'x-api-key': ADMIN } });
      t.is(res.statusCode, 200, `${url} is not shed`);
    }
    const health = await built.http({ url: '/health', headers: { 'x-api-key': ADMIN } });
    t.like(health.json().shedding, {
      overloaded: { reason: 'queue_depth', value: 100, limit: 50 },
      queue_depth: 100,
    });

    release();
    t.is((await busy).statusCode, 200, 'admitted work is still scored');
    t.is((await batch).statusCode, 200);
    t.is((await built.http({ url: '/health/ready' })).statusCode, 200, 'ready again');
    const again = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'after the queue drained' },
    });
    t.is(again.statusCode, 200);

    const samples = parseSamples(
      (await built.http({ url: '/metrics', headers: { 'x-api-key': ADMIN } })).body,
    );
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'queue_depth' }), 3);
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'queue_full' }), 0);
    t.false(
      built.sink.lines.some((l) => l.event === 'http.error'),
      'shedding is not logged as a server error',
    );
  } finally {
    await built.app.close();
  }
});

test('shedding: of a burst of shed requests one is logged in full and the rest in one http.shed_summary line; all are counted', async (t) => {
  const built = await buildTestApp({
    MAX_QUEUE_DEPTH: '100',
    SHED_QUEUE_DEPTH: '50',
    SHED_HOLD_MS: '0',
    ADMIN_API_KEYS: ADMIN,
  });
  const { release, busy, batch } = await fillQueue(built);
  let closed = false;
  try {
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        built.http({ method: 'POST', url: '/predict', payload: { text: `shed ${i}` } }),
      ),
    );
    t.deepEqual(
      replies.map((r) => r.statusCode),
      [503, 503, 503, 503, 503],
    );
    const samples = parseSamples(
      (await built.http({ url: '/metrics', headers: { 'x-api-key': ADMIN } })).body,
    );
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'queue_depth' }), 5);
    release();
    await Promise.all([busy, batch]);
    await built.app.close();
    closed = true;
    const shedLines = built.sink.lines.filter(
      (l) => l.event === 'http.request' && (l.httpRequest as { status: number }).status === 503,
    );
    t.is(shedLines.length, 1, 'one shed request logged in full');
    const ids = replies.map((r) => r.headers['x-request-id']);
    t.true(ids.includes(shedLines[0]?.request_id as string), 'with its request id');
    const summaries = built.sink.lines.filter((l) => l.event === 'http.shed_summary');
    t.deepEqual(
      summaries.map((l) => [l.shed, l.byReason]),
      [[4, { queue_depth: 4 }]],
    );
  } finally {
    if (!closed) {
      release();
      await built.app.close();
    }
  }
});

test('shedding: by default 64 queued texts shed, before the batcher would refuse (capped at MAX_QUEUE_DEPTH)', async (t) => {
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100' });
  try {
    t.is(built.config.shedding.queueDepth, 64);
    const { release, busy, batch } = await fillQueue(built);
    const shed = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'one more' },
    });
    t.is(shed.statusCode, 503);
    t.regex(shed.json().error.message, /expected fewer than 64 \(SHED_QUEUE_DEPTH\)/);
    release();
    await Promise.all([busy, batch]);
  } finally {
    await built.app.close();
  }
});

const PREDICT = (text: string) => {
  const body = JSON.stringify({ text });
  return `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

test('shedding: a shed request’s keep-alive connection is not read for SHED_HOLD_MS/2 to SHED_HOLD_MS; its next request waits unlost while other connections are served', async (t) => {
  const HOLD_MS = 400;
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100', SHED_HOLD_MS: String(HOLD_MS) });
  const port = Number(new URL(await built.listen()).port);
  const { release, busy, batch } = await fillQueue(built);
  const shed = await rawExchange(port, PREDICT('one more'));
  const shedAt = performance.now();
  try {
    t.is(shed.response?.status, 503);
    t.is(JSON.parse(shed.response?.body ?? '{}').error.code, 'SVC_ERR_OVERLOADED');
    await new Promise((r) => setTimeout(r, 20));
    t.is(built.connections.heldBack, 1);
    release();
    await Promise.all([busy, batch]);

    // The client retries at once on the same connection, ignoring Retry-After.
    const retry = exchangeOn(shed.socket, PREDICT('retried at once'), 5000).then((x) => ({
      ...x,
      at: performance.now(),
    }));
    const other = await built.http({ method: 'POST', url: '/predict', payload: { text: 'other' } });
    const otherAt = performance.now();
    t.is(other.statusCode, 200, 'a new connection is served meanwhile');
    const held = await retry;
    t.is(held.response?.status, 200, 'the held request was read after the hold, not lost');
    t.true(otherAt < held.at, 'the other connection was answered first');
    t.true(
      held.at - shedAt >= HOLD_MS / 2 - 20,
      `answered ${Math.round(held.at - shedAt)} ms after the 503; expected at least half the hold`,
    );
    t.is(built.connections.heldBack, 0);
  } finally {
    shed.socket.destroy();
    await built.app.close();
  }
});

test('shedding: connections shed in one burst are released spread over SHED_HOLD_MS/2 to SHED_HOLD_MS, not in one wave', async (t) => {
  const HOLD_MS = 600;
  const N = 12;
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100', SHED_HOLD_MS: String(HOLD_MS) });
  const port = Number(new URL(await built.listen()).port);
  const { release, busy, batch } = await fillQueue(built);
  const sheds = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      rawExchange(port, PREDICT(`burst ${i}`)).then((x) => ({ ...x, at: performance.now() })),
    ),
  );
  try {
    t.true(sheds.every((x) => x.response?.status === 503));
    release();
    await Promise.all([busy, batch]);
    // Every client retries at once on its own connection; each waits out its own hold.
    const answeredMs = await Promise.all(
      sheds.map((x, i) =>
        exchangeOn(x.socket, PREDICT(`retry ${i}`), 5000).then((r) => {
          t.is(r.response?.status, 200, 'read after its hold, not lost');
          return performance.now() - x.at;
        }),
      ),
    );
    const first = Math.min(...answeredMs);
    const last = Math.max(...answeredMs);
    t.log(`answered ${Math.round(first)}–${Math.round(last)} ms after their 503s`);
    t.true(first >= HOLD_MS / 2 - 20, `first answered after ${Math.round(first)} ms`);
    t.true(last <= HOLD_MS + 300, `last answered after ${Math.round(last)} ms`);
    // Twelve uniform draws over 300 ms span under 100 ms with probability ~1e-4.
    t.true(last - first >= 100, `released within ${Math.round(last - first)} ms of each other`);
  } finally {
    for (const x of sheds) x.socket.destroy();
    await built.app.close();
  }
});

test('shedding: SHED_HOLD_MS=0 reads the next request on a shed connection at once', async (t) => {
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100', SHED_HOLD_MS: '0' });
  const port = Number(new URL(await built.listen()).port);
  const { release, busy, batch } = await fillQueue(built);
  const shed = await rawExchange(port, PREDICT('one more'));
  try {
    t.is(shed.response?.status, 503);
    await new Promise((r) => setTimeout(r, 20));
    t.is(built.connections.heldBack, 0);
    const again = await exchangeOn(shed.socket, PREDICT('again'), 5000);
    t.is(again.response?.status, 503, 'read and refused at once: the queue is still full');
  } finally {
    release();
    await Promise.all([busy, batch]);
    shed.socket.destroy();
    await built.app.close();
  }
});

test('shedding: a drain releases held connections at once, so a request waiting in one is refused with SVC_ERR_DRAINING, not lost', async (t) => {
  const built = await buildTestApp({
    MAX_QUEUE_DEPTH: '100',
    SHED_HOLD_MS: '10000',
    KEEP_ALIVE_TIMEOUT_MS: '15000',
  });
  const port = Number(new URL(await built.listen()).port);
  const { release, busy, batch } = await fillQueue(built);
  const shed = await rawExchange(port, PREDICT('one more'));
  try {
    t.is(shed.response?.status, 503);
    const waiting = exchangeOn(shed.socket, PREDICT('waiting in the socket'), 5000);
    await new Promise((r) => setTimeout(r, 50));
    t.is(built.connections.heldBack, 1);
    built.lifecycle.beginDrain();
    built.lifecycle.beginClosing();
    built.connections.markDraining();
    const refused = await waiting;
    t.is(refused.response?.status, 503);
    t.is(JSON.parse(refused.response?.body ?? '{}').error.code, 'SVC_ERR_DRAINING');
    t.is(refused.response?.headers.connection, 'close');
    t.is(built.connections.heldBack, 0);
  } finally {
    release();
    await Promise.all([busy, batch]);
    shed.socket.destroy();
    await built.app.close();
  }
});

test('shedding: shed and drain 503s to an allowed origin carry CORS and the security headers, so a browser app can read their Retry-After', async (t) => {
  const origin = 'https://app.example.com';
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100', CORS_ORIGINS: origin });
  try {
    const ok = await built.http({ url: '/emotions', headers: { origin } });
    const { release, busy, batch } = await fillQueue(built);
    const refusals = [];
    try {
      for (const url of ['/predict', `/v2/models/${name}/infer`]) {
        refusals.push({
          what: `shed ${url}`,
          res: await built.http({ method: 'POST', url, headers: { origin }, payload: {} }),
        });
      }
    } finally {
      release();
      await Promise.all([busy, batch]);
    }
    built.lifecycle.beginDrain();
    built.lifecycle.beginClosing();
    refusals.push({
      what: 'drain /predict',
      res: await built.http({
        method: 'POST',
        url: '/predict',
        headers: { origin },
        payload: { text: 'x' },
      }),
    });
    for (const { what, res } of refusals) {
      t.is(res.statusCode, 503, what);
      t.is(res.headers['retry-after'] === undefined, false, `${what}: Retry-After`);
      t.is(res.headers['access-control-allow-origin'], origin, `${what}: ACAO`);
      t.regex(
        String(res.headers['access-control-expose-headers']),
        /retry-after/,
        `${what}: exposed`,
      );
      for (const h of [
        'content-security-policy',
        'x-content-type-options',
        'strict-transport-security',
        'cache-control',
      ]) {
        t.is(res.headers[h], ok.headers[h], `${what}: ${h} as on a 200`);
      }
    }
  } finally {
    await built.app.close();
  }
});
