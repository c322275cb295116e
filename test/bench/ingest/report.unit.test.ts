import test from 'ava';
import {
  floorLines,
  latencyVerdicts,
  pairedRatios,
  throughputVerdicts,
} from '../../../bench/ingest/report.js';
import { summarizeRounds } from '../../../bench/lib/harness.js';

const window = (perSecond: number, bad = 0) => ({
  'c16 CloudEvents/s': perSecond,
  'c16 server CPU µs/CloudEvent': Math.round(400_000 / perSecond),
  'c16 non-2xx': bad,
  'c16 errors': 0,
});

const raw = {
  'hello-world': [window(1000), window(1200), window(1100)],
  'alertIngest-sqlite': [window(700), window(660), window(770)],
  'alertIngest-postgres': [window(200), window(300), window(250, 2)],
};

const verdicts = () =>
  throughputVerdicts(summarizeRounds(raw), raw, {
    connections: [16],
    baseline: 'hello-world',
    variants: ['alertIngest-sqlite', 'alertIngest-postgres'],
  });

test('ingest report: the ratio is of medians, with the per-round range beside it', (t) => {
  const [sqlite, postgres] = verdicts();
  t.true(sqlite?.met);
  t.is(
    sqlite?.detail,
    '0.636× (median 700 vs 1100 CloudEvents/s; per round 0.550–0.700×; server CPU 571 vs 364 µs per CloudEvent)',
  );
  t.false(postgres?.met);
  t.regex(postgres?.target ?? '', /^alertIngest-postgres: ≥ 0\.6× .* at concurrency 16$/);
});

test('ingest report: rounds are paired by index', (t) => {
  t.deepEqual(
    pairedRatios(raw, 'alertIngest-sqlite', 'hello-world', 'c16 CloudEvents/s'),
    [0.7, 0.55, 0.7],
  );
});

test('ingest report: any non-2xx answer misses the all-2xx target, naming the variant', (t) => {
  const last = verdicts().at(-1);
  t.false(last?.met);
  t.is(last?.detail, 'alertIngest-postgres: 2');
});

test('ingest report: a message not handled misses the latency target', (t) => {
  const ok = {
    'messages handled': 200,
    'messages not handled': 0,
    'relay forward failures': 0,
    redeliveries: 0,
  };
  t.true(latencyVerdicts({ a: [ok, ok] })[0]?.met);
  const lost = latencyVerdicts({ a: [ok, { ...ok, 'messages not handled': 1 }] })[0];
  t.false(lost?.met);
  t.is(lost?.detail, 'a: 1 not handled, 0 relay forward failures, 0 redeliveries');
  t.false(latencyVerdicts({ a: [{ ...ok, redeliveries: 1 }] })[0]?.met);
});

test('ingest report: the store floor is set against hello-world, and alertIngest against its floor', (t) => {
  const withFloor = {
    ...raw,
    'floor-sqlite': [window(880), window(800), window(900)],
  };
  t.deepEqual(floorLines(summarizeRounds(withFloor), [16]), [
    'sqlite, one durable write per CloudEvent: c16: floor 0.800× hello-world, alertIngest 0.795× the floor (700 vs 880 CloudEvents/s)',
  ]);
});
