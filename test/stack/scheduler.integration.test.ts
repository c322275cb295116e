/**
 * The local scheduler against a real HTTP server on port 0 that records each call, as healthSweep
 * or alertTick would receive it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { pino } from 'pino';
import {
  createLocalScheduler,
  LOCAL_TICK_JOB,
  nextSlot,
  schedulerHeaders,
  scheduleTimeText,
  slotAt,
  TICK_FUNCTION,
} from '../../stack/scheduler.js';
import { sinkLogger } from '../helpers/log-sink.js';

const T0 = Date.UTC(2026, 10, 27, 13, 0);

test('local scheduler: slots are multiples of the interval; a stalled process skips missed slots', (t) => {
  t.is(slotAt(T0 + 14_999, 15_000), T0);
  t.is(slotAt(T0 + 15_000, 15_000), T0 + 15_000);
  t.is(nextSlot(T0, T0 + 3, 15_000), T0 + 15_000);
  t.is(nextSlot(T0, T0 - 1, 15_000), T0 + 15_000, 'a timer firing early never repeats a slot');
  t.is(nextSlot(T0, T0 + 40_000, 15_000), T0 + 45_000, 'two missed slots are skipped');
});

test('local scheduler: the headers are Cloud Scheduler’s, with the slot as the schedule time', (t) => {
  t.deepEqual(schedulerHeaders('local-health-sweep', T0), {
    'User-Agent': 'Google-Cloud-Scheduler',
    'Content-Type': 'application/json',
    'X-CloudScheduler': 'true',
    'X-CloudScheduler-JobName': 'local-health-sweep',
    'X-CloudScheduler-ScheduleTime': '2026-11-27T13:00:00Z',
  });
  t.is(scheduleTimeText(T0 + 250), '2026-11-27T13:00:00.250Z');
});

test('local scheduler: calls once per slot with Scheduler headers, skips slots while paused, and stops', async (t) => {
  const calls: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sweepId: 'x', duplicate: false, targets: [], findings: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let startedAt: number | undefined;
  const now = () => {
    const n = Date.now();
    startedAt ??= n;
    return n;
  };
  const scheduler = createLocalScheduler({
    url,
    intervalMs: 200,
    log: pino({ level: 'silent' }),
    now,
  });
  try {
    scheduler.start();
    await new Promise((r) => setTimeout(r, 700));
    const running = calls.length;
    t.true(running >= 3 && running <= 5, `${running} calls in 700 ms at 200 ms`);
    const first = calls[0];
    t.like(first?.headers, {
      'x-cloudscheduler': 'true',
      'x-cloudscheduler-jobname': 'local-health-sweep',
      'user-agent': 'Google-Cloud-Scheduler',
    });
    t.is(first?.body, '{}');
    // Calls do not wait for each other, so they may arrive out of order (the first fetch of a
    // process is the slowest); a stalled process may skip a slot, never repeat one.
    const times = calls
      .map((c) => Date.parse(c.headers['x-cloudscheduler-scheduletime'] as string))
      .sort((a, b) => a - b);
    for (const [i, ts] of times.entries()) {
      t.is(ts % 200, 0, 'on a slot');
      if (i > 0) t.true(ts > (times[i - 1] as number), 'each slot called once');
    }
    t.is(times[0], slotAt(startedAt ?? 0, 200), 'the first call is the slot start() fell in');

    // Judged by each call's slot, not by when it arrives: a call made just before pause() or
    // stop() may still be in flight on a loaded machine.
    const slotsAfter = (at: number, until = Number.POSITIVE_INFINITY) =>
      calls
        .map((c) => Date.parse(c.headers['x-cloudscheduler-scheduletime'] as string))
        .filter((ts) => ts > at && ts < until);
    const pausedAt = Date.now();
    scheduler.pause();
    t.true(scheduler.paused);
    await new Promise((r) => setTimeout(r, 600));
    const resumedAt = Date.now();
    scheduler.resume();
    await new Promise((r) => setTimeout(r, 450));
    t.deepEqual(slotsAfter(pausedAt, slotAt(resumedAt, 200)), [], 'no slot called while paused');
    t.true(slotsAfter(resumedAt - 200).length > 0, 'calls again after resume');
    const stoppedAt = Date.now();
    scheduler.stop();
    await new Promise((r) => setTimeout(r, 450));
    t.deepEqual(slotsAfter(stoppedAt), [], 'no slot called after stop');
  } finally {
    scheduler.stop();
    server.close();
  }
});

test('local scheduler: the tick job calls alertTick with its own job name and logs scheduler.tick with what the tick did; a failed tick is scheduler.failed naming alertTick', async (t) => {
  const calls: http.IncomingHttpHeaders[] = [];
  const answers = [
    {
      status: 200,
      body: {
        at: '2026-11-27T13:00:00.000Z',
        silences: 0,
        heartbeat: { state: 'firing' },
        flushed: [
          { groupKey: 'a', reason: 'first notification', deliveries: 2 },
          { groupKey: 'b', reason: null, deliveries: 0 },
        ],
        deliveries: { delivered: 2, retrying: 1, failed: 0, lost: 0 },
        pruned: 0,
        failed: { prune: 'disk full' },
      },
    },
    { status: 500, body: { error: { code: 'TICK_ERR_INTERNAL', message: 'store gone' } } },
  ];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[Math.min(calls.length, answers.length - 1)];
      calls.push(req.headers);
      res.statusCode = answer?.status ?? 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer?.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { log, lines } = sinkLogger();
  const scheduler = createLocalScheduler({
    url,
    target: TICK_FUNCTION,
    job: LOCAL_TICK_JOB,
    intervalMs: 150,
    log,
  });
  try {
    scheduler.start();
    const deadline = Date.now() + 3000;
    while (lines.filter((l) => l.event === 'scheduler.failed').length === 0) {
      if (Date.now() > deadline) return t.fail(JSON.stringify(lines));
      await new Promise((r) => setTimeout(r, 20));
    }
    scheduler.stop();
    t.is(calls[0]?.['x-cloudscheduler-jobname'], LOCAL_TICK_JOB);
    const tick = lines.find((l) => l.event === 'scheduler.tick');
    t.like(tick, {
      job: LOCAL_TICK_JOB,
      status: 200,
      flushed: 2,
      notified: 1,
      delivered: 2,
      retrying: 1,
      heartbeat: 'firing',
      failedSteps: ['prune'],
    });
    t.false(
      lines.some((l) => l.event === 'scheduler.sweep'),
      'no sweep events from the tick job',
    );
    const failed = lines.find((l) => l.event === 'scheduler.failed');
    t.like(failed, { job: LOCAL_TICK_JOB, status: 500, code: 'TICK_ERR_INTERNAL' });
    t.regex(String(failed?.message), /alertTick answered 500 TICK_ERR_INTERNAL: store gone/);
  } finally {
    scheduler.stop();
    server.close();
  }
});
