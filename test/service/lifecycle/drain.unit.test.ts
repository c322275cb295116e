import test from 'ava';
import type { ConnectionStats, ConnectionTracker } from '../../../service/lifecycle/connections.js';
import { createDrainer, type ShutdownHandler } from '../../../service/lifecycle/drain.js';
import { createLifecycle, SERVICE_IS_DRAINING } from '../../../service/lifecycle/state.js';
import { sinkLogger } from '../../helpers/log-sink.js';

/** A recording stand-in for the socket tracker; the real one is exercised in drain.process tests. */
function recordingConnections(opts: { quietAfterMs: number | null; inFlight?: number }) {
  const calls: string[] = [];
  let inFlight = opts.inFlight ?? 0;
  const tracker: ConnectionTracker = {
    get inFlight() {
      return inFlight;
    },
    stats: (): ConnectionStats => ({ finishedDuringDrain: 3, inFlight, sockets: 0 }),
    markDraining: () => calls.push('markDraining'),
    stopAccepting: () => calls.push('stopAccepting'),
    endIdleSockets: (ms) => calls.push(`endIdleSockets:${ms}`),
    holdBack: () => calls.push('holdBack'),
    heldBack: 0,
    whenQuiet: () =>
      new Promise<void>((resolve) => {
        calls.push('whenQuiet');
        if (opts.quietAfterMs !== null)
          setTimeout(() => {
            inFlight = 0;
            resolve();
          }, opts.quietAfterMs);
      }),
    destroyAll: () => {
      calls.push('destroyAll');
      return inFlight;
    },
  };
  return { tracker, calls };
}

function setup(opts: {
  quietAfterMs?: number | null;
  inFlight?: number;
  handlers?: ShutdownHandler[];
  preCloseDelayMs?: number;
  timeoutMs?: number;
  handlersTimeoutMs?: number;
}) {
  const sink = sinkLogger();
  const lifecycle = createLifecycle();
  const { tracker, calls } = recordingConnections({
    quietAfterMs: opts.quietAfterMs === undefined ? 10 : opts.quietAfterMs,
    ...(opts.inFlight === undefined ? {} : { inFlight: opts.inFlight }),
  });
  const exits: number[] = [];
  const drainer = createDrainer({
    lifecycle,
    connections: tracker,
    budgets: {
      preCloseDelayMs: opts.preCloseDelayMs ?? 0,
      timeoutMs: opts.timeoutMs ?? 500,
      handlersTimeoutMs: opts.handlersTimeoutMs ?? 300,
    },
    handlers: opts.handlers ?? [],
    log: sink.log,
    terminate: (code) => exits.push(code),
  });
  return { drainer, lifecycle, calls, exits, sink };
}

test('drainer: a clean drain closes the listener, waits for quiet, and exits 0', async (t) => {
  const { drainer, lifecycle, calls, exits, sink } = setup({});
  const result = await drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  t.is(lifecycle.state, SERVICE_IS_DRAINING);
  t.deepEqual(calls, [
    'markDraining',
    'stopAccepting',
    'endIdleSockets:100',
    'whenQuiet',
    'destroyAll',
  ]);
  t.deepEqual(exits, [0]);
  t.is(result?.abandoned, 0);
  t.deepEqual(sink.events(), ['drain.started', 'drain.completed', 'shutdown.completed']);
});

test('drainer: the deadline destroys what is left, counts it abandoned, and exits 1', async (t) => {
  const { drainer, exits, sink } = setup({ quietAfterMs: null, inFlight: 2, timeoutMs: 50 });
  const result = await drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  t.is(result?.abandoned, 2);
  t.deepEqual(exits, [1]);
  const completed = sink.lines.find((l) => l.event === 'drain.completed');
  t.is(completed?.abandoned, 2);
  t.is(completed?.severity, 'WARNING');
});

test('drainer: the pre-close delay passes before the listener closes', async (t) => {
  const { drainer, lifecycle, calls } = setup({ preCloseDelayMs: 80 });
  const done = drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  await new Promise((r) => setTimeout(r, 30));
  t.is(lifecycle.phase, 'pre-close');
  t.deepEqual(calls, ['markDraining']);
  await done;
  t.is(lifecycle.phase, 'closing');
  t.true(calls.includes('stopAccepting'));
});

test('drainer: handlers run in order and a throwing one does not stop later ones', async (t) => {
  const ran: string[] = [];
  const { drainer, exits, sink } = setup({
    handlers: [
      { name: 'first', run: () => void ran.push('first') },
      {
        name: 'broken',
        run: () => {
          ran.push('broken');
          throw new Error('boom');
        },
      },
      { name: 'last', run: async () => void ran.push('last') },
    ],
  });
  const result = await drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  t.deepEqual(ran, ['first', 'broken', 'last']);
  t.deepEqual(result?.failedHandlers, ['broken']);
  t.deepEqual(exits, [1]);
  t.is(sink.lines.find((l) => l.event === 'shutdown.handler.failed')?.handler, 'broken');
});

test('drainer: a hanging handler is cut at its share of the total and the next one still runs', async (t) => {
  const ran: string[] = [];
  const { drainer, sink } = setup({
    handlersTimeoutMs: 200,
    handlers: [
      { name: 'hangs', run: () => new Promise<void>(() => {}) },
      { name: 'after', run: () => void ran.push('after') },
    ],
  });
  const t0 = performance.now();
  await drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  const took = performance.now() - t0;
  t.deepEqual(ran, ['after']);
  t.true(took < 400, `took ${Math.round(took)} ms`);
  const failed = sink.lines.find((l) => l.event === 'shutdown.handler.failed');
  t.is(failed?.timedOut, true);
});

test('drainer: a second request while draining exits 1 at once', async (t) => {
  const { drainer, exits } = setup({ quietAfterMs: null, timeoutMs: 10_000 });
  void drainer.drain({ kind: 'signal', signal: 'SIGTERM' });
  const second = await drainer.drain({ kind: 'signal', signal: 'SIGINT' });
  t.is(second, null);
  t.deepEqual(exits, [1]);
});

test('drainer: a fatal error drains like a signal but exits 1', async (t) => {
  const { drainer, exits, calls } = setup({});
  await drainer.drain({ kind: 'error', error: new Error('boom'), origin: 'uncaughtException' });
  t.true(calls.includes('stopAccepting'));
  t.deepEqual(exits, [1]);
});
