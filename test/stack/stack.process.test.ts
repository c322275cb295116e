/**
 * The local stack as `npm start` runs it: the real supervisor, the real service (main.js and the
 * committed model), healthSweep, alertIngest and alertTick on the real Functions Framework binary,
 * a SQLite store in a temp directory, free ports, and a 1 s scheduler (sweeps and ticks). One stack serves the tests up to its stop.
 */
import net from 'node:net';
import test from 'ava';
import Database from 'better-sqlite3';
import { openStore } from '../../alerts/store/open.js';
import { LOCAL_SWEEP_JOB, LOCAL_TICK_JOB } from '../../stack/scheduler.js';
import { request, until } from '../helpers/child-service.js';
import {
  alive,
  type StackProcess,
  startStack,
  stopStack,
  tempStoreUrl,
} from '../helpers/stack-process.js';

const store = tempStoreUrl();
let stack: StackProcess;
let ready: Record<string, unknown>;
let pids: { stack: number; service: number; sweep: number; ingest: number; tick: number };
let serviceUrl: string;
let sweepUrl: string;
let tickUrl: string;

const sweeps = (): { sweep_id: string; ts: number }[] => {
  const db = new Database(store.file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT sweep_id, ts FROM sweeps ORDER BY ts').all() as {
      sweep_id: string;
      ts: number;
    }[];
  } finally {
    db.close();
  }
};

const portOf = (url: string) => Number(new URL(url).port);

test.before(async () => {
  stack = startStack({ STORE_URL: store.url });
  ready = await stack.waitFor('stack', 'stack.ready', 30_000);
  pids = ready.pids as typeof pids;
  serviceUrl = ready.serviceUrl as string;
  sweepUrl = ready.sweepUrl as string;
  tickUrl = ready.tickUrl as string;
});

test.after.always(() => stopStack(stack));

test.serial(
  'local stack: once ready it prints the URL table of the service, the functions, both scheduler jobs and the store',
  (t) => {
    const table = stack.plain().join('\n');
    t.regex(table, /runwatch local stack is ready/);
    for (const row of [
      `POST ${serviceUrl}/predict`,
      `${serviceUrl}/openapi.json`,
      `${serviceUrl}/metrics`,
      `${serviceUrl}/health`,
      `POST ${sweepUrl}`,
      `POST ${tickUrl}`,
      `pid ${pids.tick}`,
      `${LOCAL_SWEEP_JOB} every 1 s`,
      `${LOCAL_TICK_JOB} every 1 s`,
      'SweeperAbsent after 3 s',
      store.url,
    ]) {
      t.true(table.includes(row), `table row with ${row}:\n${table}`);
    }
    for (const name of ['service', 'sweep', 'ingest', 'tick'] as const)
      t.true(alive(pids[name]), `${name} (pid ${pids[name]}) runs`);
  },
);

test.serial(
  'local stack: healthSweep, alertIngest, alertTick and the service listen on 127.0.0.1 only, so another address of this host is refused',
  async (t) => {
    // 127.0.0.2 reaches this host too: a server on every address would accept it.
    const connects = (port: number, host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ port, host });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    for (const [name, url] of [
      ['healthSweep', sweepUrl],
      ['alertIngest', ready.ingestUrl as string],
      ['alertTick', tickUrl],
      ['service', serviceUrl],
    ] as const) {
      t.true(await connects(portOf(url), '127.0.0.1'), `${name} answers on 127.0.0.1`);
      t.false(await connects(portOf(url), '127.0.0.2'), `${name} refuses 127.0.0.2`);
    }
  },
);

test.serial('local stack: the service answers /predict', async (t) => {
  const res = await request(portOf(serviceUrl), '/predict', {
    body: { text: 'what a lovely day' },
  });
  t.is(res.status, 200, res.body);
  t.truthy((JSON.parse(res.body ?? '{}') as { emotion?: string }).emotion);
});

test.serial(
  'local stack: scheduled sweeps land in the store as <job>@<slot>, one per slot',
  async (t) => {
    // A sweep is stored before healthSweep answers and the supervisor logs the call.
    const landed = () =>
      sweeps().length >= 3 && stack.events('stack', 'scheduler.sweep').length >= 3;
    t.true(await until(async () => landed(), 10_000), 'three sweeps within 10 s');
    const calls = stack.events('stack', 'scheduler.sweep');
    const rows = sweeps();
    for (const r of rows) {
      t.is(r.ts % 1000, 0, `${r.sweep_id} is on a 1 s slot`);
      t.is(r.sweep_id, `${LOCAL_SWEEP_JOB}@${new Date(r.ts).toISOString()}`);
    }
    t.true(calls.length >= 3);
    t.true(
      calls.every((c) => c.status === 200 && c.duplicate === false),
      JSON.stringify(calls),
    );
    const stored = new Set(rows.map((r) => r.sweep_id));
    t.true(
      calls.every((c) => stored.has(c.sweepId as string)),
      'every call answered a stored sweep',
    );
    const scheduled = calls.map((c) => c.scheduleTime as string);
    t.is(new Set(scheduled).size, scheduled.length, 'no slot called twice');
    t.regex(scheduled[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'Cloud Scheduler time format');
  },
);

test.serial(
  'local stack: a repeated Scheduler call for a stored slot is a duplicate, not a new sweep',
  async (t) => {
    const first = sweeps()[0];
    if (first === undefined) return t.fail('no sweep stored');
    const before = sweeps().filter((r) => r.sweep_id === first.sweep_id).length;
    const res = await fetch(sweepUrl, {
      method: 'POST',
      headers: {
        'X-CloudScheduler': 'true',
        'X-CloudScheduler-JobName': LOCAL_SWEEP_JOB,
        'X-CloudScheduler-ScheduleTime': new Date(first.ts).toISOString(),
      },
    });
    const body = (await res.json()) as { sweepId: string; duplicate: boolean };
    t.is(res.status, 200);
    t.deepEqual([body.sweepId, body.duplicate], [first.sweep_id, true]);
    t.is(sweeps().filter((r) => r.sweep_id === first.sweep_id).length, before);
  },
);

test.serial(
  'local stack: alertTick is called every slot, and with the sweeps paused (SIGUSR2) its heartbeat fires SweeperAbsent into the store and the engine, and resolves after resuming',
  async (t) => {
    const s = await openStore(store.url, { platform: 'local' });
    const absent = async () =>
      (await s.findings({ target: LOCAL_SWEEP_JOB })).filter(
        (f) => f.alertname === 'SweeperAbsent',
      );
    try {
      t.deepEqual(await absent(), [], 'quiet while sweeps land');
      const ticks = stack.events('stack', 'scheduler.tick');
      t.true(ticks.length >= 1, 'the tick job runs');
      t.true(
        ticks.every((c) => c.status === 200 && c.job === LOCAL_TICK_JOB && c.heartbeat === null),
        JSON.stringify(ticks),
      );
      process.kill(stack.pid, 'SIGUSR2');
      const paused = await stack.waitFor('stack', 'scheduler.paused', 5000);
      t.is(paused.job, LOCAL_SWEEP_JOB, 'only the sweeps pause');
      const fired = await stack.waitFor('tick', 'heartbeat.finding', 8000);
      t.is(fired.state, 'firing');
      await stack.waitFor('stack', 'scheduler.tick', 5000, (c) => c.heartbeat === 'firing');
      // The engine got it: alertTick's admin API lists the alert.
      const alerts = (await (await fetch(new URL('/alerts', tickUrl))).json()) as {
        alerts: { state: string; labels: Record<string, string> }[];
      };
      t.true(
        alerts.alerts.some((a) => a.labels.alertname === 'SweeperAbsent' && a.state === 'firing'),
        JSON.stringify(alerts),
      );
      const stored = await absent();
      t.is(stored[0]?.state, 'firing');
      t.deepEqual(stored[0]?.labels, {
        alertname: 'SweeperAbsent',
        target: LOCAL_SWEEP_JOB,
        severity: 'critical',
      });
      t.is(stored[0]?.annotations.threshold, 3);
      t.true((stored[0]?.annotations.observed ?? 0) >= 3, 'silence at least the threshold');
      t.truthy(stored[0]?.annotations.runbook_url);

      process.kill(stack.pid, 'SIGUSR2');
      await stack.waitFor('stack', 'scheduler.resumed', 5000);
      await stack.waitFor('tick', 'heartbeat.finding', 8000, (f) => f.state === 'resolved');
      t.is((await absent()).at(-1)?.state, 'resolved');
    } finally {
      await s.close();
    }
  },
);

test.serial(
  'local stack: SIGTERM to the supervisor stops every child and exits 0 within 15 s',
  async (t) => {
    const t0 = performance.now();
    process.kill(stack.pid, 'SIGTERM');
    const exit = await stack.exited;
    t.is(exit.code, 0, stack.stderr());
    t.true(exit.at - t0 < 15_000, `stopped in ${Math.round(exit.at - t0)} ms`);
    t.false(alive(pids.service), 'service pid gone');
    t.false(alive(pids.sweep), 'healthSweep pid gone');
    t.false(alive(pids.ingest), 'alertIngest pid gone');
    t.false(alive(pids.tick), 'alertTick pid gone');
    const stopped = stack.events('stack', 'stack.stopped')[0];
    t.deepEqual(stopped?.killed, []);
  },
);
