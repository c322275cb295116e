import test from 'ava';
import fc from 'fast-check';
import { burnRate, SLOTH_30D } from '../../../../alerts/trends/rule-types/burn-rate.js';
import type { Sample } from '../../../../alerts/types.js';
import { evaluateAt, MIN, SLOTH_PAGE, SLOTH_TICKET, spec, T0, TARGET } from './helpers.js';

/**
 * Counter deltas, one scrape a minute per instance from T0: `good` minutes of clean traffic, then
 * `bad` minutes at 100 % errors, then `after` clean minutes. `rpm` requests per instance a minute.
 */
function traffic(opts: {
  good: number;
  bad: number;
  after?: number;
  rpm?: number;
  instances?: readonly string[];
}): Sample[] {
  const { good, bad, after = 0, rpm = 50, instances = ['i-a', 'i-b'] } = opts;
  const out: Sample[] = [];
  for (let m = 0; m < good + bad + after; m++) {
    const failing = m >= good && m < good + bad;
    for (const instance of instances) {
      const ts = T0 + m * MIN;
      out.push({ target: TARGET, metric: 'requests_delta', instance, ts, value: rpm });
      out.push({ target: TARGET, metric: 'errors_delta', instance, ts, value: failing ? rpm : 0 });
    }
  }
  return out;
}

const sloRule = (
  pairs: readonly { factor: number; short: string; long: string }[],
  minRequests = 100,
) => spec(burnRate, { objective: 0.995, min_requests: minRequests, pairs });

/** Minutes of 100 % errors until the first firing evaluation (one evaluation a minute). */
function minutesToFire(rule: ReturnType<typeof sloRule>, good: number, maxBad: number): number {
  const samples = traffic({ good, bad: maxBad });
  for (let k = 1; k <= maxBad; k++) {
    if (evaluateAt(burnRate, rule, samples, T0 + (good + k - 1) * MIN)?.state === 'firing')
      return k;
  }
  return -1;
}

// Budget 0.5 %. A pair fires when errors exceed factor × 0.5 % of its long window's requests:
// k bad minutes out of L minutes with k/L > factor × 0.005, i.e. k = floor(L × factor × 0.005) + 1.
const pairTable = [
  { name: '14.4x (5m, 1h)', pair: { factor: 14.4, short: '5m', long: '1h' }, longMin: 60, want: 5 },
  { name: '6x (30m, 6h)', pair: { factor: 6, short: '30m', long: '6h' }, longMin: 360, want: 11 },
  { name: '3x (2h, 1d)', pair: { factor: 3, short: '2h', long: '1d' }, longMin: 1440, want: 22 },
  { name: '1x (6h, 3d)', pair: { factor: 1, short: '6h', long: '3d' }, longMin: 4320, want: 22 },
] as const;

for (const row of pairTable) {
  test(`burn rate: the ${row.name} pair fires after ${row.want} minutes of 100 % errors, not one sooner`, (t) => {
    t.is(minutesToFire(sloRule([row.pair]), row.longMin, row.want + 5), row.want);
  });
}

test('burn rate: the page rule (14.4x or 6x) fires after 5 minutes of 100 % errors, carrying the pair', (t) => {
  const rule = {
    ...sloRule(SLOTH_PAGE),
    summary: '{{factor}}x over {{short}}/{{long}}: {{burn_rate}}x',
  };
  const samples = traffic({ good: 360, bad: 5 });
  const f = evaluateAt(burnRate, rule, samples, T0 + 364 * MIN);
  t.is(f?.state, 'firing');
  t.deepEqual(f?.labels, {
    alertname: 'TestAlert',
    target: TARGET,
    severity: 'warning',
    slo_objective: '0.995',
    burn_pairs: '14.4x(5m,1h) 6x(30m,6h)',
  });
  t.is(f?.annotations.threshold, 14.4);
  t.true(Math.abs((f?.annotations.observed ?? 0) - 5 / 60 / 0.005) < 1e-9);
  t.is(f?.annotations.summary, '14.4x over 5m/1h: 16.67x');
  t.is(evaluateAt(burnRate, rule, samples, T0 + 363 * MIN), null);
});

test('burn rate: the Sloth table in code matches the pairs of the default rules', (t) => {
  t.deepEqual(sloRule(SLOTH_PAGE).params.pairs, SLOTH_30D.page);
  t.deepEqual(sloRule(SLOTH_TICKET).params.pairs, SLOTH_30D.ticket);
});

for (const [name, pairs, longMin] of [
  ['page', SLOTH_PAGE, 360],
  ['ticket', SLOTH_TICKET, 4320],
] as const) {
  test(`burn rate: the ${name} rule never fires on a single bad minute among good ones`, (t) => {
    const rule = sloRule(pairs);
    const samples = traffic({ good: longMin, bad: 1, after: 70 });
    const fired: number[] = [];
    for (let m = longMin; m < longMin + 71; m++) {
      if (evaluateAt(burnRate, rule, samples, T0 + m * MIN) !== null) fired.push(m);
    }
    t.deepEqual(fired, []);
  });
}

test('burn rate: the min-request guard keeps a low-traffic window silent at 100 % errors', (t) => {
  // 2 instances × 1 request a minute: 120 requests in the long hour, below a guard of 500.
  const samples = traffic({ good: 60, bad: 30, rpm: 1 });
  const now = T0 + 89 * MIN;
  t.is(evaluateAt(burnRate, sloRule(SLOTH_PAGE, 500), samples, now), null);
  t.is(evaluateAt(burnRate, sloRule(SLOTH_PAGE, 100), samples, now)?.state, 'firing');
});

test('burn rate: the SLI sums requests and errors across instances', (t) => {
  // One of three instances fails everything: 1/3 of requests fail, 66x the budget.
  const samples = traffic({ good: 60, bad: 0, instances: ['a', 'b'] }).concat(
    traffic({ good: 0, bad: 60, instances: ['c'] }),
  );
  const f = evaluateAt(burnRate, sloRule(SLOTH_PAGE), samples, T0 + 59 * MIN);
  t.is(f?.state, 'firing');
  t.true(Math.abs((f?.annotations.observed ?? 0) - 1 / 3 / 0.005) < 1e-9);
});

test('burn rate: after recovery the short window resolves the alert within 5 minutes', (t) => {
  const rule = sloRule(SLOTH_PAGE);
  const samples = traffic({ good: 360, bad: 10, after: 10 });
  const states = [];
  for (let m = 369; m < 380; m++)
    states.push(evaluateAt(burnRate, rule, samples, T0 + m * MIN)?.state ?? '.');
  // 14.4x short (5m) clears after 5 clean minutes; the 6x pair's short 30m window (10/30 bad)
  // keeps firing with its long 6h window at 10/360 = 2.8 % < 3 %: so it does not.
  t.deepEqual(states, [
    'firing',
    'firing',
    'firing',
    'firing',
    'firing',
    'resolved',
    '.',
    '.',
    '.',
    '.',
    '.',
  ]);
});

test('burn rate (property): a single bad minute among a full window of good traffic never fires', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 360, max: 420 }),
      fc.integer({ min: 1, max: 500 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 60 }),
      (good, rpm, n, after) => {
        const instances = ['a', 'b', 'c'].slice(0, n);
        const samples = traffic({ good, bad: 1, after: 60, rpm, instances });
        return (
          evaluateAt(burnRate, sloRule(SLOTH_PAGE, 0), samples, T0 + (good + after) * MIN) === null
        );
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});
