/**
 * The rate-limit store in front of Redis (issue 16, finding 9), over fake stores and a fake
 * clock: Redis while it answers; this instance's memory from its first failure until a probe of
 * Redis answers again; skipped checks counted and logged once a window, not once a request.
 */
import test from 'ava';
import { ServiceMetrics } from '../../../service/observability/metrics.js';
import {
  type BucketStore,
  FallbackStore,
  type FallbackTimers,
} from '../../../service/protection/fallback-store.js';
import { sinkLogger } from '../../helpers/log-sink.js';

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;

/** A Redis stand-in: answers with `current` = its call count, or fails while `failing`. */
class FakeRedis implements BucketStore {
  calls = 0;
  failing: Error | null = null;
  incr(_key: string, cb: Callback): void {
    this.calls++;
    if (this.failing) cb(this.failing);
    else cb(null, { current: this.calls, ttl: 60_000 });
  }
}

class FakeMemory implements BucketStore {
  calls = 0;
  incr(_key: string, cb: Callback): void {
    this.calls++;
    cb(null, { current: 100 + this.calls, ttl: 60_000 });
  }
}

class FakeTimers implements FallbackTimers {
  time = 0;
  now = () => this.time;
  tick: (() => void) | null = null;
  cleared = 0;
  setInterval(fn: () => void) {
    this.tick = fn;
    return { unref: () => undefined };
  }
  clearInterval() {
    this.tick = null;
    this.cleared++;
  }
  /** Advances the clock by `ms`, one probe tick each `everyMs`. */
  advance(ms: number, everyMs = 1000) {
    for (let t = 0; t < ms; t += everyMs) {
      this.time += everyMs;
      this.tick?.();
    }
  }
}

function setup() {
  const redis = new FakeRedis();
  const memory = new FakeMemory();
  const timers = new FakeTimers();
  const sink = sinkLogger('debug');
  const metrics = new ServiceMetrics('test-1', {
    queueDepth: () => null,
    inFlight: () => 0,
    modelLoaded: () => true,
    healthStatus: () => 'healthy',
    draining: () => false,
  });
  const registry = metrics.own;
  const store = new FallbackStore({
    primary: redis,
    fallback: memory,
    storeName: 'redis 10.0.0.3:6379',
    log: sink.log,
    metrics,
    probeIntervalMs: 1000,
    summaryIntervalMs: 60_000,
    timers,
  });
  const incr = () =>
    new Promise<Result>((resolve, reject) =>
      store.incr('ip:1.2.3.4', (e, r) => (e || !r ? reject(e) : resolve(r)), 60_000, 10),
    );
  const skipped = async () =>
    (await registry.getSingleMetric('rate_limit_store_fallback_total')?.get())?.values[0]?.value;
  const active = async () =>
    (await registry.getSingleMetric('rate_limit_store_fallback')?.get())?.values[0]?.value;
  return { redis, memory, timers, sink, store, incr, skipped, active };
}

test('fallback store: while Redis answers, every check is Redis and memory is untouched', async (t) => {
  const s = setup();
  t.is((await s.incr()).current, 1);
  t.is((await s.incr()).current, 2);
  t.is(s.memory.calls, 0);
  t.is(await s.skipped(), 0);
  t.is(await s.active(), 0);
  t.deepEqual(s.store.state(), { active: false, since: null, checks: 0 });
});

test('fallback store: from the first Redis failure checks go to memory without asking Redis, counted, with one WARNING', async (t) => {
  const s = setup();
  await s.incr();
  s.redis.failing = new Error('Command timed out');
  s.timers.time = 5000;
  t.is((await s.incr()).current, 101, 'the failed check is made in memory');
  for (let i = 0; i < 5; i++) await s.incr();
  t.is(s.redis.calls, 2, 'Redis is not asked again while it is down');
  t.is(s.memory.calls, 6);
  t.is(await s.skipped(), 6);
  t.is(await s.active(), 1);
  t.deepEqual(s.store.state(), { active: true, since: 5000, checks: 6 });
  const lines = s.sink.lines.filter((l) => String(l.event).startsWith('rate_limit.'));
  t.deepEqual(
    lines.map((l) => [l.event, l.severity, l.reason]),
    [['rate_limit.store_fallback', 'WARNING', 'Command timed out']],
  );
});

test('fallback store: a probe that Redis answers ends the fallback, with one INFO line counting the checks made in memory', async (t) => {
  const s = setup();
  s.redis.failing = new Error('Connection is closed.');
  await s.incr();
  await s.incr();
  s.timers.advance(3000);
  t.is(s.redis.calls, 4, 'one probe a second while it fails');
  s.redis.failing = null;
  s.timers.advance(1000);
  t.is(s.timers.tick, null, 'the probe stops once Redis answers');
  t.is(await s.active(), 0);
  const callsBefore = s.redis.calls;
  await s.incr();
  t.is(s.redis.calls, callsBefore + 1, 'checks go to Redis again');
  const recovered = s.sink.lines.find((l) => l.event === 'rate_limit.store_recovered');
  t.like(recovered, { severity: 'INFO', checks: 2, durationMs: 4000 });
});

test('fallback store: a long outage logs one summary a window, not a line a request', async (t) => {
  const s = setup();
  s.redis.failing = new Error('Command timed out');
  await s.incr();
  for (let minute = 0; minute < 3; minute++) {
    for (let i = 0; i < 50; i++) await s.incr();
    s.timers.advance(60_000, 1000);
  }
  const summaries = s.sink.lines.filter((l) => l.event === 'rate_limit.store_fallback_summary');
  t.deepEqual(
    summaries.map((l) => l.checks),
    [51, 50, 50],
  );
  t.is(s.sink.lines.filter((l) => l.event === 'rate_limit.store_fallback').length, 1);
});

test('fallback store: fallBack() at start (Redis not reachable) behaves like a failure, and close() stops the probe', async (t) => {
  const s = setup();
  s.store.fallBack('not reachable at start');
  await s.incr();
  t.is(s.redis.calls, 0);
  t.is(s.memory.calls, 1);
  s.store.close();
  t.is(s.timers.tick, null);
});
