/**
 * The heartbeat watch on a real (in-memory) SQLite store with real timers: silence fires
 * SweeperAbsent into the store, a stored sweep resolves it, and a restarted watch remembers.
 */
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
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

    await store.recordSweep({ sweepId: `${JOB}@now`, ts: Date.now(), summary: {} });
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
