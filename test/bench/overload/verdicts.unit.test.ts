import test from 'ava';
import type { OverloadRun } from '../../../bench/overload/result.js';
import {
  goodputVerdict,
  liveVerdict,
  overloadVerdicts,
  retryAfterVerdict,
  stackVerdict,
  type Verdict,
} from '../../../bench/overload/verdicts.js';
import { type PassOverrides, pass, round, run } from './run-fixture.js';

interface Row {
  readonly name: string;
  readonly run: OverloadRun;
  readonly met: boolean;
  /** The check that decides a missed verdict: its figure and value. */
  readonly failing?: { readonly figure: string; readonly value: number };
  /** A fragment the detail must hold. */
  readonly detail?: string;
}

function assertRow(t: import('ava').ExecutionContext, v: Verdict, row: Row): void {
  t.is(v.met, row.met);
  t.is(
    v.met,
    v.checks.every((c) => c.met),
  );
  if (row.failing) {
    const failed = v.checks.filter((c) => !c.met);
    t.deepEqual(
      failed.map((c) => [c.figure, c.value]),
      [[row.failing.figure, row.failing.value]],
    );
  }
  if (row.detail) t.true(v.detail.includes(row.detail), v.detail);
}

const at512 = (live: NonNullable<PassOverrides['live']>) => [pass(512, { live }), pass(80)];

const liveRows: Row[] = [
  {
    name: 'p99 at 25 ms with no failed probe is met',
    run: run({ passes: [at512({ p99Ms: 25 })] }),
    met: true,
    detail: 'median of rounds 25 ms (p50 2 ms; worst round 25 ms; 0 of 1000 probes',
  },
  {
    name: 'p99 over 25 ms fails, naming the figure',
    run: run({ passes: [at512({ p99Ms: 25.1 })] }),
    met: false,
    failing: { figure: 'median of rounds of the /health/live p99 ms', value: 25.1 },
  },
  {
    name: 'the median of rounds decides: one slow round of three is met',
    run: run({ passes: [at512({ p99Ms: 8 }), at512({ p99Ms: 40 }), at512({ p99Ms: 9 })] }),
    met: true,
    detail: 'median of rounds 9 ms (p50 2 ms; worst round 40 ms;',
  },
  {
    name: 'of an even count of rounds the median is the mean of the middle two',
    run: run({ passes: [at512({ p99Ms: 20 }), at512({ p99Ms: 31 })] }),
    met: false,
    failing: { figure: 'median of rounds of the /health/live p99 ms', value: 25.5 },
  },
  {
    name: 'one probe over 1 s fails though the p99 is low',
    run: run({ passes: [at512({ timeouts: 1 })] }),
    met: false,
    failing: { figure: 'live probes failed or over 1 s', value: 1 },
    detail: '1 of 1001 probes failed or took over 1 s',
  },
  {
    name: 'failed probes are summed over rounds',
    run: run({ passes: [at512({ errors: 1 }), at512({ timeouts: 2 })] }),
    met: false,
    failing: { figure: 'live probes failed or over 1 s', value: 3 },
  },
  {
    name: 'no probe answered (no samples) fails, though its p99 reads 0',
    run: run({ passes: [at512({ answered: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 })] }),
    met: false,
    failing: { figure: 'live probes answered', value: 0 },
  },
  {
    name: 'no pass over these connections fails',
    run: run({ passes: [[pass(80)]] }),
    met: false,
    failing: { figure: 'live probes answered', value: 0 },
    detail: 'no overload pass over 512 connections ran',
  },
  {
    name: 'only its own connection count is judged',
    run: run({ passes: [[pass(512), pass(80, { live: { p99Ms: 90 } })]] }),
    met: true,
  },
];

for (const row of liveRows) {
  test(`overload verdict live: ${row.name}`, (t) => assertRow(t, liveVerdict(row.run, 512), row));
}

test('overload verdict live: the target names the factor and the connections', (t) => {
  t.is(
    liveVerdict(run(), 80).target,
    'production preset: /health/live p99 ≤ 25 ms at 4× capacity over 80 connections',
  );
});

const shed = (replies: NonNullable<PassOverrides['replies']>) => [pass(512, { replies }), pass(80)];

const retryRows: Row[] = [
  {
    name: 'every shed 503 with Retry-After is met',
    run: run(),
    met: true,
    detail: '400 of 400 (all rounds and passes; with code SVC_ERR_OVERLOADED: 400 of 400)',
  },
  {
    name: 'one shed 503 without Retry-After fails, naming the figure',
    run: run({ passes: [shed({ shed: 200, shedWithRetryAfter: 199 })] }),
    met: false,
    failing: { figure: 'shed 503s without Retry-After', value: 1 },
  },
  {
    name: 'one missing in 5,000 fails (a rounded percentage would read 100 %)',
    run: run({ passes: [shed({ shed: 5000, shedWithRetryAfter: 4999 })] }),
    met: false,
    failing: { figure: 'shed 503s without Retry-After', value: 1 },
  },
  {
    name: 'replies are summed over rounds and passes',
    run: run({
      passes: [
        shed({ shed: 10, shedWithRetryAfter: 10 }),
        shed({ shed: 5, shedWithRetryAfter: 0 }),
      ],
    }),
    met: false,
    failing: { figure: 'shed 503s without Retry-After', value: 5 },
    detail: '410 of 415',
  },
  {
    name: 'no shed 503 at all fails: nothing showed the header',
    run: run({
      passes: [
        [
          pass(512, { replies: { shed: 0, shedWithRetryAfter: 0, shedOverloadedCode: 0 } }),
          pass(80, { replies: { shed: 0, shedWithRetryAfter: 0, shedOverloadedCode: 0 } }),
        ],
      ],
    }),
    met: false,
    failing: { figure: 'shed 503s', value: 0 },
  },
  {
    name: 'no pass at all fails',
    run: run({ passes: [[]] }),
    met: false,
    failing: { figure: 'shed 503s', value: 0 },
  },
];

for (const row of retryRows) {
  test(`overload verdict Retry-After: ${row.name}`, (t) =>
    assertRow(t, retryAfterVerdict(row.run), row));
}

const goodput = (o: PassOverrides) => [pass(512, o), pass(80)];

const goodputRows: Row[] = [
  {
    name: 'goodput of exactly 0.8x the paired capacity is met',
    run: run({ passes: [goodput({ okPerS: 8000, pairedCapacity: 10_000 })] }),
    met: true,
  },
  {
    name: 'goodput below 0.8x of the paired capacity fails, naming the figure',
    run: run({ passes: [goodput({ okPerS: 7900, pairedCapacity: 10_000 })] }),
    met: false,
    failing: { figure: 'median goodput ÷ paired capacity', value: 0.79 },
    detail: 'median 0.79× of the paired capacity (7900 200/s vs 10000 req/s; rounds 0.79×)',
  },
  {
    name: 'the median of rounds decides',
    run: run({
      passes: [goodput({ okPerS: 7000 }), goodput({ okPerS: 9000 }), goodput({ okPerS: 8500 })],
    }),
    met: true,
    detail: 'rounds 0.70, 0.90, 0.85×',
  },
  {
    name: 'judged against the paired capacity, not the reference',
    run: run({ passes: [goodput({ okPerS: 9000 })], referenceCapacity: 20_000 }),
    met: true,
    detail: 'against the reference capacity (20000 req/s): 0.45×',
  },
  {
    name: 'zero paired capacity fails (no ratio, not an infinite one)',
    run: run({ passes: [goodput({ okPerS: 9000, pairedCapacity: 0 })] }),
    met: false,
    failing: { figure: 'median goodput ÷ paired capacity', value: 0 },
  },
  {
    name: 'no pass over these connections fails',
    run: run({ passes: [[pass(80)]] }),
    met: false,
    failing: { figure: 'median goodput ÷ paired capacity', value: 0 },
    detail: 'no overload pass over 512 connections ran',
  },
];

for (const row of goodputRows) {
  test(`overload verdict goodput: ${row.name}`, (t) =>
    assertRow(t, goodputVerdict(row.run, 512), row));
}

const pairs = (...ratios: number[]) => ratios.map((r) => ({ full: r * 10_000, bare: 10_000 }));

const stackRows: Row[] = [
  {
    name: 'a median pair ratio of 0.85 is met',
    run: run({ stackPairs: pairs(0.8, 0.85, 1.1) }),
    met: true,
    detail: 'median 0.85× over 3 paired windows on two live servers (pairs 0.80, 0.85, 1.10×;',
  },
  {
    name: 'a median pair ratio below 0.85 fails, naming the figure',
    run: run({ stackPairs: pairs(0.84, 0.7, 1.2) }),
    met: false,
    failing: { figure: 'median full ÷ bare 200/s of the window pairs', value: 0.84 },
  },
  {
    name: 'of an even count of pairs the lower median decides',
    run: run({ stackPairs: pairs(0.8, 0.9) }),
    met: false,
    failing: { figure: 'median full ÷ bare 200/s of the window pairs', value: 0.8 },
  },
  {
    name: 'no pairs fail',
    run: run({ stackPairs: [] }),
    met: false,
    failing: { figure: 'median full ÷ bare 200/s of the window pairs', value: 0 },
  },
  {
    name: 'a bare window of zero 200/s gives no ratio, not an infinite one',
    run: run({ stackPairs: [{ full: 9000, bare: 0 }] }),
    met: false,
    failing: { figure: 'median full ÷ bare 200/s of the window pairs', value: 0 },
  },
  {
    name: 'the fresh-server figures are reported beside the pairs',
    run: run({ bare: [round(12_500)] }),
    met: true,
    detail:
      'on fresh servers per round: 0.80× (median 200/s 10000 vs 12500), best-cell capacity 0.80×',
  },
  {
    name: 'zero bare capacity reports a ratio of 0, the pairs still decide',
    run: run({ bare: [round(0)] }),
    met: true,
    detail: 'on fresh servers per round: 0.00× (median 200/s 10000 vs 0), best-cell capacity 0.00×',
  },
];

for (const row of stackRows) {
  test(`overload verdict full vs bare: ${row.name}`, (t) =>
    assertRow(t, stackVerdict(row.run), row));
}

test('overload verdicts: one per target, in the result file order', (t) => {
  t.deepEqual(
    overloadVerdicts(run()).map((v) => [v.target, v.met]),
    [
      ['production preset: /health/live p99 ≤ 25 ms at 4× capacity over 512 connections', true],
      ['production preset: /health/live p99 ≤ 25 ms at 4× capacity over 80 connections', true],
      ['100 % of shed 503s carry Retry-After', true],
      ['production preset: goodput at 4× capacity over 512 connections ≥ 0.8 × capacity', true],
      ['production preset: goodput at 4× capacity over 80 connections ≥ 0.8 × capacity', true],
      ['full stack ≥ 0.85 × bare stack, closed loop at saturation (c=64)', true],
    ],
  );
});

test('overload verdicts: a run with no rounds misses every target', (t) => {
  const empty: OverloadRun = {
    ...run(),
    rounds: { 'full-stack': [], 'bare-stack': [] },
    stackPairs: [],
  };
  t.deepEqual(
    overloadVerdicts(empty).map((v) => v.met),
    [false, false, false, false, false, false],
  );
});
