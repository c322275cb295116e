import test from 'ava';
import { ewma, ewmaAnomaly } from '../../../../alerts/trends/rule-types/ewma-anomaly.js';
import { evaluateAt, MIN, series, spec, T0, timeline } from './helpers.js';

const anomaly = (extra: Record<string, unknown> = {}) =>
  spec(ewmaAnomaly, {
    metric: 'probe_latency_ms',
    range: '2h',
    alpha: 0.2,
    z: 4,
    min_samples: 20,
    min_stddev: 5,
    direction: 'above',
    ...extra,
  });
// A noisy but steady baseline: 100 ± 10 ms in a fixed pattern.
const baseline = (n: number) =>
  Array.from({ length: n }, (_, i) => 100 + ([0, 10, -10, 5, -5][i % 5] ?? 0));

test('ewma anomaly: a spike far above a noisy baseline fires; the next normal sample resolves', (t) => {
  const values = [...baseline(30), 400, 100, 100];
  t.is(
    timeline(ewmaAnomaly, anomaly(), series('probe_latency_ms', values)),
    `${'.'.repeat(30)}FR.`,
  );
});

test('ewma anomaly: ordinary noise never fires', (t) => {
  t.is(timeline(ewmaAnomaly, anomaly(), series('probe_latency_ms', baseline(60))), '.'.repeat(60));
});

test('ewma anomaly: a drop does not fire for `above` but does for `both`', (t) => {
  const samples = series('probe_latency_ms', [...baseline(30), 0]);
  const now = T0 + 30 * MIN;
  t.is(evaluateAt(ewmaAnomaly, anomaly(), samples, now), null);
  t.is(evaluateAt(ewmaAnomaly, anomaly({ direction: 'both' }), samples, now)?.state, 'firing');
});

test('ewma anomaly: fewer than min_samples before the newest never fire', (t) => {
  const samples = series('probe_latency_ms', [...baseline(19), 1000]);
  t.is(evaluateAt(ewmaAnomaly, anomaly(), samples, T0 + 19 * MIN), null);
});

test('ewma anomaly: the EWMA of a constant is that constant with no variance', (t) => {
  t.deepEqual(ewma([7, 7, 7, 7], 0.3), { mean: 7, variance: 0 });
});
