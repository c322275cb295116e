/**
 * The local stack's failure paths: a taken port stops it before anything starts; a child that
 * dies (the service, healthSweep, alertTick) stops the rest and the supervisor exits non-zero, passing the child's code through.
 */
import net from 'node:net';
import test from 'ava';
import { alive, startStack, stopStack, tempStoreUrl } from '../helpers/stack-process.js';

function listenOnFreePort(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

for (const variable of ['PORT', 'SWEEP_PORT', 'TICK_PORT'] as const) {
  test(`local stack: a taken ${variable} fails at once with exit 69, naming ${variable} and the port, and starts nothing`, async (t) => {
    const blocker = await listenOnFreePort();
    const port = (blocker.address() as net.AddressInfo).port;
    const t0 = performance.now();
    const stack = startStack({ STORE_URL: tempStoreUrl().url, [variable]: String(port) });
    try {
      const exit = await stack.exited;
      t.is(exit.code, 69);
      t.true(exit.at - t0 < 5000, `failed in ${Math.round(exit.at - t0)} ms`);
      t.regex(stack.stderr(), new RegExp(`${variable}=${port}: port ${port}.* is already in use`));
      t.regex(stack.stderr(), /choose another port/);
      t.deepEqual(stack.events('stack', 'stack.child_started'), []);
      t.like(stack.events('stack', 'stack.failed')[0], {
        code: 'STACK_ERR_PORT_IN_USE',
        variable,
      });
    } finally {
      blocker.close();
      await stopStack(stack);
    }
  });
}

for (const [name, key] of [
  ['healthSweep', 'sweep'],
  ['alertTick', 'tick'],
] as const) {
  test(`local stack: ${name} dying stops the service and the other functions, and the supervisor exits 1, naming the child`, async (t) => {
    const stack = startStack({ STORE_URL: tempStoreUrl().url });
    try {
      const ready = await stack.waitFor('stack', 'stack.ready', 30_000);
      const pids = ready.pids as Record<'service' | 'sweep' | 'ingest' | 'tick', number>;
      process.kill(pids[key], 'SIGKILL');
      const exit = await stack.exited;
      t.is(exit.code, 1);
      t.regex(
        stack.stderr(),
        new RegExp(`${name} \\(pid ${pids[key]}\\) was killed by SIGKILL unexpectedly`),
      );
      t.like(stack.events('stack', 'stack.failed')[0], { code: 'STACK_ERR_CHILD_EXITED' });
      for (const other of ['service', 'sweep', 'ingest', 'tick'] as const)
        t.false(alive(pids[other]), `${other} pid gone`);
      t.is(stack.events('service', 'drain.started').length, 1, 'the service drained');
    } finally {
      await stopStack(stack);
    }
  });
}

test('local stack: a service that cannot load its model stops the stack with its exit code 66', async (t) => {
  const stack = startStack({ STORE_URL: tempStoreUrl().url, MODEL_PATH: '/nonexistent/model' });
  try {
    const exit = await stack.exited;
    t.is(exit.code, 66);
    t.regex(stack.stderr(), /service \(pid \d+\) exited with code 66 unexpectedly/);
    t.deepEqual(stack.events('stack', 'stack.ready'), []);
    const started = stack.events('stack', 'stack.child_started');
    for (const c of started) t.false(alive(c.pid as number), `${c.child} pid gone`);
  } finally {
    await stopStack(stack);
  }
});
