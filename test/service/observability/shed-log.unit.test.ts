/**
 * ShedLogSampler with a real logger writing to a sink and a manual clock (its timers are driven
 * by the test, so the windows are exact).
 */
import test from 'ava';
import { type ShedLogClock, ShedLogSampler } from '../../../service/observability/shed-log.js';
import { sinkLogger } from '../../helpers/log-sink.js';

function manualClock() {
  let now = 0;
  const due: { at: number; fn: () => void }[] = [];
  const clock: ShedLogClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      due.push({ at: now + ms, fn });
      return { unref: () => undefined };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const d of due.splice(0).sort((a, b) => a.at - b.at)) {
      if (d.at <= now) d.fn();
      else due.push(d);
    }
  };
  return { clock, advance };
}

test('shed log: the first shed request of a window is logged in full, the rest in one summary when the window ends', (t) => {
  const sink = sinkLogger('info');
  const { clock, advance } = manualClock();
  const sampler = new ShedLogSampler(sink.log, 1000, clock);
  t.true(sampler.note('queue_depth'), 'the first is logged by the caller');
  advance(100);
  t.false(sampler.note('queue_depth'));
  t.false(sampler.note('event_loop_delay'));
  t.false(sampler.note('queue_depth'));
  t.deepEqual(sink.events(), [], 'nothing before the window ends');
  advance(900);
  t.deepEqual(
    sink.lines.map((l) => [l.event, l.shed, l.byReason, l.windowMs]),
    [['http.shed_summary', 3, { queue_depth: 2, event_loop_delay: 1 }, 1000]],
  );
  t.regex(String(sink.lines[0]?.message), /3 more requests refused with 503 SVC_ERR_OVERLOADED/);
  t.true(sampler.note('queue_depth'), 'a new window logs its first in full again');
});

test('shed log: a window with a single shed request writes no summary', (t) => {
  const sink = sinkLogger('info');
  const { clock, advance } = manualClock();
  const sampler = new ShedLogSampler(sink.log, 1000, clock);
  t.true(sampler.note('queue_depth'));
  advance(1000);
  t.deepEqual(sink.events(), []);
});

test('shed log: flush reports a window that has not ended, once', (t) => {
  const sink = sinkLogger('info');
  const { clock, advance } = manualClock();
  const sampler = new ShedLogSampler(sink.log, 1000, clock);
  sampler.note('queue_full');
  sampler.note('queue_full');
  advance(250);
  sampler.flush();
  sampler.flush();
  advance(1000);
  t.deepEqual(
    sink.lines.map((l) => [l.event, l.shed, l.windowMs]),
    [['http.shed_summary', 1, 250]],
  );
});
