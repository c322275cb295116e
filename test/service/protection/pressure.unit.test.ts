import test from 'ava';
import {
  createPressureMonitor,
  describePressure,
  type PressureSources,
  type ShedLimits,
  WINDOW_MS,
} from '../../../service/protection/pressure.js';

const LIMITS: ShedLimits = {
  eventLoopDelayMs: 200,
  eventLoopUtilization: 0.98,
  queueDepth: 50,
  sampleIntervalMs: 100,
  holdMs: 0,
};

/** A clock, the loop's active time and the histogram's max, all moved by hand. */
function fakeSources() {
  const state = { now: 0, active: 0, maxDelay: null as number | null, closed: false };
  const sources: PressureSources = {
    now: () => state.now,
    activeMs: () => state.active,
    takeMaxDelayMs: () => {
      const max = state.maxDelay;
      state.maxDelay = null;
      return max;
    },
    close: () => {
      state.closed = true;
    },
  };
  /** Advances the clock by `ms`, of which `busyMs` the loop was active. */
  const advance = (ms: number, busyMs: number) => {
    state.now += ms;
    state.active += busyMs;
  };
  return { state, sources, advance };
}

function monitorWith(limits: Partial<ShedLimits> = {}, queue: () => number | null = () => 0) {
  const fake = fakeSources();
  const monitor = createPressureMonitor({ ...LIMITS, ...limits }, queue, fake.sources);
  monitor.sample();
  return { ...fake, monitor };
}

test('pressure: a quiet loop with a short queue is not under pressure', (t) => {
  const { monitor, advance } = monitorWith({}, () => 3);
  for (let i = 0; i < 20; i++) {
    advance(100, 10);
    monitor.sample();
  }
  t.is(monitor.pressure(), null);
  t.like(monitor.measures(), { eventLoopDelayMs: 0, queueDepth: 3 });
  t.is(Math.round((monitor.measures().eventLoopUtilization ?? 0) * 100), 10);
});

test('pressure: a sample 1.5 s late on a busy loop exceeds the delay limit', (t) => {
  const { monitor, advance } = monitorWith();
  advance(1600, 1550);
  monitor.sample();
  t.deepEqual(monitor.pressure(), { reason: 'event_loop_delay', value: 1500, limit: 200 });
});

test('pressure: a block in progress is caught before the late sample runs (overdue timer)', (t) => {
  const { monitor, advance } = monitorWith();
  advance(1600, 1590);
  t.deepEqual(monitor.pressure(), { reason: 'event_loop_delay', value: 1500, limit: 200 });
});

test('pressure: a late timer on an idle loop (CPU throttled between requests) is not a delay', (t) => {
  const { monitor, advance } = monitorWith();
  advance(30_000, 5);
  t.is(monitor.pressure(), null, 'before the late sample');
  monitor.sample();
  t.is(monitor.pressure(), null, 'after it');
  t.is(monitor.measures().eventLoopDelayMs, 5);
});

test("pressure: the histogram's longest delay counts, capped by the loop's active time", (t) => {
  const { monitor, advance, state } = monitorWith();
  state.maxDelay = 450;
  advance(100, 80);
  monitor.sample();
  t.is(monitor.measures().eventLoopDelayMs, 80);
  state.maxDelay = 250;
  advance(300, 290);
  monitor.sample();
  t.deepEqual(
    monitor.pressure(),
    { reason: 'event_loop_delay', value: 250, limit: 200 },
    'a block the timer only saw 200 ms of',
  );
});

test('pressure: a block stops counting once it leaves the window', (t) => {
  const { monitor, advance } = monitorWith({ eventLoopUtilization: 0 });
  advance(1600, 1550);
  monitor.sample();
  let quietMs = 0;
  while (monitor.pressure() !== null) {
    advance(100, 5);
    monitor.sample();
    quietMs += 100;
    if (quietMs > 10 * WINDOW_MS) break;
  }
  t.true(quietMs > 0, 'still shedding just after the block');
  t.true(quietMs <= WINDOW_MS, `shedding stopped ${quietMs} ms after the block`);
});

test('pressure: utilization over the window past its limit sheds with event_loop_utilization', (t) => {
  const { monitor, advance } = monitorWith();
  for (let i = 0; i < 10; i++) {
    advance(100, 99.5);
    monitor.sample();
  }
  const p = monitor.pressure();
  t.is(p?.reason, 'event_loop_utilization');
  t.is(p?.limit, 0.98);
  t.true((p?.value ?? 0) > 0.99);
  for (let i = 0; i < 10; i++) {
    advance(100, 90);
    monitor.sample();
  }
  t.is(monitor.pressure(), null, '0.9 is under the limit');
});

test('pressure: queue depth sheds at the limit, not below, and never without a model', (t) => {
  let depth: number | null = 49;
  const { monitor } = monitorWith({}, () => depth);
  t.is(monitor.pressure(), null);
  depth = 50;
  t.deepEqual(monitor.pressure(), { reason: 'queue_depth', value: 50, limit: 50 });
  depth = null;
  t.is(monitor.pressure(), null);
});

test('pressure: a limit of 0 turns its measure off', (t) => {
  const off = { eventLoopDelayMs: 0, eventLoopUtilization: 0, queueDepth: 0 };
  const { monitor, advance } = monitorWith(off, () => 1_000_000);
  advance(5000, 5000);
  monitor.sample();
  t.false(monitor.enabled);
  t.is(monitor.pressure(), null);
  const onlyQueue = monitorWith({ eventLoopDelayMs: 0, eventLoopUtilization: 0 }, () => 60);
  onlyQueue.advance(5000, 5000);
  t.is(onlyQueue.monitor.pressure()?.reason, 'queue_depth');
});

test('pressure: stop releases the sources', (t) => {
  const { monitor, state } = monitorWith();
  monitor.stop();
  t.true(state.closed);
});

test('pressure: messages name the measure, its value, the limit and the setting', (t) => {
  t.is(
    describePressure({ reason: 'event_loop_delay', value: 1503.4, limit: 200 }),
    'event-loop delay is 1503 ms; expected at most 200 ms (SHED_EVENT_LOOP_DELAY_MS); retry after Retry-After',
  );
  t.is(
    describePressure({ reason: 'event_loop_utilization', value: 0.9951, limit: 0.98 }),
    'event-loop utilization over the last 1 s is 0.995; expected at most 0.98 (SHED_EVENT_LOOP_UTILIZATION); retry after Retry-After',
  );
  t.is(
    describePressure({ reason: 'queue_depth', value: 64, limit: 64 }),
    'the inference queue holds 64 texts; expected fewer than 64 (SHED_QUEUE_DEPTH); retry after Retry-After',
  );
});
