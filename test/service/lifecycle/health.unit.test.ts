import test from 'ava';
import type { Check, CheckResult } from '../../../service/lifecycle/checks/check.js';
import { classify } from '../../../service/lifecycle/checks/check.js';
import { createCpuCheck } from '../../../service/lifecycle/checks/cpu.js';
import { createMemoryCheck } from '../../../service/lifecycle/checks/memory.js';
import { createHealthMonitor, overallStatus } from '../../../service/lifecycle/health.js';
import { sinkLogger } from '../../helpers/log-sink.js';

const r = (status: CheckResult['status']): CheckResult => ({
  status,
  value: 1,
  degraded: null,
  unhealthy: null,
  detail: '',
});

test('health: unhealthy dominates degraded, whatever the order (the SAMO-DL API had it reversed)', (t) => {
  t.is(overallStatus([r('unhealthy'), r('degraded')]), 'unhealthy');
  t.is(overallStatus([r('degraded'), r('unhealthy')]), 'unhealthy');
  t.is(overallStatus([r('degraded'), r('healthy')]), 'degraded');
  t.is(overallStatus([r('healthy'), r('healthy')]), 'healthy');
});

test('health: classify tests the unhealthy threshold first', (t) => {
  t.is(classify(0.95, 0.75, 0.9), 'unhealthy');
  t.is(classify(0.8, 0.75, 0.9), 'degraded');
  t.is(classify(0.5, 0.75, 0.9), 'healthy');
  t.is(classify(5, 0.8, null), 'degraded');
});

test('health: a check that throws counts as unhealthy and is logged, never a crash', async (t) => {
  const sink = sinkLogger();
  const throwing: Check = {
    name: 'broken',
    check: () => {
      throw new Error('sensor fell off');
    },
  };
  const fine: Check = { name: 'fine', check: () => r('healthy') };
  const monitor = createHealthMonitor({
    checks: [throwing, fine],
    intervalMs: 1000,
    timeoutMs: 100,
    log: sink.log,
  });
  const snap = await monitor.runNow();
  t.is(snap.status, 'unhealthy');
  t.is(snap.checks.broken?.status, 'unhealthy');
  t.is(snap.checks.broken?.detail, 'sensor fell off');
  t.is(snap.checks.fine?.status, 'healthy');
  t.is(sink.lines.find((l) => l.event === 'health.check.failed')?.check, 'broken');
});

test('health: a check past its deadline counts as unhealthy', async (t) => {
  const sink = sinkLogger();
  const slow: Check = { name: 'slow', check: () => new Promise(() => {}) };
  const monitor = createHealthMonitor({
    checks: [slow],
    intervalMs: 1000,
    timeoutMs: 30,
    log: sink.log,
  });
  const snap = await monitor.runNow();
  t.is(snap.checks.slow?.status, 'unhealthy');
  t.regex(snap.checks.slow?.detail ?? '', /within 30 ms/);
});

test('health: the memory check compares RSS with the limit', (t) => {
  const mb = 1024 * 1024;
  const check = (rss: number) =>
    createMemoryCheck({
      limitMb: 1000,
      degradedRatio: 0.75,
      unhealthyRatio: 0.9,
      rss: () => rss * mb,
    }).check() as CheckResult;
  t.is(check(500).status, 'healthy');
  t.is(check(800).status, 'degraded');
  t.is(check(950).status, 'unhealthy');
  t.is(check(950).value, 0.95);
});

test('health: the CPU check measures a delta, so its first reading is not always 0, and never goes unhealthy', (t) => {
  let micros = 0;
  let now = 0;
  const cpu = createCpuCheck({
    cpuLimit: 2,
    degradedRatio: 0.8,
    cpuUsage: () => ({ user: micros, system: 0 }),
    now: () => now,
  });
  micros = 1_900_000;
  now = 1000;
  const busy = cpu.check() as CheckResult;
  t.is(busy.value, 0.95);
  t.is(busy.status, 'degraded');
  t.is(busy.unhealthy, null);
});
