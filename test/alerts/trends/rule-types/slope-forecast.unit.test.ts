import test from 'ava';
import {
  leastSquares,
  slopeForecast,
} from '../../../../alerts/trends/rule-types/slope-forecast.js';
import { evaluateAt, firstFiring, MIN, series, spec, T0, timeline } from './helpers.js';

// The default InferLatencyTrend: predict_linear(latency_p95_ms[1h], 30m) >= 1000, 10 points.
const trend = (extra: Record<string, unknown> = {}) =>
  spec(slopeForecast, {
    metric: 'latency_p95_ms',
    range: '1h',
    horizon: '30m',
    threshold: 1000,
    direction: 'above',
    min_points: 10,
    ...extra,
  });
const ramp = (start: number, perMin: number, n: number) =>
  Array.from({ length: n }, (_, i) => start + perMin * i);

test('slope forecast: a rising p95 fires before it crosses the threshold, forecasting the crossing', (t) => {
  // 200 ms rising 20 ms a minute: crosses 1000 ms at minute 40.
  const samples = series('latency_p95_ms', ramp(200, 20, 45));
  const first = firstFiring(slopeForecast, trend(), samples);
  // Fires once the forecast 30 minutes ahead reaches 1000 (minute 10) and 10 points exist (minute 9).
  t.is(first, 10);
  t.true(first < 40);
  const f = evaluateAt(slopeForecast, trend(), samples, T0 + first * MIN);
  t.is(f?.annotations.forecast, T0 + 40 * MIN);
  t.is(f?.annotations.observed, 400);
  t.is(f?.annotations.threshold, 1000);
});

const table = [
  {
    name: 'a flat series far above the threshold never fires (levels are for threshold rules)',
    values: Array(30).fill(1500),
    extra: {},
    want: '',
  },
  {
    name: 'a falling series never fires for `above`',
    values: ramp(1200, -10, 30),
    extra: {},
    want: '',
  },
  {
    name: 'a slow rise whose 30-minute forecast stays below never fires',
    values: ramp(200, 1, 60),
    extra: {},
    want: '',
  },
  {
    name: 'a falling series fires for `below` before it crosses',
    values: ramp(100, -2, 60),
    extra: { threshold: 20, direction: 'below' },
    want: 'F',
  },
  {
    name: 'fewer than min_points samples never fire',
    values: ramp(200, 100, 9),
    extra: {},
    want: '',
  },
] as const;

for (const row of table) {
  test(`slope forecast: ${row.name}`, (t) => {
    const line = timeline(slopeForecast, trend(row.extra), series('latency_p95_ms', row.values));
    t.is(line.includes('F') ? 'F' : '', row.want);
  });
}

test('slope forecast: when the trend turns, the next evaluation resolves', (t) => {
  const values = [...ramp(200, 20, 15), ...Array(60).fill(480)];
  const line = timeline(slopeForecast, trend(), series('latency_p95_ms', values));
  t.regex(line, /^\.{10}F+R\.+$/);
});

test('slope forecast: least squares recovers an exact line (slope per ms)', (t) => {
  const fit = leastSquares(series('latency_p95_ms', ramp(5, 3, 20)));
  t.true(Math.abs((fit?.slope ?? 0) * MIN - 3) < 1e-9);
  t.true(Math.abs((fit?.at(T0 + 100 * MIN) ?? 0) - 305) < 1e-6);
  t.is(leastSquares(series('latency_p95_ms', [1])), null);
});
