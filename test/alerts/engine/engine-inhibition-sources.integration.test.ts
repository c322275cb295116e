/**
 * The engine's read of inhibition sources is bounded: the store tests the rules' source matchers
 * in its query, so a flood of other active alerts is not read, and at most
 * `maxInhibitionSources` candidates are (firing and longest-standing first; past that a warning,
 * and the rest do not mute). Run on the real SQLite engine store (in memory) and on PostgreSQL
 * (a new schema per test), through `receive` and `flushDue` at a controlled clock.
 */
import test from 'ava';
import { createEngine, type FlushOutcome } from '../../../alerts/engine/engine.js';
import { parseEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import type { Stores } from '../../../alerts/store/open.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { storeBackends } from '../../helpers/store-backends.js';

const T0 = 1_780_000_000_000;
const M = 60_000;

const DEFS = (sourceMatcher: string) => `
route: { receiver: r, group_by: [alertname, target], group_wait: 1m, group_interval: 5m }
receivers: [{ name: r, integrations: [{ type: log }] }]
inhibit_rules:
  - source_matchers: ['${sourceMatcher}']
    target_matchers: ['alertname="InferLatencyHigh"']
    equal: [target]
`;
const PUSHED = DEFS('alertname=~"InferDown|InferTargetAbsent"');
/** A matcher the store cannot test: every active alert is a candidate. */
const NOT_PUSHED = DEFS('alertname=~"Infer(Down|TargetAbsent)"');

const backends = await storeBackends('engine inhibition sources');

let seq = 0;
const fire = (labels: Record<string, string>, at: number): IncomingAlert => ({
  source: 'monitoring',
  dedupeKey: `k${seq++}`,
  lifecycleId: `i${seq}`,
  status: 'firing',
  labels,
  annotations: {},
  startsAt: at,
  endsAt: null,
});

/**
 * Fires `noise` unrelated alerts, then InferDown for each of `down` (a second apart, in order),
 * then InferLatencyHigh for each of `slow`; flushes everything a group_wait later. Returns the
 * targets whose latency alert was notified, and the warnings logged.
 */
async function run(
  stores: Stores,
  definitions: string,
  o: { noise: number; down: string[]; slow: string[]; max: number },
) {
  let clock = T0;
  const sink = sinkLogger('warn');
  const engine = createEngine({
    config: parseEngineDefinitions(definitions, 'test.yaml'),
    store: stores.engine,
    log: sink.log,
    now: () => clock,
    maxInhibitionSources: o.max,
  });
  const receive = async (labels: Record<string, string>) => {
    clock += 1000;
    await engine.receive(fire(labels, clock));
  };
  for (let i = 0; i < o.noise; i++) await receive({ alertname: 'Noise', target: `n${i}` });
  for (const target of o.down) await receive({ alertname: 'InferDown', target });
  for (const target of o.slow) await receive({ alertname: 'InferLatencyHigh', target });
  clock += 2 * M;
  const flushed: FlushOutcome[] = await engine.flushDue();
  const notified = flushed
    .filter((f) => f.reason !== null && f.groupKey.includes('InferLatencyHigh'))
    .map((f) => /target="([^"]*)"/.exec(f.groupKey)?.[1])
    .sort();
  return { notified, warnings: sink.lines.filter((l) => l.severity === 'WARNING') };
}

for (const backend of backends) {
  const open = async () => {
    const stores = await backend.open();
    return stores;
  };

  test(`engine (${backend.name}): a flood of other active alerts past the cap does not crowd out the inhibition sources`, async (t) => {
    const got = await run(await open(), PUSHED, {
      noise: 20,
      down: ['a', 'b'],
      slow: ['a', 'b', 'c'],
      max: 3,
    });
    t.deepEqual(got.notified, ['c']);
    t.deepEqual(got.warnings, []);
  });

  test(`engine (${backend.name}): past the cap the longest-standing sources mute, the rest do not, and a warning says so`, async (t) => {
    const got = await run(await open(), PUSHED, {
      noise: 5,
      down: ['a', 'b', 'c'],
      slow: ['a', 'b', 'c'],
      max: 2,
    });
    t.deepEqual(got.notified, ['c']);
    t.like(got.warnings, [{ event: 'alert.inhibition_sources_capped', limit: 2, filtered: true }]);
    t.is(got.warnings.length, 1);
  });

  test(`engine (${backend.name}): source matchers the store cannot test read every active alert, up to the cap`, async (t) => {
    const within = await run(await open(), NOT_PUSHED, {
      noise: 3,
      down: ['a'],
      slow: ['a', 'b'],
      max: 10,
    });
    t.deepEqual(within.notified, ['b']);
    t.deepEqual(within.warnings, []);
    // The noise came first, so it fills the cap and the source is not read.
    const past = await run(await open(), NOT_PUSHED, {
      noise: 3,
      down: ['a'],
      slow: ['a', 'b'],
      max: 3,
    });
    t.deepEqual(past.notified, ['a', 'b']);
    t.like(past.warnings, [
      { event: 'alert.inhibition_sources_capped', limit: 3, filtered: false },
    ]);
  });
}
