/**
 * Open Inference Protocol v2 REST routes, in-process (fastify inject) over the tiny ONNX model.
 * Request bodies follow the protocol's JSON examples (open-inference-protocol.md §4).
 */
import anyTest, { type TestFn } from 'ava';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

const test = anyTest as TestFn<TestApp>;

test.beforeEach(async (t) => {
  t.context = await buildTestApp({ MAX_BATCH_SIZE: '5', MAX_INPUT_LENGTH: '40' });
});

test.afterEach.always(async (t) => {
  await t.context.app.close();
});

const name = 'tiny-test-model';
const inferUrl = `/v2/models/${name}/infer`;

/** §4.4: BYTES `text` [2] -> FP32 `scores` [2, 7]. */
const example = {
  id: 'req-1',
  inputs: [
    {
      name: 'text',
      shape: [2],
      datatype: 'BYTES',
      data: ['great product, works well', 'support never answered'],
    },
  ],
  outputs: [{ name: 'scores' }],
};

test('oip: the spec example infers FP32 scores [2, 7] matching the model and echoes the id', async (t) => {
  const res = await t.context.app.inject({ method: 'POST', url: inferUrl, payload: example });
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  t.is(body.model_name, name);
  t.is(body.model_version, '0.0.1');
  t.is(body.id, 'req-1');
  t.is(body.outputs.length, 1, 'only the requested output');
  const [scores] = body.outputs;
  t.like(scores, { name: 'scores', datatype: 'FP32', shape: [2, 7] });
  t.is(scores.parameters.labels, t.context.recording.labels.join(','));
  const expected = await t.context.recording.predict(example.inputs[0]?.data ?? []);
  t.deepEqual(scores.data, expected.flat(), 'flat, row-major, row i is text i');
});

test('oip: without "outputs" both scores and predicted come back; predicted is one BYTES element per text', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: inferUrl,
    payload: {
      inputs: [{ name: 'text', shape: [3, 1], datatype: 'BYTES', data: [['a'], ['b'], ['c']] }],
    },
  });
  t.is(res.statusCode, 200);
  const body = res.json();
  t.is(body.id, res.headers['x-request-id'], 'no id given: the request id stands in');
  t.deepEqual(
    body.outputs.map((o: { name: string }) => o.name),
    ['scores', 'predicted'],
  );
  const predicted = body.outputs[1];
  t.like(predicted, { datatype: 'BYTES', shape: [3] });
  const labels = new Set(t.context.recording.labels);
  for (const element of predicted.data as string[]) {
    t.true(
      element.split(',').every((l) => labels.has(l)),
      element,
    );
  }
});

test('oip: the versioned path answers for the loaded version', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: `/v2/models/${name}/versions/0.0.1/infer`,
    payload: example,
  });
  t.is(res.statusCode, 200);
});

const badRequests: { name: string; body: unknown; field: string; message: RegExp }[] = [
  {
    name: 'shape [3] with 2 elements',
    body: { inputs: [{ name: 'text', shape: [3], datatype: 'BYTES', data: ['a', 'b'] }] },
    field: 'inputs[0].data',
    message: /has 2 elements but shape \[3\] needs 3/,
  },
  {
    name: 'the spec example 4.1 (UINT32 and BOOL inputs)',
    body: {
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] },
      ],
      outputs: [{ name: 'output0' }],
    },
    field: 'inputs',
    message: /exactly one tensor, "text"/,
  },
  {
    name: 'datatype FP32',
    body: { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: [1.5] }] },
    field: 'inputs[0].datatype',
    message: /"FP32"; expected "BYTES"/,
  },
  {
    name: 'an unknown input name',
    body: { inputs: [{ name: 'input0', shape: [1], datatype: 'BYTES', data: ['x'] }] },
    field: 'inputs[0].name',
    message: /"input0"; expected "text"/,
  },
  {
    name: 'a rank-3 shape',
    body: { inputs: [{ name: 'text', shape: [1, 1, 1], datatype: 'BYTES', data: ['x'] }] },
    field: 'inputs[0].shape',
    message: /expected \[n\] or \[n, 1\]/,
  },
  {
    name: 'more texts than MAX_BATCH_SIZE',
    body: {
      inputs: [
        { name: 'text', shape: [6], datatype: 'BYTES', data: ['a', 'b', 'c', 'd', 'e', 'f'] },
      ],
    },
    field: 'inputs[0].shape',
    message: /n in 1\.\.5/,
  },
  {
    name: 'a number among the texts',
    body: { inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['ok', 7] }] },
    field: 'inputs[0].data[1]',
    message: /expected a string/,
  },
  {
    name: 'a text over MAX_INPUT_LENGTH',
    body: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'.repeat(41)] }] },
    field: 'inputs[0].data[0]',
    message: /41 code points; expected at most 40/,
  },
  {
    name: 'an unknown requested output',
    body: { ...example, outputs: [{ name: 'output0' }] },
    field: 'outputs[0].name',
    message: /"output0"; expected one of "scores", "predicted"/,
  },
  {
    name: 'a numeric id',
    body: { ...example, id: 42 },
    field: 'id',
    message: /expected a string/,
  },
  {
    name: 'base64 content',
    body: {
      inputs: [
        {
          name: 'text',
          shape: [1],
          datatype: 'BYTES',
          parameters: { content_type: 'base64' },
          data: ['aGk='],
        },
      ],
    },
    field: 'inputs[0].parameters.content_type',
    message: /"base64"; expected "str"/,
  },
];

for (const b of badRequests) {
  test(`oip: ${b.name} gets 400 with the protocol's {"error": ...} body naming the field`, async (t) => {
    const res = await t.context.app.inject({
      method: 'POST',
      url: inferUrl,
      payload: b.body as object,
    });
    t.is(res.statusCode, 400);
    const body = res.json();
    t.is(typeof body.error, 'string');
    t.regex(body.error, b.message);
    t.is(body.code, 'SVC_ERR_INPUT_INVALID');
    t.is(body.field, b.field);
    t.deepEqual(t.context.recording.runs, [], 'nothing reached the model');
  });
}

test('oip: data nested 8,000 deep (a 16 KB body) is 400 SVC_ERR_INPUT_INVALID naming inputs[0].data[0][0], not a 500 (issue 16, finding 8)', async (t) => {
  const data = `${'['.repeat(8000)}"x"${']'.repeat(8000)}`;
  const res = await t.context.app.inject({
    method: 'POST',
    url: inferUrl,
    headers: { 'content-type': 'application/json' },
    payload: `{"inputs":[{"name":"text","datatype":"BYTES","shape":[1],"data":${data}}]}`,
  });
  t.is(res.statusCode, 400);
  t.like(res.json(), { code: 'SVC_ERR_INPUT_INVALID', field: 'inputs[0].data[0][0]' });
  t.deepEqual(
    t.context.sink.lines.filter((l) => l.severity === 'ERROR'),
    [],
    'no ERROR line, no stack: a client mistake',
  );
  const counted = await t.context.metrics.own.getSingleMetric('http_requests_total')?.get();
  t.deepEqual(
    counted?.values.map((v) => v.labels.status_class),
    ['4xx'],
    'counted as a 4xx, so it burns no error budget',
  );
});

test('oip: invalid JSON gets 400 with the protocol error body', async (t) => {
  const res = await t.context.app.inject({
    method: 'POST',
    url: inferUrl,
    headers: { 'content-type': 'application/json' },
    payload: '{"inputs": [',
  });
  t.is(res.statusCode, 400);
  t.is(typeof res.json().error, 'string');
  t.is(res.json().code, 'SVC_ERR_BODY_INVALID_JSON');
});

const unknownModel = [
  {
    method: 'POST' as const,
    url: '/v2/models/no-such-model/infer',
    message: /model "no-such-model" is not loaded/,
  },
  {
    method: 'GET' as const,
    url: '/v2/models/no-such-model',
    message: /model "no-such-model" is not loaded/,
  },
  {
    method: 'GET' as const,
    url: '/v2/models/no-such-model/ready',
    message: /model "no-such-model" is not loaded/,
  },
  {
    method: 'GET' as const,
    url: `/v2/models/${name}/versions/9.9.9`,
    message: /version "9.9.9" of model/,
  },
  {
    method: 'POST' as const,
    url: `/v2/models/${name}/versions/9.9.9/infer`,
    message: /version "9.9.9" of model/,
  },
];
for (const u of unknownModel) {
  test(`oip: ${u.method} ${u.url} gets 404 {"error": ...}`, async (t) => {
    const res = await t.context.app.inject({
      method: u.method,
      url: u.url,
      ...(u.method === 'POST' ? { payload: example } : {}),
    });
    t.is(res.statusCode, 404);
    t.regex(res.json().error, u.message);
    t.is(res.json().code, 'SVC_ERR_MODEL_NOT_FOUND');
  });
}

test('oip: server metadata names runwatch and lists only implemented extensions', async (t) => {
  const res = await t.context.app.inject({ url: '/v2' });
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { name: 'runwatch', version: '9.9.9', extensions: ['model_list'] });
});

test('oip: model metadata describes the BYTES input, the FP32 [-1, 7] scores and the labels', async (t) => {
  for (const url of [`/v2/models/${name}`, `/v2/models/${name}/versions/0.0.1`]) {
    const res = await t.context.app.inject({ url });
    t.is(res.statusCode, 200);
    t.deepEqual(res.json(), {
      name,
      versions: ['0.0.1'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      outputs: [
        { name: 'scores', datatype: 'FP32', shape: [-1, 7] },
        { name: 'predicted', datatype: 'BYTES', shape: [-1] },
      ],
      properties: { labels: t.context.recording.labels.join(',') },
    });
  }
});

test('oip: /v2/models (extension) lists the loaded model', async (t) => {
  const res = await t.context.app.inject({ url: '/v2/models' });
  t.deepEqual(res.json(), {
    models: [{ name, versions: ['0.0.1'], platform: 'onnx_onnxv1', ready: true }],
  });
});

test('oip: health and model readiness are 200 when ready, 503 while draining, and live stays 200', async (t) => {
  const get = (url: string) => t.context.app.inject({ url });
  t.deepEqual((await get('/v2/health/live')).json(), { live: true });
  t.deepEqual((await get('/v2/health/ready')).json(), { ready: true });
  t.deepEqual((await get(`/v2/models/${name}/ready`)).json(), { name, ready: true });
  t.is((await get(`/v2/models/${name}/versions/0.0.1/ready`)).statusCode, 200);

  t.context.lifecycle.beginClosing();
  t.is((await get('/v2/health/live')).statusCode, 200);
  const ready = await get('/v2/health/ready');
  t.is(ready.statusCode, 503);
  t.deepEqual(ready.json(), { ready: false });
  t.is(ready.headers['retry-after'], '1');
  const modelReady = await get(`/v2/models/${name}/ready`);
  t.is(modelReady.statusCode, 503);
  t.deepEqual(modelReady.json(), { name, ready: false });
  const infer = await t.context.app.inject({ method: 'POST', url: inferUrl, payload: example });
  t.is(infer.statusCode, 503);
  t.is(infer.json().code, 'SVC_ERR_DRAINING');
  t.is(typeof infer.json().error, 'string', 'the drain refusal uses the protocol body too');
});

test('oip: an unknown /v2 path gets 404 in the protocol body', async (t) => {
  const res = await t.context.app.inject({ url: '/v2/repository/index' });
  t.is(res.statusCode, 404);
  t.is(typeof res.json().error, 'string');
});
