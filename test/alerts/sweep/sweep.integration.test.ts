/**
 * The sweep core against real parts: the real service (buildTestApp) and a target that never
 * answers, a real SQLite store in a temporary directory, and the committed rules. Sweep times
 * are given explicitly, a minute apart, as Cloud Scheduler's would be.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { openStore } from '../../../alerts/store/open.js';
import { runSweep } from '../../../alerts/sweep/sweep.js';
import { type SweepTarget, TARGET_DEFAULTS } from '../../../alerts/sweep/targets.js';
import { loadRules } from '../../../alerts/trends/load-rules.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { buildTestApp } from '../../helpers/test-app.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 12, 0);

function target(name: string, url: string): SweepTarget {
  return {
    name,
    url,
    timeoutMs: 250,
    iam: false,
    probes: { ...TARGET_DEFAULTS.probes },
    limits: { ...TARGET_DEFAULTS.limits },
    slo: { availability: 0.995, latencyP95Ms: 500 },
  };
}

test('sweep: samples per target and instance, a dead target fires InferDown after its for, and a repeated sweep id is a duplicate', async (t) => {
  const service = await buildTestApp();
  const dead = net.createServer(() => {});
  const store = await openStore(
    `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-sweep-')), 'trends.db')}`,
    {
      platform: 'local',
    },
  );
  const sink = sinkLogger('info');
  try {
    const serviceUrl = await service.listen();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as net.AddressInfo).port}`;
    const deps = {
      store,
      targets: [target('emotion', serviceUrl), target('dead', deadUrl)],
      rules: loadRules('alerts/definitions/trend-rules'),
      log: sink.log,
    };
    const summaries = [];
    for (let i = 0; i <= 4; i++) {
      await service.http({
        method: 'POST',
        url: '/predict',
        payload: { text: `sweep traffic ${i}` },
      });
      summaries.push(await runSweep(deps, { sweepId: `local-sweep@${i}`, ts: T0 + i * MIN }));
    }
    const first = summaries[0];
    t.like(first?.targets[0], { name: 'emotion', up: true, status: 200, health: 'healthy' });
    t.like(first?.targets[1], { name: 'dead', up: false, status: null });

    const up = await store.window({ target: 'dead', metric: 'up', from: T0, to: T0 + 5 * MIN });
    t.deepEqual(
      up.map((s) => s.value),
      [0, 0, 0, 0, 0],
    );
    const deltas = await store.window({
      target: 'emotion',
      metric: 'requests_delta',
      from: T0,
      to: T0 + 5 * MIN,
    });
    t.is(deltas.length, 4, 'the first scrape of the instance only sets its baseline');
    t.true(deltas.every((s) => s.instance === 'test-rev-00000001' && s.value >= 1));
    const health = await store.window({
      target: 'emotion',
      metric: 'health_status',
      from: T0,
      to: T0 + 5 * MIN,
    });
    t.true(health.every((s) => s.value === 0));

    const down = summaries.map((s) =>
      s.findings.some(
        (f) => f.alertname === 'InferDown' && f.target === 'dead' && f.state === 'firing',
      ),
    );
    t.deepEqual(down, [false, false, false, true, true], 'fires once up < 1 held for 3 minutes');
    t.false(
      summaries.some((s) => s.findings.some((f) => f.target === 'emotion' && f.state === 'firing')),
    );
    t.true((await store.findings({ target: 'dead' })).length >= 2);

    const again = await runSweep(deps, { sweepId: 'local-sweep@4', ts: T0 + 4 * MIN });
    t.true(again.duplicate);
    t.deepEqual(again.targets, summaries[4]?.targets);
    const events = sink.events();
    t.true(
      events.includes('sweep.probe') &&
        events.includes('sweep.completed') &&
        events.includes('sweep.finding') &&
        events.includes('sweep.duplicate'),
    );
  } finally {
    await store.close();
    await service.app.close();
    dead.close();
  }
});
