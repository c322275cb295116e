/**
 * Micro-batching through the real HTTP server on port 0 (undici clients, real sockets), over the
 * tiny ONNX model wrapped in the RecordingModel test wrapper.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import anyTest, { type TestFn } from 'ava';
import { Agent, request } from 'undici';
import { buildTestApp, fillQueue, type TestApp } from '../../helpers/test-app.js';

const execFileAsync = promisify(execFile);
const BURST_CLIENT = fileURLToPath(new URL('../../fixtures/burst-client.js', import.meta.url));

const test = anyTest as TestFn<TestApp & { url: string; agent: Agent }>;

test.beforeEach(async (t) => {
  const built = await buildTestApp({ ADMIN_API_KEYS: 'admin-key-0123456789abcdef' });
  const url = await built.listen();
  t.context = { ...built, url, agent: new Agent({ connections: 128 }) };
});

test.afterEach.always(async (t) => {
  await t.context.agent.close();
  await t.context.app.close();
});

function predict(
  t: { context: { url: string; agent: Agent } },
  text: string,
  signal?: AbortSignal,
) {
  return request(`${t.context.url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    dispatcher: t.context.agent,
    ...(signal ? { signal } : {}),
  });
}

test('batching: under concurrency, runs are fewer than requests (recording wrapper)', async (t) => {
  const n = 48;
  // The client runs in its own process, as real clients do: in-process, its writes would take
  // turns with the server on one event loop and arrive one per turn.
  const { stdout } = await execFileAsync(process.execPath, [
    BURST_CLIENT,
    t.context.url,
    String(n),
  ]);
  const { statuses } = JSON.parse(stdout) as { statuses: number[] };
  t.deepEqual(statuses, Array(n).fill(200));
  const runs = t.context.recording.runs;
  t.log(`${n} requests in ${runs.length} runs: sizes ${runs.map((r) => r.length).join(', ')}`);
  t.true(runs.length < n, `${runs.length} runs for ${n} requests`);
  t.is(runs.flat().length, n);
  t.true(runs.every((r) => r.length <= t.context.config.inference.maxBatchSize));
});

test("batching: an aborted client's text is absent from the run input (recording wrapper)", async (t) => {
  const { recording, served } = t.context;
  const release = recording.holdOn('hold the model');
  const held = predict(t, 'hold the model');
  await recording.started('hold the model');
  const kept = predict(t, 'a patient client');
  const controller = new AbortController();
  const aborted = predict(t, 'a client that gives up', controller.signal);
  while (served.batcher.queueDepth < 3) await new Promise((r) => setTimeout(r, 2));
  controller.abort();
  const outcome = await aborted.then(
    () => 'answered',
    (e: unknown) => (e as { name?: string }).name,
  );
  t.is(outcome, 'AbortError');
  // The server sees the socket close a moment later; the run after the held one drops the text.
  while (t.context.connections.inFlight > 2) await new Promise((r) => setTimeout(r, 2));
  release();
  t.is((await held).statusCode, 200);
  t.is((await kept).statusCode, 200);
  t.deepEqual(recording.runs, [['hold the model'], ['a patient client']]);
  t.false(recording.texts.includes('a client that gives up'));
  t.is(served.batcher.stats().textsDropped, 1);
});

test('batching: a full queue answers 503 SVC_ERR_OVERLOADED with Retry-After and no text is lost', async (t) => {
  // SHED_QUEUE_DEPTH=0: the batcher's own refusal, not shedding before the body is read.
  const built = await buildTestApp({
    MAX_QUEUE_DEPTH: '100',
    MAX_BATCH_SIZE: '100',
    MAX_BATCH_SIZE_INFER: '32',
    SHED_QUEUE_DEPTH: '0',
  });
  try {
    const { release, busy, batch: full } = await fillQueue(built);
    const shed = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'one more' },
    });
    t.is(shed.statusCode, 503);
    t.is(shed.headers['retry-after'], '2');
    t.is(shed.json().error.code, 'SVC_ERR_OVERLOADED');
    t.regex(shed.json().error.message, /holds 100 of at most 100 texts/);
    release();
    t.is((await busy).statusCode, 200);
    const batch = await full;
    t.is(batch.statusCode, 200);
    t.is(batch.json().results.length, 99);
    t.deepEqual(
      built.recording.runs.map((r) => r.length),
      [1, 32, 32, 32, 3],
      'the 99-text batch is split into runs of MAX_BATCH_SIZE_INFER',
    );
    t.false(
      built.sink.lines.some((l) => l.event === 'http.error'),
      'shedding is not logged as a server error',
    );
  } finally {
    await built.app.close();
  }
});

test('model_status: reports the real model and batcher state with an admin key', async (t) => {
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => predict(t, `status text ${i}`).then((r) => r.body.dump())),
  );
  const res = await request(`${t.context.url}/model_status`, {
    headers: { 'x-api-key': 'admin-key-0123456789abcdef' },
    dispatcher: t.context.agent,
  });
  t.is(res.statusCode, 200);
  const body = (await res.body.json()) as Record<string, Record<string, unknown>>;
  const { recording } = t.context;
  t.like(body, { state: 'SERVICE_IS_READY', ready: true, model_loaded: true, device: 'cpu' });
  t.deepEqual(body.emotions, [...recording.labels] as unknown, "the SAMO-DL API's fields are kept");
  t.like(body.model, {
    name: recording.name,
    version: recording.version,
    labels: [...recording.labels],
    loaded_at: '2026-11-27T10:00:00.000Z',
    load_ms: 12.5,
    warm_up_ms: 0.75,
  });
  t.like(body.batching, {
    max_batch_size: 8,
    max_batch_delay_ms: 2,
    max_queue_depth: 256,
    runs: recording.runs.length,
    texts_scored: 10,
    queue_depth: 0,
    texts_dropped: 0,
  });
  t.is(body.batching?.mean_batch_size, Math.round((10 / recording.runs.length) * 1000) / 1000);
});

const statusAuth = [
  { name: 'without X-API-Key', headers: {}, message: /missing/ },
  {
    name: 'with an unknown key',
    headers: { 'x-api-key': 'not-the-admin-key-at-all' },
    message: /not an admin key/,
  },
  {
    name: 'with an API key of the wrong kind',
    headers: { 'x-api-key': 'admin-key-0123456789abcdeX' },
    message: /not an admin key/,
  },
];
for (const c of statusAuth) {
  test(`model_status: ${c.name} gets 401 SVC_ERR_UNAUTHENTICATED`, async (t) => {
    const res = await t.context.http({ url: '/model_status', headers: c.headers });
    t.is(res.statusCode, 401);
    t.is(res.json().error.code, 'SVC_ERR_UNAUTHENTICATED');
    t.is(res.json().error.field, 'X-API-Key');
    t.regex(res.json().error.message, c.message);
    t.false(JSON.stringify(res.json()).includes('admin-key-0123456789abcdef'));
  });
}

test('model_status: with no admin keys configured every request gets 401', async (t) => {
  const built = await buildTestApp();
  try {
    const res = await built.http({
      url: '/model_status',
      headers: { 'x-api-key': 'anything-at-all-here' },
    });
    t.is(res.statusCode, 401);
    t.regex(res.json().error.message, /no admin keys are configured/);
  } finally {
    await built.app.close();
  }
});

test('model_status: while the model loads it says so, with the SAMO-DL fields and no batching', async (t) => {
  const built = await buildTestApp({ ADMIN_API_KEYS: 'admin-key-0123456789abcdef' }, undefined, {
    loaded: false,
  });
  try {
    const res = await built.http({
      url: '/model_status',
      headers: { 'x-api-key': 'admin-key-0123456789abcdef' },
    });
    t.is(res.statusCode, 200);
    t.like(res.json(), {
      state: 'SERVICE_IS_STARTING',
      ready: false,
      model_loaded: false,
      model_loading: true,
      emotions: [],
      model: null,
      batching: null,
    });
    const predict = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'too early' },
    });
    t.is(predict.statusCode, 503);
    t.is(predict.json().error.code, 'SVC_ERR_MODEL_NOT_READY');
    const oip = await built.http({ url: '/v2/models/tiny-test-model/ready' });
    t.is(oip.statusCode, 503);
    t.is(typeof oip.json().error, 'string');
  } finally {
    await built.app.close();
  }
});
