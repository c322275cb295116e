import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { type BenchResult, RESULTS_DIR } from '../../../bench/lib/harness.js';
import { NOTES, overloadResult, roundLine, roundMetrics } from '../../../bench/overload/report.js';
import { overloadVerdicts } from '../../../bench/overload/verdicts.js';
import { OPTIONS, pass, round, run } from './run-fixture.js';

const committed = JSON.parse(
  readFileSync(join(RESULTS_DIR, 'overload.json'), 'utf8'),
) as BenchResult;
const META = {
  date: '2026-12-01T00:00:00.000Z',
  node: 'v20.20.2',
  cpu: '2 × cpu',
  clientPinned: true,
};

test('overload report: a round flattens to the committed result file metric names, in order', (t) => {
  const r = run();
  const full = roundMetrics(r.rounds['full-stack'][0] ?? round(0), r);
  const bare = roundMetrics(r.rounds['bare-stack'][0] ?? round(0), r);
  t.deepEqual(Object.keys(full), Object.keys(committed.raw['full-stack']?.[0] ?? {}));
  t.deepEqual(Object.keys(bare), Object.keys(committed.raw['bare-stack']?.[0] ?? {}));
});

test('overload report: the result file keeps its fields, setup keys and verdict shape', (t) => {
  const r = run();
  const result = overloadResult(r, overloadVerdicts(r), META);
  t.deepEqual(Object.keys(result), Object.keys(committed));
  t.deepEqual(Object.keys(result.setup), Object.keys(committed.setup));
  t.deepEqual(
    result.verdicts.map((v) => Object.keys(v)),
    committed.verdicts.map(() => ['target', 'met', 'detail']),
  );
  t.deepEqual(
    result.verdicts.map((v) => v.target),
    committed.verdicts.map((v) => v.target),
  );
  t.is(result.notes, NOTES);
});

test('overload report: figures are rounded as the result file shows them', (t) => {
  const p = pass(80, {
    okPerS: 9_123.456,
    pairedCapacity: 10_000.4,
    live: { p99Ms: 8.26 },
    cpuPct: { server: 97.64, client: 31.06 },
  });
  const m = roundMetrics(round(10_000.6, [p]), run());
  t.is(m['capacity req/s'], 10_001);
  t.is(m['@80 200/s (steady)'], 9_123);
  t.is(m['@80 paired capacity req/s'], 10_000);
  t.is(m['@80 goodput % of paired capacity'], 91.2);
  t.is(m['@80 goodput % of reference'], 82.9);
  t.is(m['@80 live p99 ms'], 8.3);
  t.is(m['@80 server CPU % (core 0)'], 97.6);
});

test('overload report: shares of shed 503s read 100 % when nothing was shed', (t) => {
  const p = pass(512, { replies: { shed: 0, shedWithRetryAfter: 0, shedOverloadedCode: 0 } });
  const m = roundMetrics(round(10_000, [p]), run());
  t.is(m['@512 503 with Retry-After %'], 100);
  t.is(m['@512 503 SVC_ERR_OVERLOADED %'], 100);
});

test('overload report: zero paired or reference capacity gives goodput 0 %, never Infinity', (t) => {
  const p = pass(512, { pairedCapacity: 0 });
  const m = roundMetrics(round(10_000, [p]), { ...run(), referenceCapacity: 0 });
  t.is(m['@512 goodput % of paired capacity'], 0);
  t.is(m['@512 goodput % of reference'], 0);
  // JSON would write Infinity as null.
  t.false(JSON.stringify(m).includes('null'));
});

test('overload report: the opening window is named by its length', (t) => {
  const r = { ...run(), options: { ...OPTIONS, openingS: 1 } };
  const m = roundMetrics(round(10_000, [pass(80, { openingOkPerS: 5_000 })]), r);
  t.is(m['@80 goodput % of paired capacity, first 1 s after settle'], 50);
});

test('overload report: the round line lists every figure of the round', (t) => {
  const line = roundLine(0, 'bare-stack', round(11_000), run());
  t.is(
    line,
    'round 1/3 bare-stack c16 200/s=9900 c16 503/s=0 c16 p99 ms=5 c32 200/s=10450 c32 503/s=0 c32 p99 ms=5 c64 200/s=11000 c64 503/s=0 c64 p99 ms=5 capacity req/s=11000',
  );
});
