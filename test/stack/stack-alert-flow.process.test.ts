/**
 * The local stack's alert flow end to end, as `npm start` runs it: the real service (main.js, the
 * committed model) with fault injection, healthSweep and alertIngest on the real Functions
 * Framework, the real Cloud Pub/Sub emulator with the topology ensured, and the Eventarc relay.
 * A model fault → a sweep finding → published to alert-ingest → pushed through the relay →
 * alertIngest → the alert engine → one log-notifier line in the stack's output, however many
 * sweeps re-send the finding; Ctrl-C then stops everything, the emulator's JVM included. Without
 * an emulator the same fault reaches the engine and the log notifier in-process. The stacks run
 * an ALERTING_FILE with `group_wait: 0s` and a log receiver only, so the engine notifies on the
 * first alert rather than at a tick 30 s later.
 */
import test from 'ava';
import { request } from '../helpers/child-service.js';
import { needsEmulatorBinary } from '../helpers/pubsub-emulator.js';
import {
  alive,
  quickAlertingFile,
  type StackProcess,
  startStack,
  stopStack,
  tempStoreUrl,
  unhealthyRuleDir,
} from '../helpers/stack-process.js';

const ADMIN = 'admin-key-0123456789abcdef';

/** One log receiver, notified as soon as a group gets its first alert. */
const quickAlerting = () =>
  quickAlertingFile({ receiver: 'log', groupInterval: '5m', integrations: ['- type: log'] });

/**
 * With the fault still on, `sweeps` more sweeps re-send the firing finding to the engine (more
 * `alert.ingested` lines from `source`), and the notification stays the only one.
 */
async function repeatedSweepsAddNone(
  t: import('ava').ExecutionContext,
  stack: StackProcess,
  source: string,
  sweeps = 3,
) {
  const firing = (event: string) =>
    stack
      .events(source, event)
      .filter((l) => l.alertname === 'InferUnhealthy' && l.status === 'firing');
  const ingestedBefore = firing('alert.ingested').length;
  const sweptBefore = stack.events('stack', 'scheduler.sweep').length;
  await stack.waitFor(
    'stack',
    'scheduler.sweep',
    15_000,
    () => stack.events('stack', 'scheduler.sweep').length >= sweptBefore + sweeps,
  );
  await stack.waitFor(
    source,
    'alert.ingested',
    15_000,
    () => firing('alert.ingested').length > ingestedBefore,
  );
  // A tick flushes whatever group is due; one after the repeats gives a re-notify its chance.
  const ticks = stack.events('stack', 'scheduler.tick').length;
  await stack.waitFor(
    'stack',
    'scheduler.tick',
    10_000,
    () => stack.events('stack', 'scheduler.tick').length > ticks,
  );
  t.is(firing('alert.notification').length, 1, 'one notification, however many sweeps');
  for (const other of ['ingest', 'sweep', 'tick'].filter((s) => s !== source))
    t.is(
      stack.events(other, 'alert.notification').length,
      0,
      `no notification from ${other} as well`,
    );
}

async function faultToNotification(t: import('ava').ExecutionContext, stack: StackProcess) {
  const ready = await stack.waitFor('stack', 'stack.ready', 45_000);
  const port = Number(new URL(ready.serviceUrl as string).port);
  const res = await request(port, '/admin/faults', {
    body: { model: 'fail' },
    headers: { 'x-api-key': ADMIN },
  });
  t.is(res.status, 200, res.body);
  return ready;
}

test('local stack: a model fault becomes a sweep finding, goes through the emulator and the Eventarc relay to alertIngest and the engine, and reaches the log notifier once; Ctrl-C stops every process, the JVM too', async (t) => {
  if (needsEmulatorBinary(t) === null) return;
  const stack = startStack(
    {
      STORE_URL: tempStoreUrl().url,
      ENABLE_FAULT_INJECTION: 'true',
      ADMIN_API_KEYS: ADMIN,
      SWEEP_RULES_DIR: unhealthyRuleDir(),
      ALERTING_FILE: quickAlerting(),
    },
    { detached: true },
  );
  try {
    const ready = await faultToNotification(t, stack);
    const pids = ready.pids as Record<string, number>;
    t.true(typeof pids.pubsub === 'number' && alive(pids.pubsub), 'the emulator runs');
    t.regex(ready.pubsub as string, /^127\.0\.0\.1:\d+$/);
    const table = stack.plain().join('\n');
    t.regex(table, /alertIngest +POST http:\/\/127\.0\.0\.1:\d+\//);
    t.regex(table, /pubsub +emulator 127\.0\.0\.1:\d+ +pid \d+, log /);
    const notified = await stack.waitFor(
      'ingest',
      'alert.notification',
      30_000,
      (l) => l.alertname === 'InferUnhealthy' && l.status === 'firing',
    );
    t.like(notified, {
      source: 'runwatch',
      receiver: 'log',
      severity: 'warning',
      reason: 'first notification',
    });
    t.true(
      stack.lines.some((l) => l.source === 'sweep' && l.json?.event === 'sweep.published'),
      'the sweep published its finding',
    );
    // The hand-off is logged once the engine took it (and notified, at a group_wait of 0).
    await stack.waitFor(
      'ingest',
      'alert.ingested',
      10_000,
      (l) => l.alertname === 'InferUnhealthy',
    );
    await repeatedSweepsAddNone(t, stack, 'ingest');
    process.kill(-stack.pid, 'SIGINT');
    const exit = await stack.exited;
    t.is(exit.code, 0, stack.stderr());
    for (const [name, pid] of Object.entries(pids))
      t.false(alive(pid), `${name} (pid ${pid}) gone`);
  } finally {
    await stopStack(stack);
  }
});

test('local stack: without an emulator the alert flow runs in-process, says so in one line with how to install one, and the fault still reaches the engine and the log notifier once', async (t) => {
  const stack = startStack({
    STORE_URL: tempStoreUrl().url,
    ENABLE_FAULT_INJECTION: 'true',
    ADMIN_API_KEYS: ADMIN,
    SWEEP_RULES_DIR: unhealthyRuleDir(),
    PUBSUB_EMULATOR_BIN: '/nonexistent/cloud-pubsub-emulator',
    ALERTING_FILE: quickAlerting(),
  });
  try {
    const ready = await faultToNotification(t, stack);
    t.is(ready.pubsub, 'off');
    const off = stack.events('stack', 'stack.pubsub_off');
    t.is(off.length, 1);
    t.regex(String(off[0]?.reason), /PUBSUB_EMULATOR_BIN=.* is not an executable file; .*install/);
    t.regex(stack.plain().join('\n'), /pubsub +off: findings go to ingest in-process/);
    const notified = await stack.waitFor(
      'sweep',
      'alert.notification',
      30_000,
      (l) => l.alertname === 'InferUnhealthy',
    );
    t.like(notified, { source: 'runwatch', status: 'firing', reason: 'first notification' });
    await repeatedSweepsAddNone(t, stack, 'sweep');
  } finally {
    await stopStack(stack);
  }
});
