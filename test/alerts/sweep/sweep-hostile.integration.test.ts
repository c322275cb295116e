/**
 * One target must not fail every sweep (issue 16, finding 2): runSweep against real HTTP targets
 * whose scrapes hold samples the store cannot take (an empty or NUL instance, sums that are not
 * finite), beside a healthy target, on SQLite and, when its server answers, PostgreSQL. Also how
 * a scrape problem becomes a finding (ScrapeFailed) and how a /health status is summarised.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { openStore } from '../../../alerts/store/open.js';
import type { TrendStore } from '../../../alerts/store/store.js';
import { runSweep, type SweepDeps } from '../../../alerts/sweep/sweep.js';
import { type SweepTarget, TARGET_DEFAULTS } from '../../../alerts/sweep/targets.js';
import { loadRules } from '../../../alerts/trends/load-rules.js';
import {
  healthStatus,
  serveTarget,
  type TargetServer,
  text,
} from '../../helpers/hostile-target.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { postgresFixture } from '../../helpers/postgres.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 12, 0);
const pg = await postgresFixture();
test.after.always(() => pg.dropSchemas());

const BACKENDS: { name: string; open(): Promise<TrendStore> }[] = [
  {
    name: 'sqlite',
    open: () =>
      openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-hostile-')), 't.db')}`, {
        platform: 'local',
      }),
  },
  ...(pg.unavailable === null
    ? [
        {
          name: 'postgres',
          open: () =>
            openStore(pg.url, {
              platform: 'local',
              schema: pg.newSchema(),
              pool: { max: 2, idleTimeoutMs: 200 },
            }),
        },
      ]
    : []),
];

function target(name: string, url: string): SweepTarget {
  return {
    name,
    url,
    timeoutMs: 2000,
    iam: false,
    probes: { ...TARGET_DEFAULTS.probes },
    limits: { ...TARGET_DEFAULTS.limits },
    slo: { ...TARGET_DEFAULTS.slo },
  };
}

const series = (instance: string, route: string, value: string) =>
  `http_requests_total{instance="${instance}",route="${route}",status_class="2xx"} ${value}`;

const HOSTILE: { case: string; body: string; dropped: number }[] = [
  {
    case: 'an empty instance label',
    body: [series('', '/predict', '5'), series('ok-1', '/predict', '5')].join('\n'),
    dropped: 1,
  },
  {
    case: 'a NUL byte in an instance label',
    body: [series('a\u0000b', '/predict', '5'), series('ok-1', '/predict', '5')].join('\n'),
    dropped: 1,
  },
  {
    case: 'two 1e308 series whose sum is not finite',
    body: [series('big-1', '/a', '1e308'), series('big-1', '/b', '1e308')].join('\n'),
    dropped: 2,
  },
];

async function withTargets<T>(
  servers: Promise<TargetServer>[],
  fn: (s: TargetServer[]) => Promise<T>,
): Promise<T> {
  const started = await Promise.all(servers);
  try {
    return await fn(started);
  } finally {
    await Promise.all(started.map((s) => s.close()));
  }
}

for (const backend of BACKENDS) {
  for (const h of HOSTILE) {
    test(`sweep (${backend.name}): a scrape with ${h.case} has those samples dropped and counted, ScrapeFailed SCRAPE_ERR_SAMPLE_INVALID for that target, and the healthy target recorded`, async (t) => {
      const store = await backend.open();
      const sink = sinkLogger('info');
      try {
        await withTargets(
          [serveTarget({}, 'healthy-1'), serveTarget({ metrics: text(`${h.body}\n`) })],
          async ([healthy, hostile]) => {
            const deps: SweepDeps = {
              store,
              targets: [
                target('healthy', healthy?.url ?? ''),
                target('hostile', hostile?.url ?? ''),
              ],
              rules: loadRules('alerts/definitions/trend-rules'),
              log: sink.log,
            };
            for (let i = 0; i < 3; i++) {
              const summary = await runSweep(deps, { sweepId: `s@${i}`, ts: T0 + i * MIN });
              t.like(summary.targets[1], {
                name: 'hostile',
                up: true,
                scrape: ['SCRAPE_ERR_SAMPLE_INVALID'],
                dropped: h.dropped,
              });
              t.like(summary.targets[0], { name: 'healthy', scrape: [], dropped: 0 });
              t.true(
                summary.findings.some(
                  (f) =>
                    f.alertname === 'ScrapeFailed' &&
                    f.target === 'hostile' &&
                    f.state === 'firing',
                ),
              );
            }
            const window = { from: T0, to: T0 + 3 * MIN };
            const up = await store.window({ target: 'healthy', metric: 'up', ...window });
            t.deepEqual(
              up.map((s) => s.value),
              [1, 1, 1],
              'the healthy target is recorded in every sweep',
            );
            const deltas = await store.window({
              target: 'healthy',
              metric: 'requests_delta',
              ...window,
            });
            t.is(deltas.length, 2, 'and its counters, after the baseline');
            const hostileUp = await store.window({ target: 'hostile', metric: 'up', ...window });
            t.is(hostileUp.length, 3, "the hostile target's own up samples are recorded too");
            const stored = await store.findings({ target: 'hostile' });
            const scrape = stored.filter((f) => f.alertname === 'ScrapeFailed');
            t.is(scrape.length, 3);
            t.deepEqual(scrape[0]?.labels, {
              alertname: 'ScrapeFailed',
              target: 'hostile',
              severity: 'warning',
              code: 'SCRAPE_ERR_SAMPLE_INVALID',
            });
            const completed = sink.lines.filter((l) => l.event === 'sweep.completed');
            t.deepEqual(
              completed.map((l) => l.dropped),
              [h.dropped, h.dropped, h.dropped],
            );
          },
        );
      } finally {
        await store.close();
      }
    });
  }
}

test('sweep: ScrapeFailed fires at every sweep whose scrape fails and resolves once, at the first scrape that succeeds', async (t) => {
  const store = await BACKENDS[0]?.open();
  if (store === undefined) return t.fail();
  let broken = true;
  const flaky = await serveTarget({
    metrics: Object.assign(
      (req: Parameters<ReturnType<typeof text>>[0], res: Parameters<ReturnType<typeof text>>[1]) =>
        broken ? text('not prometheus {')(req, res) : text('up_total 1\n')(req, res),
      { stats: { requests: 0, bytesWritten: 0, closedEarly: 0 } },
    ),
  });
  try {
    const deps: SweepDeps = {
      store,
      targets: [target('flaky', flaky.url)],
      rules: [],
      log: sinkLogger('fatal').log,
    };
    const states: string[] = [];
    for (let i = 0; i < 5; i++) {
      broken = i < 2;
      const s = await runSweep(deps, { sweepId: `f@${i}`, ts: T0 + i * MIN });
      states.push(
        s.findings
          .filter((f) => f.alertname === 'ScrapeFailed')
          .map((f) => f.state)
          .join(',') || '-',
      );
    }
    t.deepEqual(states, ['firing', 'firing', 'resolved', '-', '-']);
    const resolved = (await store.findings({ target: 'flaky' })).find(
      (f) => f.state === 'resolved',
    );
    t.is(resolved?.labels.code, 'SCRAPE_ERR_INVALID', 'the resolution names the code it ends');
  } finally {
    await store.close();
    await flaky.close();
  }
});

test('sweep: an unknown /health status is health_status degraded, summarised and logged as unknown with a short sample, never verbatim', async (t) => {
  const store = await BACKENDS[0]?.open();
  if (store === undefined) return t.fail();
  const sink = sinkLogger('info');
  const huge = `OK${'!'.repeat(20_000)}`;
  const odd = await serveTarget({ health: healthStatus(huge) });
  try {
    const summary = await runSweep(
      { store, targets: [target('odd', odd.url)], rules: [], log: sink.log },
      { sweepId: 'h@0', ts: T0 },
    );
    t.like(summary.targets[0], { health: 'unknown', scrape: ['SCRAPE_ERR_HEALTH_UNKNOWN'] });
    t.true(JSON.stringify(summary).length < 4000, 'the summary holds no more than a sample');
    const probe = sink.lines.find((l) => l.event === 'sweep.probe');
    t.is(probe?.health, 'unknown');
    t.true(JSON.stringify(sink.lines).length < 10_000, 'no log line carries the status');
    const health = await store.window({
      target: 'odd',
      metric: 'health_status',
      from: T0,
      to: T0 + 1,
    });
    t.deepEqual(
      health.map((s) => s.value),
      [1],
    );
  } finally {
    await store.close();
    await odd.close();
  }
});
