/**
 * The HTTP surface in-process (fastify inject), over the real ONNX runtime on the tiny model
 * package. Sockets and signals are covered by drain.process.test.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../service/app.js';
import { loadServiceConfig } from '../../service/config/index.js';
import { serveModel } from '../../service/inference/served-model.js';
import { createHealthMonitor } from '../../service/lifecycle/health.js';
import { createLifecycle, type Lifecycle } from '../../service/lifecycle/state.js';
import type { Model } from '../../service/model/model.js';
import { loadModelPackage } from '../../service/model/onnx-model.js';
import { createPressureMonitor } from '../../service/protection/pressure.js';
import { type Sink, sinkLogger } from '../helpers/log-sink.js';
import { writeTinyModelPackage } from '../helpers/tiny-model.js';

interface Ctx {
  app: FastifyInstance;
  lifecycle: Lifecycle;
  sink: Sink;
  model: Model;
}
const test = anyTest as TestFn<Ctx>;

let modelPromise: Promise<Model> | null = null;
const sharedModel = () => {
  modelPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runwatch-app-'));
    await writeTinyModelPackage(dir);
    return loadModelPackage(dir);
  })();
  return modelPromise;
};

test.beforeEach(async (t) => {
  const { config } = loadServiceConfig({
    MAX_INPUT_LENGTH: '20',
    MAX_BATCH_SIZE: '5',
    GOOGLE_CLOUD_PROJECT: 'proj',
  });
  const sink = sinkLogger('debug');
  const lifecycle = createLifecycle();
  const model = await sharedModel();
  const health = createHealthMonitor({
    checks: [],
    intervalMs: 1000,
    timeoutMs: 100,
    log: sink.log,
  });
  await health.runNow();
  const served = serveModel(model, config.inference, {
    loadedAt: new Date(),
    loadMs: 1,
    warmUpMs: 1,
  });
  const { app } = buildApp({
    config,
    log: sink.log,
    lifecycle,
    health,
    pressure: createPressureMonitor(config.shedding, () => served.batcher.queueDepth),
    getServed: () => served,
    serviceVersion: '9.9.9',
    instanceId: 'test-rev-00000001',
  });
  lifecycle.markReady();
  t.context = { app, lifecycle, sink, model };
});

test.afterEach.always(async (t) => {
  await t.context.app.close();
});

test('predict: returns the label, sorted scores, predicted labels and the request id', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: "I'm so happy" },
  });
  t.is(res.statusCode, 200);
  const body = res.json();
  t.is(body.text, "I'm so happy", 'nothing is stripped, apostrophes included');
  t.is(body.emotions.length, 7);
  t.true(
    body.emotions.every(
      (e: { confidence: number }, i: number, a: { confidence: number }[]) =>
        i === 0 || (a[i - 1]?.confidence ?? 1) >= e.confidence,
    ),
  );
  t.is(body.emotion, body.emotions[0].emotion);
  t.is(body.confidence, body.emotions[0].confidence);
  t.true(Array.isArray(body.predicted) && body.predicted.length >= 1);
  t.is(body.request_id, res.headers['x-request-id']);
  t.is(body.model_version, t.context.model.version);
});

test('predict: matches the model scores for the same text', async (t) => {
  const [scores] = await t.context.model.predict(['hello there']);
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: 'hello there' },
  });
  const byLabel = Object.fromEntries(
    res
      .json()
      .emotions.map((e: { emotion: string; confidence: number }) => [e.emotion, e.confidence]),
  );
  for (const [i, l] of t.context.model.labels.entries()) t.is(byLabel[l], scores?.[i]);
});

const badPredict = [
  {
    name: 'a missing text',
    payload: {},
    field: 'text',
    message: 'field "text" is missing; expected it to be present',
  },
  {
    name: 'a number',
    payload: { text: 5 },
    field: 'text',
    message: 'field "text" is a number; expected a string',
  },
  {
    name: 'null',
    payload: { text: null },
    field: 'text',
    message: 'field "text" is null; expected a string',
  },
  {
    name: 'an empty string',
    payload: { text: '' },
    field: 'text',
    message: 'field "text" is empty; expected non-empty text',
  },
  {
    name: 'whitespace only',
    payload: { text: ' \n\t ' },
    field: 'text',
    message: 'field "text" is whitespace only; expected text with at least one non-space character',
  },
  {
    name: 'text over MAX_INPUT_LENGTH code points',
    payload: { text: 'x'.repeat(21) },
    field: 'text',
    message: 'field "text" has 21 code points; expected at most 20 (text is never truncated)',
  },
];
for (const b of badPredict) {
  test(`predict: ${b.name} gets 400 SVC_ERR_INPUT_INVALID naming the field`, async (t) => {
    const res = await t.context.app.inject({ method: 'POST', url: '/predict', payload: b.payload });
    t.is(res.statusCode, 400);
    const { error } = res.json();
    t.is(error.code, 'SVC_ERR_INPUT_INVALID');
    t.is(error.field, b.field);
    t.is(error.message, b.message);
    t.is(error.request_id, res.headers['x-request-id']);
  });
}

test('predict: length counts code points, so 20 emoji fit a 20 limit', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: '😀'.repeat(20) },
  });
  t.is(res.statusCode, 200);
});

test('predict: the input text never reaches the logs, only its length and hash', async (t) => {
  const secret = 'my diary secret';
  await t.context.app.inject({ method: 'POST', url: '/predict', payload: { text: secret } });
  await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: `${secret}${'!'.repeat(30)}` },
  });
  const all = JSON.stringify(t.context.sink.lines);
  t.false(all.includes('diary'));
  const line = t.context.sink.lines.find(
    (l) => l.event === 'http.request' && (l.httpRequest as { status: number }).status === 200,
  );
  t.deepEqual(Object.keys((line?.inputs as object[] | undefined)?.[0] ?? {}), ['length', 'sha256']);
});

test('predict_batch: valid items are scored and bad items get their own error, with 200', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict_batch',
    payload: { texts: ['good day', 7, '  ', 'fine'] },
  });
  t.is(res.statusCode, 200);
  const { results, request_id } = res.json();
  t.is(request_id, res.headers['x-request-id']);
  t.deepEqual(
    results.map((r: { index: number }) => r.index),
    [0, 1, 2, 3],
  );
  t.is(results[0].emotions.length, 7);
  t.deepEqual(results[1].error, {
    code: 'SVC_ERR_INPUT_INVALID',
    message: 'field "texts[1]" is a number; expected a string',
    field: 'texts[1]',
  });
  t.is(results[2].error.field, 'texts[2]');
  t.truthy(results[3].predicted);
});

const badBatch = [
  {
    name: 'texts not an array',
    payload: { texts: 'hello' },
    message: 'field "texts" has the wrong type; expected array',
  },
  {
    name: 'an empty texts array',
    payload: { texts: [] },
    message: 'field "texts" is empty; expected at least 1 item(s)',
  },
  {
    name: 'more texts than MAX_BATCH_SIZE',
    payload: { texts: ['a', 'b', 'c', 'd', 'e', 'f'] },
    message: 'field "texts" has too many items; expected at most 5',
  },
  {
    name: 'no valid item at all',
    payload: { texts: [1, 2] },
    message:
      'no valid text in "texts"; first problem: field "texts[0]" is a number; expected a string',
  },
];
for (const b of badBatch) {
  test(`predict_batch: ${b.name} is an envelope error, 400`, async (t) => {
    const res = await t.context.app.inject({
      method: 'POST',
      url: '/predict_batch',
      payload: b.payload,
    });
    t.is(res.statusCode, 400);
    t.is(res.json().error.code, 'SVC_ERR_INPUT_INVALID');
    t.is(res.json().error.message, b.message);
  });
}

test('errors: invalid JSON gets 400 SVC_ERR_BODY_INVALID_JSON', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'application/json' },
    payload: '{"text": ',
  });
  t.is(res.statusCode, 400);
  t.is(res.json().error.code, 'SVC_ERR_BODY_INVALID_JSON');
});

test('errors: a non-JSON content type gets 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  });
  t.is(res.statusCode, 415);
  t.is(res.json().error.code, 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE');
});

test('errors: an unknown route gets 404 SVC_ERR_NOT_FOUND in the standard body', async (t) => {
  const res = await t.context.app.inject({ method: 'GET', url: '/healthz' });
  t.is(res.statusCode, 404);
  t.deepEqual(Object.keys(res.json().error).sort(), ['code', 'message', 'request_id']);
  t.is(res.json().error.code, 'SVC_ERR_NOT_FOUND');
});

test('request id: a valid X-Request-Id is kept, an invalid one replaced', async (t) => {
  const kept = await t.context.app.inject({
    url: '/emotions',
    headers: { 'x-request-id': 'abc-123.DEF' },
  });
  t.is(kept.headers['x-request-id'], 'abc-123.DEF');
  const replaced = await t.context.app.inject({
    url: '/emotions',
    headers: { 'x-request-id': 'bad id with spaces' },
  });
  t.regex(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  t.regex(String(replaced.headers['x-request-duration']), /^\d+\.\d{4}$/);
});

test('logs: request lines carry httpRequest and the Cloud Logging trace from X-Cloud-Trace-Context', async (t) => {
  await t.context.app.inject({
    url: '/emotions',
    headers: {
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
      'user-agent': 'ava',
    },
  });
  const line = t.context.sink.lines.find((l) => l.event === 'http.request');
  t.is(line?.severity, 'INFO');
  t.is(
    line?.['logging.googleapis.com/trace'],
    'projects/proj/traces/105445aa7843bc8bf206b12000100000',
  );
  t.like(line?.httpRequest as object, {
    requestMethod: 'GET',
    requestUrl: '/emotions',
    status: 200,
    userAgent: 'ava',
  });
  t.regex((line?.httpRequest as { latency: string } | undefined)?.latency ?? '', /^\d+\.\d+s$/);
  t.is(typeof line?.time, 'string');
  t.is(typeof line?.request_id, 'string');
});

test('emotions: lists the loaded model labels', async (t) => {
  const res = await t.context.app.inject({ url: '/emotions' });
  t.deepEqual(res.json(), {
    emotions: [...t.context.model.labels],
    count: t.context.model.labels.length,
  });
});

test('root: reports service, version and model', async (t) => {
  const body = (await t.context.app.inject({ url: '/' })).json();
  t.like(body, {
    service: 'runwatch',
    version: '9.9.9',
    status: 'SERVICE_IS_READY',
    model: { name: t.context.model.name },
  });
});

test('health: the body has status, checks, uptime, versions and in-flight count', async (t) => {
  const res = await t.context.app.inject({ url: '/health' });
  t.is(res.statusCode, 200);
  t.deepEqual(Object.keys(res.json()).sort(), [
    'checks',
    'in_flight',
    'shedding',
    'status',
    'uptime_s',
    'version',
  ]);
  t.is(res.json().status, 'healthy');
});

test('drain: while closing, inference gets 503 SVC_ERR_DRAINING with Retry-After but probes answer', async (t) => {
  t.context.lifecycle.beginClosing();
  const res = await t.context.app.inject({
    method: 'POST',
    url: '/predict',
    payload: { text: 'late' },
  });
  t.is(res.statusCode, 503);
  t.is(res.json().error.code, 'SVC_ERR_DRAINING');
  t.is(res.headers['retry-after'], '1');
  t.is((await t.context.app.inject({ url: '/health/live' })).statusCode, 200);
  const ready = await t.context.app.inject({ url: '/health/ready' });
  t.is(ready.statusCode, 503);
  t.is(ready.json().status, 'SERVICE_IS_DRAINING');
  t.is((await t.context.app.inject({ url: '/health' })).json().status, 'draining');
  t.is(t.context.lifecycle.refused, 1);
});
