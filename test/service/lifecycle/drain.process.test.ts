/**
 * The drain scenarios of cloud-run-and-drain.md §5 against the real service in a child process:
 * real signals, real keep-alive sockets, the real ONNX runtime. Bounds are coarse on purpose
 * (they still separate right from wrong); fine timings live in bench/drain.ts.
 */
import http from 'node:http';
import type net from 'node:net';
import test from 'ava';
import {
  connect,
  type Outcome,
  rawGet,
  request,
  sleep,
  startChild,
} from '../../helpers/child-service.js';

const slow = (ms: number) => ({ text: `delay=${ms}; a slow prediction` });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`drain: ${signal} on an idle service exits 0 with lifecycle events in order`, async (t) => {
    const svc = await startChild();
    const sentAt = svc.kill(signal);
    const exit = await svc.exited;
    t.is(exit.code, 0);
    t.true(exit.at - sentAt < 1500, `exit took ${Math.round(exit.at - sentAt)} ms`);
    const events = svc.lines
      .map((l) => l.event)
      .filter((e) => e !== undefined && e !== 'http.request');
    const order = [
      'server.listening',
      'model.ready',
      'drain.started',
      'drain.completed',
      'shutdown.completed',
    ];
    t.deepEqual(
      events.filter((e) => order.includes(e as string)),
      order,
    );
    const started = svc.lines.find((l) => l.event === 'drain.started');
    t.is(started?.reason, signal);
  });
}

test('drain: in-flight predicts on keep-alive sockets complete with Connection: close, exit follows the slowest', async (t) => {
  const svc = await startChild();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  // Open 20 keep-alive connections, then put 10 slow requests in flight on them.
  await Promise.all(Array.from({ length: 20 }, () => request(svc.port, '/health/live', { agent })));
  const inflight = Array.from({ length: 10 }, () =>
    request(svc.port, '/predict', { agent, body: slow(1500) }),
  );
  await sleep(200);
  svc.kill('SIGTERM');
  const results = await Promise.all(inflight);
  const exit = await svc.exited;
  agent.destroy();
  for (const r of results) {
    t.is(r.status, 200, JSON.stringify(r));
    t.is(r.headers?.connection, 'close');
  }
  const slowest = Math.max(...results.map((r) => r.at));
  t.is(exit.code, 0);
  t.true(
    exit.at - slowest < 1000,
    `exit ${Math.round(exit.at - slowest)} ms after the slowest response`,
  );
  const completed = svc.lines.find((l) => l.event === 'drain.completed');
  t.is(completed?.abandoned, 0);
  t.true((completed?.drained as number) >= 10);
});

test('drain: a request on an existing socket during the drain gets 503, Connection: close and Retry-After; a new connection is refused', async (t) => {
  const svc = await startChild();
  const socket = await connect(svc.port);
  const first = await rawGet(socket, '/emotions');
  t.is('status' in first ? first.status : 0, 200);
  const holder = request(svc.port, '/predict', { body: slow(1000) });
  await sleep(100);
  svc.kill('SIGTERM');
  await svc.waitForEvent('drain.started');
  const second = await rawGet(socket, '/emotions');
  if (!('status' in second)) return t.fail(`no response: ${second.error}`);
  t.is(second.status, 503);
  t.is(second.headers.connection, 'close');
  t.is(second.headers['retry-after'], '1');
  t.is((JSON.parse(second.body) as { error: { code: string } }).error.code, 'SVC_ERR_DRAINING');
  const fresh = await request(svc.port, '/emotions');
  t.is(fresh.error, 'ECONNREFUSED');
  t.is((await holder).status, 200);
  t.is((await svc.exited).code, 0);
  socket.destroy();
});

test('drain: 50 idle keep-alive sockets are ended within the quiet period and do not delay exit', async (t) => {
  const svc = await startChild();
  const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(svc.port)));
  for (const s of sockets) {
    const r = await rawGet(s, '/health/live');
    t.is('status' in r ? r.status : 0, 200);
  }
  const closed = sockets.map(
    (s) =>
      new Promise<{ at: number; error: boolean }>((resolve) => {
        let error = false;
        s.on('error', () => {
          error = true;
        });
        s.once('close', () => resolve({ at: performance.now(), error }));
      }),
  );
  const sentAt = svc.kill('SIGTERM');
  const closes = await Promise.all(closed);
  const exit = await svc.exited;
  t.is(exit.code, 0);
  const last = Math.max(...closes.map((c) => c.at)) - sentAt;
  t.true(last < 600, `last idle socket closed ${Math.round(last)} ms after SIGTERM`);
  t.is(closes.filter((c) => c.error).length, 0, 'idle sockets are ended with FIN, not reset');
  t.true(exit.at - sentAt < 1500, `exit ${Math.round(exit.at - sentAt)} ms after SIGTERM`);
});

test('drain: past DRAIN_TIMEOUT_MS the stuck request is abandoned, counted and the exit code is 1', async (t) => {
  const svc = await startChild({ DRAIN_TIMEOUT_MS: '1500' });
  const stuck = request(svc.port, '/predict', { body: slow(30000) });
  await sleep(200);
  const sentAt = svc.kill('SIGTERM');
  const exit = await svc.exited;
  const outcome = await stuck;
  t.is(exit.code, 1);
  const took = exit.at - sentAt;
  t.true(took >= 1400 && took < 3500, `exit ${Math.round(took)} ms after SIGTERM`);
  t.truthy(outcome.error, 'the abandoned request is cut');
  const completed = svc.lines.find((l) => l.event === 'drain.completed');
  t.is(completed?.abandoned, 1);
  t.is(completed?.severity, 'WARNING');
});

test('drain: the pre-close delay keeps serving with readiness 503, then the listener closes', async (t) => {
  const svc = await startChild({ DRAIN_PRE_CLOSE_DELAY_MS: '1000' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.is((await request(svc.port, '/health/ready', { agent })).status, 200);
  const sentAt = svc.kill('SIGTERM');
  await sleep(100);
  const ready = await request(svc.port, '/health/ready', { agent });
  t.is(ready.status, 503);
  t.is(JSON.parse(ready.body ?? '{}').status, 'SERVICE_IS_DRAINING');
  const served = await request(svc.port, '/predict', { body: { text: "I'm still here" } });
  t.is(served.status, 200, 'a new connection during the pre-close delay is still served');
  t.is(served.headers?.connection, 'close');
  t.true(performance.now() - sentAt < 1000);
  const exit = await svc.exited;
  t.is(exit.code, 0);
  t.true(exit.at - sentAt >= 950, `exit ${Math.round(exit.at - sentAt)} ms after SIGTERM`);
  agent.destroy();
});

test('drain: with no pre-close delay (Cloud Run) the listener closes at once', async (t) => {
  const svc = await startChild({
    K_SERVICE: 'runwatch-test',
    ENVIRONMENT: 'staging',
    K_REVISION: 'runwatch-test-00001',
    AUTH_MODE: 'iam',
  });
  const holder = request(svc.port, '/predict', { body: slow(800) });
  await sleep(100);
  svc.kill('SIGTERM');
  await svc.waitForEvent('drain.started');
  await sleep(50);
  t.is((await request(svc.port, '/health/live')).error, 'ECONNREFUSED');
  t.is((await holder).status, 200);
  t.is((await svc.exited).code, 0);
});

test('drain: a second signal during the drain exits 1 at once', async (t) => {
  const svc = await startChild();
  const holder = request(svc.port, '/predict', { body: slow(5000) });
  await sleep(150);
  svc.kill('SIGTERM');
  await svc.waitForEvent('drain.started');
  const secondAt = svc.kill('SIGINT');
  const exit = await svc.exited;
  t.is(exit.code, 1);
  t.true(
    exit.at - secondAt < 500,
    `exit ${Math.round(exit.at - secondAt)} ms after the second signal`,
  );
  t.truthy(svc.lines.find((l) => l.event === 'drain.forced'));
  await holder;
});

test('drain: a throwing shutdown handler is logged, later handlers still run, exit 1', async (t) => {
  const svc = await startChild({ FIXTURE_CLOSE: 'throw' });
  svc.kill('SIGTERM');
  const exit = await svc.exited;
  t.is(exit.code, 1);
  const failed = svc.lines.filter((l) => l.event === 'shutdown.handler.failed');
  t.deepEqual(
    failed.map((l) => l.handler),
    ['model'],
  );
  t.is(failed[0]?.timedOut, false);
  t.truthy(
    svc.lines.find((l) => l.event === 'shutdown.completed'),
    'the handlers after it ran to the end',
  );
});

test('drain: a hanging shutdown handler is cut by its share of SHUTDOWN_HANDLERS_TIMEOUT_MS', async (t) => {
  const svc = await startChild({ FIXTURE_CLOSE: 'hang', SHUTDOWN_HANDLERS_TIMEOUT_MS: '900' });
  const sentAt = svc.kill('SIGTERM');
  const exit = await svc.exited;
  t.is(exit.code, 1);
  t.true(exit.at - sentAt < 2000, `exit ${Math.round(exit.at - sentAt)} ms after SIGTERM`);
  const failed = svc.lines.find((l) => l.event === 'shutdown.handler.failed');
  t.is(failed?.handler, 'model');
  t.is(failed?.timedOut, true);
});

test('probes: startup and ready are 503 until the model loads, live is 200 throughout; after SIGTERM ready is 503 and live 200', async (t) => {
  const svc = await startChild({ FIXTURE_LOAD_DELAY_MS: '1500' }, { waitForReady: false });
  const early = await Promise.all(
    ['/health/live', '/health/startup', '/health/ready', '/health'].map((p) =>
      request(svc.port, p),
    ),
  );
  t.deepEqual(
    early.map((r) => r.status),
    [200, 503, 503, 503],
  );
  t.is(early[1]?.headers?.['retry-after'], '5');
  const predictEarly = await request(svc.port, '/predict', { body: { text: 'too early' } });
  t.is(predictEarly.status, 503);
  t.is(JSON.parse(predictEarly.body ?? '{}').error.code, 'SVC_ERR_MODEL_NOT_READY');
  await svc.waitForEvent('model.ready');
  const later = await Promise.all(
    ['/health/live', '/health/startup', '/health/ready'].map((p) => request(svc.port, p)),
  );
  t.deepEqual(
    later.map((r) => r.status),
    [200, 200, 200],
  );
  // Probes after SIGTERM arrive on sockets opened before it (the listener is closed by then).
  const sockets = await Promise.all([connect(svc.port), connect(svc.port)]);
  const holder = request(svc.port, '/predict', { body: slow(800) });
  await sleep(100);
  svc.kill('SIGTERM');
  await svc.waitForEvent('drain.started');
  const during = await Promise.all([
    rawGet(sockets[0] as net.Socket, '/health/ready'),
    rawGet(sockets[1] as net.Socket, '/health/live'),
  ]);
  t.deepEqual(
    during.map((r) => ('status' in r ? r.status : r.error)),
    [503, 200],
  );
  await holder;
  t.is((await svc.exited).code, 0);
  for (const s of sockets) s.destroy();
});

for (const cue of ['__uncaught__', '__unhandled__'] as const) {
  test(`drain: an ${cue === '__uncaught__' ? 'uncaught exception' : 'unhandled rejection'} drains in-flight work and exits 1`, async (t) => {
    const svc = await startChild();
    const holder = request(svc.port, '/predict', { body: slow(600) });
    await sleep(100);
    await request(svc.port, '/predict', { body: { text: cue } });
    const exit = await svc.exited;
    t.is(exit.code, 1);
    t.is((await holder).status, 200, 'the in-flight request still completed');
    const fatal = svc.lines.find((l) => l.event === 'process.fatal');
    t.is(fatal?.origin, cue === '__uncaught__' ? 'uncaughtException' : 'unhandledRejection');
    t.truthy(svc.lines.find((l) => l.event === 'drain.completed'));
  });
}

test('drain: a tight request loop over keep-alive sockets sees no reset and no truncated body across SIGTERM', async (t) => {
  const svc = await startChild();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const outcomes: Outcome[] = [];
  let stop = false;
  const loop = async () => {
    for (let i = 0; i < 2000 && !stop; i++) {
      const o = await request(svc.port, '/predict', { agent, body: { text: 'racing the drain' } });
      outcomes.push(o);
      if (o.error === 'ECONNREFUSED') break;
    }
  };
  const loops = Array.from({ length: 16 }, loop);
  await sleep(300);
  svc.kill('SIGTERM');
  const exit = await svc.exited;
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  t.is(exit.code, 0);
  const ok = outcomes.filter((o) => o.status === 200 && !o.error).length;
  const refused503 = outcomes.filter(
    (o) => o.status === 503 && o.headers?.connection === 'close',
  ).length;
  const refusedConn = outcomes.filter((o) => o.error === 'ECONNREFUSED').length;
  const resets = outcomes.filter((o) => o.error === 'ECONNRESET' || o.error === 'EPIPE').length;
  const truncated = outcomes.filter((o) => o.error?.startsWith('truncated')).length;
  t.log(
    `200: ${ok}, 503+close: ${refused503}, refused: ${refusedConn}, reset: ${resets}, truncated: ${truncated}`,
  );
  t.true(ok > 50);
  t.is(resets, 0);
  t.is(truncated, 0);
  t.is(
    ok + refused503 + refusedConn,
    outcomes.length,
    'every outcome is one of the allowed classes',
  );
});
