/**
 * Scenario 12 of cloud-run-and-drain.md §5, against the real service in a child process with real
 * signals: during the drain the in-flight gauge returns to 0, /metrics is served until the
 * listener closes, and drained requests are counted with their real status.
 */
import test from 'ava';
import { request, startChild } from '../../helpers/child-service.js';
import { parseSamples, sampleValue } from '../../helpers/prom-text.js';

test('metrics during the drain: in flight returns to 0, /metrics is served until the close, drained requests count with their status', async (t) => {
  // A pre-close window (as on Kubernetes) keeps the listener open after SIGTERM, so scrapes can
  // arrive on new connections while the drain runs.
  // One text per run, so the runs go in arrival order: three slow ones (600 ms each), then the
  // failing one, which alone fails.
  const svc = await startChild({
    DRAIN_PRE_CLOSE_DELAY_MS: '3000',
    METRICS_PUBLIC: 'true',
    MAX_BATCH_SIZE_INFER: '1',
  });
  const scrape = async () => {
    const res = await request(svc.port, '/metrics');
    t.is(res.status, 200);
    return parseSamples(res.body ?? '');
  };
  try {
    const slow = [0, 1, 2].map((i) =>
      request(svc.port, '/predict', { body: { text: `delay=600; in flight ${i}` } }),
    );
    const bad = request(svc.port, '/predict', { body: { text: 'x'.repeat(600) } });
    await new Promise((r) => setTimeout(r, 100));
    // Queued behind the slow runs, so it runs during the drain, and fails.
    const failing = request(svc.port, '/predict', { body: { text: 'delay=200; __fail__' } });
    await new Promise((r) => setTimeout(r, 100));
    svc.kill('SIGTERM');
    await svc.waitForEvent('drain.started');

    const during = await scrape();
    t.is(sampleValue(during, 'drain_state'), 1);
    t.is(
      sampleValue(during, 'requests_in_flight'),
      4,
      'three slow predicts and the failing one, the scrape excluded',
    );

    const outcomes = await Promise.all(slow);
    t.deepEqual(
      outcomes.map((o) => o.status),
      [200, 200, 200],
    );
    t.is((await bad).status, 400);
    const failed = await failing;
    t.is(failed.status, 500);
    t.is(JSON.parse(failed.body ?? '{}').error?.code, 'SVC_ERR_INFERENCE_FAILED');

    const after = await scrape();
    t.is(sampleValue(after, 'requests_in_flight'), 0);
    t.is(
      sampleValue(after, 'requests_drained_total'),
      4,
      'the four that finished after SIGTERM, whatever their status',
    );
    t.is(sampleValue(after, 'http_requests_total', { route: '/predict', status_class: '2xx' }), 3);
    t.is(
      sampleValue(after, 'http_requests_total', { route: '/predict', status_class: '5xx' }),
      1,
      'the drained failure, with its real status',
    );
    t.is(
      sampleValue(after, 'http_request_duration_seconds_count', {
        route: '/predict',
        status_class: '2xx',
      }),
      3,
    );
    t.is(
      sampleValue(after, 'http_requests_total', { route: '/predict', status_class: '4xx' }),
      1,
      'the invalid one, answered before SIGTERM, with its real status',
    );
    t.is(sampleValue(after, 'health_status', { state: 'draining' }), 1);
    t.is((await svc.exited).code, 0);
  } finally {
    svc.kill('SIGKILL');
  }
});
