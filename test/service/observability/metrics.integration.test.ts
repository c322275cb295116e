/**
 * GET /metrics through the real app over real sockets, over the tiny ONNX model: what is counted,
 * by which labels, who may read it, and that our own series pass `promtool check metrics`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { parseSamples, type Sample, sampleValue } from '../../helpers/prom-text.js';
import { buildTestApp, fillQueue, type TestApp } from '../../helpers/test-app.js';

const execFileAsync = promisify(execFile);
const ADMIN = 'admin-key-0123456789abcdef';

async function scrape(built: TestApp, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await built.http({ url: '/metrics', headers });
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${res.body}`);
  return parseSamples(res.body);
}

test('metrics: every series carries the instance label, which X-Instance-Id also carries', async (t) => {
  const built = await buildTestApp();
  try {
    const res = await built.http({ url: '/health/live' });
    t.is(res.headers['x-instance-id'], 'test-rev-00000001');
    const samples = await scrape(built);
    t.true(samples.length > 50);
    const without = samples.filter((s) => s.labels.instance !== 'test-rev-00000001');
    t.deepEqual(without, [], 'no series without the instance label');
    t.regex(
      String((await built.http({ url: '/metrics' })).headers['content-type']),
      /^text\/plain; version=0\.0\.4/,
    );
  } finally {
    await built.app.close();
  }
});

test('metrics: HTTP requests are counted by route template and status class, never by raw URL, and probes and /metrics are not counted', async (t) => {
  const built = await buildTestApp();
  try {
    const inject = built.http.bind(built);
    await inject({ method: 'POST', url: '/predict', payload: { text: 'hello there' } });
    await inject({ method: 'POST', url: '/predict', payload: { text: '' } });
    const body = { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hi'] }] };
    await inject({ method: 'POST', url: '/v2/models/tiny-test-model/infer', payload: body });
    await inject({ method: 'POST', url: '/v2/models/other-model/infer', payload: body });
    await inject({ url: '/no/such/path/12345' });
    for (const probe of ['/health/live', '/health/ready', '/health', '/v2/health/ready']) {
      await inject({ url: probe });
    }
    await inject({ url: '/metrics' });
    const samples = await scrape(built);
    const count = (labels: Record<string, string>) =>
      sampleValue(samples, 'http_requests_total', labels);
    t.is(count({ method: 'POST', route: '/predict', status_class: '2xx' }), 1);
    t.is(count({ method: 'POST', route: '/predict', status_class: '4xx' }), 1);
    t.is(count({ route: '/v2/models/:name/infer', status_class: '2xx' }), 1);
    t.is(count({ route: '/v2/models/:name/infer', status_class: '4xx' }), 1);
    t.is(count({ route: 'unmatched', status_class: '4xx' }), 1);
    const routes = new Set(
      samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route),
    );
    t.deepEqual(
      [...routes].sort(),
      ['/predict', '/v2/models/:name/infer', 'unmatched'],
      'no probe, no /metrics, no raw URL',
    );
    t.is(
      sampleValue(samples, 'http_request_duration_seconds_count', {
        route: '/predict',
        status_class: '2xx',
      }),
      1,
    );
  } finally {
    await built.app.close();
  }
});

test('metrics: inference runs, batch sizes, predictions by top label, scores and input lengths are recorded', async (t) => {
  const built = await buildTestApp();
  try {
    const texts = ['one', 'two words', 'three short words', 'four', 'five'];
    await built.http({ method: 'POST', url: '/predict_batch', payload: { texts } });
    const samples = await scrape(built);
    const runs = built.recording.runs.length;
    t.is(sampleValue(samples, 'inference_batch_size_count'), runs);
    t.is(sampleValue(samples, 'inference_batch_size_sum'), 5);
    t.is(sampleValue(samples, 'inference_duration_seconds_count'), runs);
    t.is(sampleValue(samples, 'inference_queue_depth'), 0);
    const byLabel = samples.filter((s) => s.name === 'predictions_total');
    t.is(
      byLabel.reduce((sum, s) => sum + s.value, 0),
      5,
    );
    t.true(byLabel.every((s) => built.recording.labels.includes(s.labels.label ?? '')));
    t.is(sampleValue(samples, 'prediction_top_score_count'), 5);
    t.is(sampleValue(samples, 'prediction_input_length_code_points_sum'), 3 + 9 + 17 + 4 + 4);
    t.is(sampleValue(samples, 'model_loaded'), 1);
    t.is(sampleValue(samples, 'health_status', { state: 'healthy' }), 1);
    t.is(sampleValue(samples, 'health_status', { state: 'unhealthy' }), 0);
    t.is(sampleValue(samples, 'drain_state'), 0);
    t.is(sampleValue(samples, 'requests_in_flight'), 0, 'the scrape does not count itself');
  } finally {
    await built.app.close();
  }
});

test('metrics: a full queue counts requests_shed_total{reason="queue_full"}', async (t) => {
  // SHED_QUEUE_DEPTH=0: the batcher's own refusal, not shedding before the body is read.
  const built = await buildTestApp({ MAX_QUEUE_DEPTH: '100', SHED_QUEUE_DEPTH: '0' });
  try {
    const { release, busy, batch: full } = await fillQueue(built);
    const shed = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'x' },
    });
    t.is(shed.statusCode, 503);
    const during = await scrape(built);
    t.is(sampleValue(during, 'inference_queue_depth'), 100);
    release();
    await Promise.all([busy, full]);
    const after = await scrape(built);
    t.is(sampleValue(after, 'requests_shed_total', { reason: 'queue_full' }), 1);
    t.is(sampleValue(after, 'http_requests_total', { route: '/predict', status_class: '5xx' }), 1);
  } finally {
    await built.app.close();
  }
});

test('metrics: in production /metrics needs an admin key, and /health without one says only its status', async (t) => {
  const built = await buildTestApp({
    ENVIRONMENT: 'production',
    ADMIN_API_KEYS: ADMIN,
    API_KEYS: 'client-key-0123456789abcdef',
  });
  try {
    const denied = await built.http({ url: '/metrics' });
    t.is(denied.statusCode, 401);
    t.is(denied.json().error.code, 'SVC_ERR_UNAUTHENTICATED');
    t.is((await built.http({ url: '/metrics', headers: { 'x-api-key': ADMIN } })).statusCode, 200);
    const publicHealth = await built.http({ url: '/health' });
    t.is(publicHealth.statusCode, 200);
    t.deepEqual(publicHealth.json(), { status: 'healthy' });
    const adminHealth = await built.http({ url: '/health', headers: { 'x-api-key': ADMIN } });
    t.truthy(adminHealth.json().checks);
    t.truthy(adminHealth.json().version);
  } finally {
    await built.app.close();
  }
});

test('metrics: METRICS_PUBLIC=true opens /metrics and the /health details in production', async (t) => {
  const built = await buildTestApp({
    ENVIRONMENT: 'production',
    ADMIN_API_KEYS: ADMIN,
    API_KEYS: 'client-key-0123456789abcdef',
    METRICS_PUBLIC: 'true',
  });
  try {
    t.is((await built.http({ url: '/metrics' })).statusCode, 200);
    t.truthy((await built.http({ url: '/health' })).json().checks);
  } finally {
    await built.app.close();
  }
});

const requirePromtool = process.env.REQUIRE_PROMTOOL === '1';

test('metrics: our own series pass promtool check metrics', async (t) => {
  const promtool = await execFileAsync('promtool', ['--version']).then(
    () => true,
    () => false,
  );
  if (!promtool) {
    if (requirePromtool) t.fail('promtool is not installed but REQUIRE_PROMTOOL=1 (CI)');
    else t.log('SKIPPED: promtool not installed (apt-get install prometheus); CI requires it');
    t.pass();
    return;
  }
  const built = await buildTestApp();
  try {
    await built.http({ method: 'POST', url: '/predict', payload: { text: 'hello' } });
    const text = await built.metrics.own.metrics();
    const check = execFileAsync('promtool', ['check', 'metrics']);
    check.child.stdin?.end(text);
    const { stdout, stderr } = await check.then(
      (r) => r,
      (e: { stdout: string; stderr: string }) => e,
    );
    t.is(`${stdout}${stderr}`.trim(), '', 'promtool found no problem');
  } finally {
    await built.app.close();
  }
});

test('metrics: METRICS_ENABLED=false removes /metrics (404) and still serves predictions', async (t) => {
  const built = await buildTestApp({ METRICS_ENABLED: 'false' });
  try {
    t.is((await built.http({ url: '/metrics' })).statusCode, 404);
    const res = await built.http({
      method: 'POST',
      url: '/predict',
      payload: { text: 'hi' },
    });
    t.is(res.statusCode, 200);
    t.is((await built.metrics.own.getSingleMetric('http_requests_total')?.get())?.values.length, 0);
  } finally {
    await built.app.close();
  }
});
