/**
 * The heartbeat watch on a real (in-memory) SQLite store with real timers: silence fires
 * SweeperAbsent into the store, a stored sweep resolves it, and a restarted watch remembers;
 * absence is judged by when a sweep was recorded, never by its caller-given schedule time.
 */
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import { runSweep } from '../../alerts/sweep/sweep.js';
import { createHeartbeatWatch } from '../../stack/heartbeat.js';
import { sinkLogger } from '../helpers/log-sink.js';

const JOB = 'local-health-sweep';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('heartbeat watch: fires SweeperAbsent into the store after the silence, resolves on a fresh sweep, and a restart keeps it open', async (t) => {
  const store = await openStore('sqlite::memory:', { platform: 'local' });
  const { log, lines } = sinkLogger();
  const absent = async () =>
    (await store.findings({ target: JOB })).filter((f) => f.alertname === 'SweeperAbsent');
  const watch = () =>
    createHeartbeatWatch({ store, job: JOB, everyMs: 50, maxSilenceMs: 300, log });
  let w = watch();
  try {
    await w.start();
    await sleep(120);
    t.deepEqual(await absent(), [], 'quiet within the first 300 ms of the watch');
    await sleep(350);
    const fired = await absent();
    t.true(fired.length >= 1);
    t.like(fired[0], { state: 'firing', target: JOB, severity: 'critical' });
    t.true(fired[0]?.sweepId.startsWith('heartbeat@'));
    t.true(lines.some((l) => l.event === 'heartbeat.finding' && l.state === 'firing'));

    // Restarted while firing: the grace of the new watch does not resolve it.
    await w.stop();
    w = watch();
    await w.start();
    await sleep(120);
    t.is((await absent()).at(-1)?.state, 'firing');

    await store.recordSweep({
      sweepId: `${JOB}@now`,
      ts: Date.now(),
      recordedAt: Date.now(),
      summary: {},
    });
    await sleep(120);
    const after = await absent();
    t.is(after.at(-1)?.state, 'resolved');
    await sleep(80);
    t.is((await absent()).length, after.length, 'resolved once, then quiet');
  } finally {
    await w.stop();
    await store.close();
  }
});

test('heartbeat watch: a sweep recorded now under a far-future schedule time does not postpone SweeperAbsent (issue 16, finding 3)', async (t) => {
  const store = await openStore('sqlite::memory:', { platform: 'local' });
  const { log } = sinkLogger();
  // One clock for the sweep and the watch, moved by hand; the watch ticks on real timers.
  let clock = Date.UTC(2026, 10, 27, 12, 0);
  const now = () => clock;
  const w = createHeartbeatWatch({ store, job: JOB, everyMs: 10, maxSilenceMs: 300, now, log });
  try {
    await w.start();
    const forged = Date.UTC(2099, 0, 1);
    await runSweep(
      { store, targets: [], rules: [], log, now },
      { sweepId: `${JOB}@${new Date(forged).toISOString()}`, ts: forged },
    );
    t.like(await store.latestSweep(), { ts: forged, recordedAt: clock });
    clock += 301;
    const deadline = Date.now() + 3000;
    let fired: Awaited<ReturnType<typeof store.findings>> = [];
    while (fired.length === 0 && Date.now() < deadline) {
      await sleep(20);
      fired = (await store.findings({ target: JOB })).filter(
        (f) => f.alertname === 'SweeperAbsent',
      );
    }
    t.like(fired[0], { state: 'firing', target: JOB, annotations: { observed: 0.3 } });
  } finally {
    await w.stop();
    await store.close();
  }
});

test('heartbeat watch: a sweep recorded by a clock far ahead does not keep SweeperAbsent quiet', async (t) => {
  const store = await openStore('sqlite::memory:', { platform: 'local' });
  const { log } = sinkLogger();
  let clock = Date.UTC(2026, 10, 27, 12, 0);
  const now = () => clock;
  const w = createHeartbeatWatch({ store, job: JOB, everyMs: 10, maxSilenceMs: 300, now, log });
  try {
    await w.start();
    // A sweeper instance whose clock is a year ahead records its sweep.
    const ahead = () => clock + 365 * 24 * 3_600_000;
    await runSweep(
      { store, targets: [], rules: [], log, now: ahead },
      { sweepId: `${JOB}@ahead`, ts: clock },
    );
    clock += 301;
    const deadline = Date.now() + 3000;
    let fired: Awaited<ReturnType<typeof store.findings>> = [];
    while (fired.length === 0 && Date.now() < deadline) {
      await sleep(20);
      fired = (await store.findings({ target: JOB })).filter(
        (f) => f.alertname === 'SweeperAbsent',
      );
    }
    t.like(fired[0], { state: 'firing', target: JOB });
  } finally {
    await w.stop();
    await store.close();
  }
});
