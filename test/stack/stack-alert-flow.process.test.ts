/**
 * The local stack's alert flow end to end, as `npm start` runs it: the real service (main.js, the
 * committed model) with fault injection, healthSweep and alertIngest on the real Functions
 * Framework, the real Cloud Pub/Sub emulator with the topology ensured, and the Eventarc relay.
 * A model fault → a sweep finding → published to alert-ingest → pushed through the relay →
 * alertIngest → a log-notifier line in the stack's output; Ctrl-C then stops everything, the
 * emulator's JVM included. Without an emulator the same fault reaches the log notifier in-process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { request } from '../helpers/child-service.js';
import { needsEmulatorBinary } from '../helpers/pubsub-emulator.js';
import {
  alive,
  type StackProcess,
  startStack,
  stopStack,
  tempStoreUrl,
} from '../helpers/stack-process.js';

const ADMIN = 'admin-key-0123456789abcdef';

/** InferUnhealthy without its 2-minute `for`, so one unhealthy sweep fires it. */
function unhealthyRuleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-rules-'));
  writeFileSync(
    join(dir, 'unhealthy.yaml'),
    [
      'rules:',
      '  - alertname: InferUnhealthy',
      '    type: threshold',
      '    severity: warning',
      '    metric: health_status',
      '    op: ">="',
      '    value: 2',
      '    for: 0s',
      '    summary: "{{target}} reports health_status {{value}}"',
      '',
    ].join('\n'),
  );
  return dir;
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

test('local stack: a model fault becomes a sweep finding, goes through the emulator and the Eventarc relay to alertIngest, and reaches the log notifier; Ctrl-C stops every process, the JVM too', async (t) => {
  if (needsEmulatorBinary(t) === null) return;
  const stack = startStack(
    {
      STORE_URL: tempStoreUrl().url,
      ENABLE_FAULT_INJECTION: 'true',
      ADMIN_API_KEYS: ADMIN,
      SWEEP_RULES_DIR: unhealthyRuleDir(),
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
    t.like(notified, { source: 'runwatch', receiver: 'log', severity: 'warning' });
    t.true(
      stack.lines.some((l) => l.source === 'sweep' && l.json?.event === 'sweep.published'),
      'the sweep published its finding',
    );
    process.kill(-stack.pid, 'SIGINT');
    const exit = await stack.exited;
    t.is(exit.code, 0, stack.stderr());
    for (const [name, pid] of Object.entries(pids))
      t.false(alive(pid), `${name} (pid ${pid}) gone`);
  } finally {
    await stopStack(stack);
  }
});

test('local stack: without an emulator the alert flow runs in-process, says so in one line with how to install one, and the fault still reaches the log notifier', async (t) => {
  const stack = startStack({
    STORE_URL: tempStoreUrl().url,
    ENABLE_FAULT_INJECTION: 'true',
    ADMIN_API_KEYS: ADMIN,
    SWEEP_RULES_DIR: unhealthyRuleDir(),
    PUBSUB_EMULATOR_BIN: '/nonexistent/cloud-pubsub-emulator',
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
    t.like(notified, { source: 'runwatch', status: 'firing' });
  } finally {
    await stopStack(stack);
  }
});
