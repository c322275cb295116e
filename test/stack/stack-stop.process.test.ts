/**
 * Stopping the local stack the way a terminal does: Ctrl-C sends SIGINT to the whole foreground
 * process group, here the supervisor started as a group leader (`detached`) with its children in
 * its group. The service is the drain fixture (the real service with a model that takes as long
 * as a `delay=<ms>;` text asks), so a predict is certainly in flight when the signal lands.
 */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { request, sleep, tinyModelDir } from '../helpers/child-service.js';
import { needsEmulatorBinary } from '../helpers/pubsub-emulator.js';
import { alive, startStack, stopStack, tempStoreUrl } from '../helpers/stack-process.js';

const DRAIN_FIXTURE = fileURLToPath(new URL('../fixtures/drain-service.js', import.meta.url));

test('local stack: Ctrl-C (SIGINT to the process group, twice to the supervisor as npm forwards it) lets an in-flight predict finish, stops every process and exits 0 within 15 s', async (t) => {
  const stack = startStack(
    {
      STORE_URL: tempStoreUrl().url,
      STACK_SERVICE_ENTRY: DRAIN_FIXTURE,
      MODEL_PATH: await tinyModelDir(),
    },
    { detached: true },
  );
  try {
    const ready = await stack.waitFor('stack', 'stack.ready', 30_000);
    const pids = ready.pids as { service: number; sweep: number } & Record<string, number>;
    const port = Number(new URL(ready.serviceUrl as string).port);
    const inFlight = request(port, '/predict', { body: { text: 'delay=1500;slow but fine' } });
    await sleep(300);
    const t0 = performance.now();
    process.kill(-stack.pid, 'SIGINT');
    // npm forwards the Ctrl-C to its child once its own handler ran (two signals sent back to
    // back would merge into one pending signal).
    await sleep(50);
    process.kill(stack.pid, 'SIGINT');
    const [res, exit] = await Promise.all([inFlight, stack.exited]);
    t.is(res.status, 200, `in-flight predict: ${JSON.stringify(res)}`);
    t.is(exit.code, 0, stack.stderr());
    t.true(exit.at - t0 < 15_000, `stopped in ${Math.round(exit.at - t0)} ms`);
    for (const [name, pid] of Object.entries(pids)) {
      t.false(alive(pid), `${name} (pid ${pid}) gone`);
    }
    const drained = stack.events('service', 'drain.completed')[0];
    t.like(drained, { drained: 1, abandoned: 0 });
    t.is(stack.events('service', 'drain.started').length, 1, 'the service got one signal');
    t.is(
      stack.events('stack', 'stack.child_signalled').filter((e) => e.child === 'service').length,
      0,
    );
    t.true(
      stack.events('stack', 'stack.signal_ignored').length >= 1,
      'the second SIGINT is ignored',
    );
  } finally {
    await stopStack(stack);
  }
});

test('local stack: Ctrl-C while healthSweep is still starting (before it has a signal handler) stops every process and exits 0', async (t) => {
  const stack = startStack(
    { STORE_URL: tempStoreUrl().url, MODEL_PATH: await tinyModelDir() },
    { detached: true },
  );
  try {
    const started = await stack.waitFor(
      'stack',
      'stack.child_started',
      30_000,
      (e) => e.child === 'healthSweep',
    );
    process.kill(-stack.pid, 'SIGINT');
    const exit = await stack.exited;
    const stopped = stack.events('stack', 'stack.stopped')[0] as {
      exits: Record<string, { code: number | null; signal: string | null }>;
    };
    t.log(`healthSweep exit: ${JSON.stringify(stopped?.exits.healthSweep)}`);
    t.is(exit.code, 0, stack.stderr());
    t.false(alive(started.pid as number), 'healthSweep pid gone');
  } finally {
    await stopStack(stack);
  }
});

test('local stack: Ctrl-C while the Pub/Sub emulator is starting stops cleanly with exit 0', async (t) => {
  if (needsEmulatorBinary(t) === null) return;
  const stack = startStack(
    { STORE_URL: tempStoreUrl().url, MODEL_PATH: await tinyModelDir() },
    { detached: true },
  );
  try {
    await stack.waitFor('stack', 'stack.pubsub_starting', 30_000);
    process.kill(-stack.pid, 'SIGINT');
    const exit = await stack.exited;
    t.is(exit.code, 0, stack.stderr());
    t.is(stack.events('stack', 'stack.failed').length, 0, stack.stderr());
  } finally {
    await stopStack(stack);
  }
});
