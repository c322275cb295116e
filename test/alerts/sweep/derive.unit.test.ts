import test from 'ava';
import {
  counterSamples,
  deltaOf,
  histogramQuantile,
  snapshotsOf,
} from '../../../alerts/sweep/derive.js';
import { parsePrometheusText } from '../../../alerts/sweep/prometheus-text.js';

function scrape(instance: string, ok: number, errors: number, buckets: [string, number][]) {
  const lines = [
    '# TYPE http_requests_total counter',
    `http_requests_total{method="POST",route="/predict",status_class="2xx",instance="${instance}"} ${ok}`,
    `http_requests_total{method="POST",route="/predict",status_class="5xx",instance="${instance}"} ${errors}`,
    `http_requests_total{method="POST",route="/v2/models/:name/infer",status_class="4xx",instance="${instance}"} 0`,
    '# TYPE http_request_duration_seconds histogram',
    ...buckets.map(
      ([le, n]) =>
        `http_request_duration_seconds_bucket{le="${le}",method="POST",route="/predict",status_class="2xx",instance="${instance}"} ${n}`,
    ),
  ];
  return parsePrometheusText(lines.join('\n'));
}

const B = (a: number, b: number, c: number): [string, number][] => [
  ['0.01', a],
  ['0.1', b],
  ['+Inf', c],
];

test('derive: deltas are per instance; the first scrape of an instance only sets its baseline', (t) => {
  const first = snapshotsOf(scrape('rev-a', 100, 2, B(50, 90, 102)), 1000);
  t.deepEqual(counterSamples('svc', 1000, new Map(), first), []);
  const second = snapshotsOf(scrape('rev-a', 160, 5, B(80, 150, 165)), 61000);
  const samples = counterSamples('svc', 61000, first, second);
  const value = (metric: string) => samples.find((s) => s.metric === metric)?.value;
  t.is(value('requests_delta'), 63);
  t.is(value('errors_delta'), 3);
  t.is(value('error_ratio'), 3 / 63);
  t.is(samples.find((s) => s.metric === 'requests_delta')?.instance, 'rev-a');
  t.is(samples.find((s) => s.metric === 'error_ratio')?.instance, null);
});

test('derive: two instances behind one URL keep separate baselines and sum into the ratio', (t) => {
  const prev = new Map([
    ...snapshotsOf(scrape('rev-a', 100, 0, B(1, 1, 100)), 0),
    ...snapshotsOf(scrape('rev-b', 5000, 50, B(1, 1, 5050)), 0),
  ]);
  const cur = new Map([
    ...snapshotsOf(scrape('rev-a', 110, 10, B(1, 1, 120)), 60000),
    ...snapshotsOf(scrape('rev-b', 5090, 50, B(1, 1, 5140)), 60000),
  ]);
  const samples = counterSamples('svc', 60000, prev, cur);
  const deltas = samples
    .filter((s) => s.metric === 'requests_delta')
    .map((s) => [s.instance, s.value]);
  t.deepEqual(deltas, [
    ['rev-a', 20],
    ['rev-b', 90],
  ]);
  t.is(samples.find((s) => s.metric === 'error_ratio')?.value, 10 / 110);
});

test('derive: a counter that went down is a reset, and the delta is the new total', (t) => {
  const prev = snapshotsOf(scrape('rev-a', 1000, 10, B(500, 900, 1010)), 0).get('rev-a');
  const cur = snapshotsOf(scrape('rev-a', 40, 1, B(20, 35, 41)), 60000).get('rev-a');
  if (!prev || !cur) return t.fail('no snapshot');
  const d = deltaOf('rev-a', prev, cur);
  t.true(d?.reset);
  t.is(d?.requests, 41);
  t.is(d?.errors, 1);
  t.is(d?.buckets.get(Number.POSITIVE_INFINITY), 41);
});

test('derive: latency percentiles come from the bucket deltas, as histogram_quantile computes them', (t) => {
  const buckets = new Map([
    [0.01, 50],
    [0.1, 90],
    [Number.POSITIVE_INFINITY, 100],
  ]);
  t.is(histogramQuantile(0.5, buckets), 0.01);
  t.is(histogramQuantile(0.25, buckets), 0.005);
  t.true(Math.abs((histogramQuantile(0.7, buckets) ?? 0) - 0.055) < 1e-12, 'interpolated');
  t.is(histogramQuantile(0.95, buckets), 0.1, 'a rank in +Inf answers the highest finite bound');
  t.is(histogramQuantile(0.5, new Map([[Number.POSITIVE_INFINITY, 0]])), null);
  const prev = snapshotsOf(scrape('rev-a', 0, 0, B(0, 0, 0)), 0);
  const cur = snapshotsOf(scrape('rev-a', 100, 0, B(50, 90, 100)), 60000);
  const samples = counterSamples('svc', 60000, prev, cur);
  t.is(samples.find((s) => s.metric === 'latency_p50_ms')?.value, 10);
  t.is(samples.find((s) => s.metric === 'latency_p95_ms')?.value, 100);
});

test('derive: no traffic since the last scrape gives zero deltas and no ratio or latency', (t) => {
  const prev = snapshotsOf(scrape('rev-a', 10, 1, B(5, 9, 11)), 0);
  const cur = snapshotsOf(scrape('rev-a', 10, 1, B(5, 9, 11)), 60000);
  const samples = counterSamples('svc', 60000, prev, cur);
  t.deepEqual(
    samples.map((s) => [s.metric, s.value]),
    [
      ['requests_delta', 0],
      ['errors_delta', 0],
    ],
  );
});
