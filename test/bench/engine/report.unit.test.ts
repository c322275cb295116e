import test from 'ava';
import {
  decisionVerdicts,
  type LatencySample,
  latencyMetrics,
  latencyVerdicts,
  withRatios,
} from '../../../bench/engine/report.js';
import { summarizeRounds } from '../../../bench/lib/harness.js';

const sample = (totalMs: number): LatencySample => ({
  handOffMs: totalMs / 4,
  tickToWebhookMs: (3 * totalMs) / 4,
  tickMs: totalMs,
  totalMs,
});

test('engine bench report: latency p50 and p99 are nearest-rank over the samples', (t) => {
  // 1..100 ms: nearest rank gives the 50th and the 99th value.
  const m = latencyMetrics(Array.from({ length: 100 }, (_, i) => sample(100 - i)));
  t.is(m['finding → webhook p50 ms'], 50);
  t.is(m['finding → webhook p99 ms'], 99);
  t.is(m['hand-off p50 ms'], 12.5);
  t.is(m['tick → webhook p99 ms'], 74.3);
  t.is(m.samples, 100);
});

test('engine bench report: no samples give zeros, not NaN', (t) => {
  const m = latencyMetrics([]);
  t.is(m['finding → webhook p99 ms'], 0);
  t.is(m.samples, 0);
});

test('engine bench report: each store round is divided by the baseline of the same round', (t) => {
  const raw = withRatios(
    {
      'in-memory': [
        { 'receives/s': 1000, 'flushes/s': 100 },
        { 'receives/s': 2000, 'flushes/s': 200 },
      ],
      sqlite: [
        { 'receives/s': 250, 'flushes/s': 50 },
        { 'receives/s': 1000, 'flushes/s': 50 },
      ],
    },
    'in-memory',
  );
  t.deepEqual(
    raw.sqlite?.map((m) => [m['receives/s ÷ in-memory'], m['flushes/s ÷ in-memory']]),
    [
      [0.25, 0.5],
      [0.5, 0.25],
    ],
  );
  t.deepEqual(
    raw['in-memory']?.map((m) => m['flushes/s ÷ in-memory']),
    [1, 1],
  );
});

const round = (over: Record<string, number> = {}) => ({
  'receives/s': 1000,
  'flushes/s': 10,
  'first notifications': 35,
  'alerts shown in them': 700,
  'steady flushes': 200,
  'steady notifications': 0,
  ...over,
});

test('engine bench report: the decision verdicts hold the seed, the steady state and the tick capacity', (t) => {
  const verdicts = (raw: Record<string, ReturnType<typeof round>[]>) =>
    decisionVerdicts(raw, summarizeRounds(raw), {
      passes: 4,
      stores: ['sqlite'],
      flushLimit: 500,
    }).map((v) => v.met);
  t.deepEqual(verdicts({ sqlite: [round()] }), [true, true, true]);
  t.deepEqual(verdicts({ sqlite: [round({ 'alerts shown in them': 1000 })] }), [false, true, true]);
  t.deepEqual(verdicts({ sqlite: [round({ 'steady notifications': 1 })] }), [true, false, true]);
  // 500 groups at 8 flushes/s take 62.5 s: longer than the minute between ticks.
  t.deepEqual(verdicts({ sqlite: [round({ 'flushes/s': 8 })] }), [true, true, false]);
});

test('engine bench report: a finding that never reached the webhook misses the latency verdict', (t) => {
  const ok = {
    'finding → webhook p50 ms': 10,
    'finding → webhook p99 ms': 40,
    samples: 100,
    'findings not at the webhook': 0,
  };
  const raw = { sqlite: [ok], postgres: [{ ...ok, 'findings not at the webhook': 1 }] };
  t.deepEqual(
    latencyVerdicts(raw, summarizeRounds(raw)).map((v) => v.met),
    [false, true, true],
  );
});
