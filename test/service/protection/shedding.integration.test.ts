/**
 * Load shedding by queue depth through the real app over real sockets, over the tiny ONNX model:
 * inference routes are refused before their body is read, readiness fails, and probes, /metrics,
 * admin and OIP metadata routes still answer. The event-loop measures are tested with a real
 * blocked loop in test/service/shedding.process.test.ts.
 */
import test from 'ava';
import { parseSamples, sampleValue } from '../../helpers/prom-text.js';
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
    t.is(shed.headers['retry-after'], '1');
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
    t.is(infer.headers['retry-after'], '1');
    t.like(infer.json(), { code: 'SVC_ERR_OVERLOADED' }, 'in the protocol body shape');
    t.regex(infer.json().error, /inference queue holds 100 texts/);

    const ready = await built.http({ url: '/health/ready' });
    t.is(ready.statusCode, 503);
    t.is(ready.headers['retry-after'], '1');
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
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'queue_full' }), undefined);
    t.false(
      built.sink.lines.some((l) => l.event === 'http.error'),
      'shedding is not logged as a server error',
    );
  } finally {
    await built.app.close();
  }
});

test('shedding: by default only a full queue sheds, before the batcher would refuse it', async (t) => {
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100' });
  try {
    t.is(built.config.shedding.queueDepth, 100);
    const { release, busy, batch } = await fillQueue(built);
    const shed = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'one more' },
    });
    t.is(shed.statusCode, 503);
    t.regex(shed.json().error.message, /expected fewer than 100 \(SHED_QUEUE_DEPTH\)/);
    release();
    await Promise.all([busy, batch]);
  } finally {
    await built.app.close();
  }
});
