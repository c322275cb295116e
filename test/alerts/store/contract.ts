/**
 * The store contract: one suite, run against every implementation by its integration test file
 * (the trend store here, its rollups, and the ingest store on the same database). Window bounds
 * are `from <= ts < to`.
 */
import type { TestFn } from 'ava';
import { engineContract } from './contract-engine.js';
import { ALL_VERSIONS, finding, MIN, type StoreFactory, s, T0 } from './contract-fixtures.js';
import { ingestContract } from './contract-ingest.js';
import { ingestRaceContract } from './contract-ingest-races.js';
import { rollupContract } from './contract-rollups.js';

export type { StoreFactory } from './contract-fixtures.js';

export function storeContract(test: TestFn, name: string, factory: StoreFactory): void {
  const title = (what: string) => `store contract (${name}): ${what}`;

  const LATEST = Math.max(...ALL_VERSIONS);

  test(title('migrate twice is a no-op the second time'), async (t) => {
    const [a] = await factory.pair();
    const first = await a.migrate();
    const second = await a.migrate();
    t.deepEqual(first.applied, ALL_VERSIONS);
    t.deepEqual(second, { applied: [], version: LATEST });
    t.deepEqual(await a.appliedMigrations(), ALL_VERSIONS);
  });

  test(
    title('two stores migrating concurrently both succeed and apply each version once'),
    async (t) => {
      const [a, b] = await factory.pair();
      const results = await Promise.all([a.migrate(), b.migrate()]);
      t.deepEqual(results.flatMap((r) => r.applied).sort(), ALL_VERSIONS);
      t.deepEqual(
        results.map((r) => r.version),
        [LATEST, LATEST],
      );
      t.deepEqual(await a.appliedMigrations(), ALL_VERSIONS);
      await b.appendSamples([s(T0, 1)]);
      t.is(await a.lastSeen({ target: 'svc-a' }), T0);
    },
  );

  test(
    title('window returns samples ascending by time, from inclusive, to exclusive'),
    async (t) => {
      const store = await factory.fresh();
      await store.appendSamples([s(T0 + 2 * MIN, 3), s(T0, 1), s(T0 + 3 * MIN, 4), s(T0 + MIN, 2)]);
      await store.appendSamples([s(T0 - 1, 0), s(T0 + MIN, 9, { metric: 'error_ratio' })]);
      await store.appendSamples([s(T0 + MIN, 9, { target: 'svc-b' })]);
      const got = await store.window({
        target: 'svc-a',
        metric: 'latency_p95_ms',
        from: T0,
        to: T0 + 3 * MIN,
      });
      t.deepEqual(got, [s(T0, 1), s(T0 + MIN, 2), s(T0 + 2 * MIN, 3)]);
    },
  );

  test(
    title('window filters by instance: absent means all, null means per-target only'),
    async (t) => {
      const store = await factory.fresh();
      const delta = (ts: number, v: number, instance: string | null) =>
        s(ts, v, { metric: 'requests_delta', instance });
      await store.appendSamples([
        delta(T0, 1, 'i-2'),
        delta(T0, 2, 'i-1'),
        delta(T0 + MIN, 3, 'i-1'),
      ]);
      await store.appendSamples([delta(T0 + MIN, 4, null)]);
      const q = { target: 'svc-a', metric: 'requests_delta', from: T0, to: T0 + 10 * MIN } as const;
      t.deepEqual(await store.window(q), [
        delta(T0, 2, 'i-1'),
        delta(T0, 1, 'i-2'),
        delta(T0 + MIN, 4, null),
        delta(T0 + MIN, 3, 'i-1'),
      ]);
      t.deepEqual(await store.window({ ...q, instance: 'i-1' }), [
        delta(T0, 2, 'i-1'),
        delta(T0 + MIN, 3, 'i-1'),
      ]);
      t.deepEqual(await store.window({ ...q, instance: null }), [delta(T0 + MIN, 4, null)]);
      t.deepEqual(await store.window({ ...q, instance: 'i-9' }), []);
    },
  );

  test(title('appending a sample with the same key replaces its value'), async (t) => {
    const store = await factory.fresh();
    await store.appendSamples([s(T0, 1)]);
    await store.appendSamples([s(T0, 7), s(T0, 8, { instance: 'i-1' })]);
    const q = { target: 'svc-a', metric: 'latency_p95_ms', from: T0, to: T0 + 1 } as const;
    t.deepEqual(await store.window(q), [s(T0, 7), s(T0, 8, { instance: 'i-1' })]);
  });

  test(title('values and times round-trip exactly'), async (t) => {
    const store = await factory.fresh();
    const values = [0, 0.1 + 0.2, -1.5, 1e-300, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2, -42];
    const late = 8_640_000_000_000_000; // the largest Date, far beyond 2^32 seconds
    const samples = values.map((v, i) => s(late - values.length + i, v));
    await store.appendSamples(samples);
    const got = await store.window({
      target: 'svc-a',
      metric: 'latency_p95_ms',
      from: 0,
      to: late + 1,
    });
    t.deepEqual(got, samples);
    t.is(await store.lastSeen({ target: 'svc-a' }), late - 1);
  });

  test(title('lastSeen gives the newest time of a target or of one of its metrics'), async (t) => {
    const store = await factory.fresh();
    t.is(await store.lastSeen({ target: 'svc-a' }), null);
    await store.appendSamples([
      s(T0, 1, { metric: 'up' }),
      s(T0 + 5 * MIN, 1, { metric: 'up' }),
      s(T0 + 2 * MIN, 0.5, { metric: 'error_ratio' }),
      s(T0 + 9 * MIN, 1, { target: 'svc-b', metric: 'up' }),
    ]);
    t.is(await store.lastSeen({ target: 'svc-a' }), T0 + 5 * MIN);
    t.is(await store.lastSeen({ target: 'svc-a', metric: 'error_ratio' }), T0 + 2 * MIN);
    t.is(await store.lastSeen({ target: 'svc-a', metric: 'health_status' }), null);
    t.is(await store.lastSeen({ target: 'svc-c' }), null);
  });

  test(title('counter state round-trips per (target, instance) and is overwritten'), async (t) => {
    const store = await factory.fresh();
    t.is(await store.getCounterState('svc-a', 'i-1'), null);
    const first = {
      target: 'svc-a',
      instance: 'i-1',
      ts: T0,
      requests: 2 ** 53,
      errors: 0.5,
      buckets: [
        ['0.01', 5],
        ['+Inf', 2 ** 53],
      ] as [string, number][],
    };
    await store.setCounterState(first);
    await store.setCounterState({ ...first, instance: 'i-2', requests: 3 });
    t.deepEqual(await store.getCounterState('svc-a', 'i-1'), first);
    const reset = { ...first, ts: T0 + MIN, requests: 1, errors: 0, buckets: [] };
    await store.setCounterState(reset);
    t.deepEqual(await store.getCounterState('svc-a', 'i-1'), reset);
    t.deepEqual(await store.getCounterState('svc-a', 'i-2'), {
      ...first,
      instance: 'i-2',
      requests: 3,
    });
    t.is(await store.getCounterState('svc-b', 'i-1'), null);
  });

  test(title('a duplicate sweep id returns the first record with inserted false'), async (t) => {
    const store = await factory.fresh();
    const sweepId = `health-sweep@${new Date(T0).toISOString()}`;
    const first = {
      sweepId,
      ts: T0,
      recordedAt: T0 + 1500,
      summary: { targets: 2, down: ['svc-b'], findings: 1, nested: { ok: true, ratio: 0.25 } },
    };
    t.deepEqual(await store.recordSweep(first), { inserted: true, record: first });
    const again = await store.recordSweep({
      sweepId,
      ts: T0 + 1,
      recordedAt: T0 + MIN,
      summary: { targets: 0 },
    });
    t.deepEqual(again, { inserted: false, record: first });
    t.deepEqual(await store.getSweep(sweepId), first);
    t.is(await store.getSweep('health-sweep@never'), null);
  });

  test(
    title('latestSweep gives the newest sweep by recorded time, or null when none'),
    async (t) => {
      const store = await factory.fresh();
      t.is(await store.latestSweep(), null);
      await store.recordSweep({ sweepId: 'job@b', ts: T0 + 2 * MIN, recordedAt: T0, summary: {} });
      await store.recordSweep({ sweepId: 'job@a', ts: T0, recordedAt: T0 + 3 * MIN, summary: {} });
      await store.recordSweep({
        sweepId: 'manual@c',
        ts: T0 + MIN,
        recordedAt: T0 + 2 * MIN,
        summary: { big: 'x' },
      });
      t.deepEqual(await store.latestSweep(), {
        sweepId: 'job@a',
        ts: T0,
        recordedAt: T0 + 3 * MIN,
      });
    },
  );

  test(
    title('latestSweep orders by recorded time, not schedule time: a far-future ts does not win'),
    async (t) => {
      const store = await factory.fresh();
      const forged = Date.UTC(2099, 0, 1);
      await store.recordSweep({
        sweepId: `job@${new Date(forged).toISOString()}`,
        ts: forged,
        recordedAt: T0,
        summary: {},
      });
      await store.recordSweep({
        sweepId: 'job@now',
        ts: T0 + MIN,
        recordedAt: T0 + MIN,
        summary: {},
      });
      t.deepEqual(await store.latestSweep(), {
        sweepId: 'job@now',
        ts: T0 + MIN,
        recordedAt: T0 + MIN,
      });
    },
  );

  test(
    title('migration 5 backfills recorded_at with ts on a version-4 database with sweeps'),
    async (t) => {
      const store = await factory.atVersion(
        4,
        `INSERT INTO sweeps (sweep_id, ts, summary) VALUES
           ('job@a', ${T0}, '{"targets":1}'), ('job@b', ${T0 + MIN}, '{}')`,
      );
      t.deepEqual(await store.migrate(), {
        applied: ALL_VERSIONS.filter((v) => v >= 5),
        version: LATEST,
      });
      t.deepEqual(await store.getSweep('job@a'), {
        sweepId: 'job@a',
        ts: T0,
        recordedAt: T0,
        summary: { targets: 1 },
      });
      t.deepEqual(await store.latestSweep(), {
        sweepId: 'job@b',
        ts: T0 + MIN,
        recordedAt: T0 + MIN,
      });
      // Written from then on with its own recorded time.
      await store.recordSweep({ sweepId: 'job@c', ts: T0, recordedAt: T0 + 2 * MIN, summary: {} });
      t.like(await store.latestSweep(), { sweepId: 'job@c', recordedAt: T0 + 2 * MIN });
    },
  );

  test(
    title(
      'migration 5 backfills a forged far-future schedule time with the migration time, not ts',
    ),
    async (t) => {
      const forged = Date.UTC(2099, 0, 1);
      const store = await factory.atVersion(
        4,
        `INSERT INTO sweeps (sweep_id, ts, summary) VALUES ('job@forged', ${forged}, '{}')`,
      );
      const before = Date.now();
      await store.migrate();
      const after = Date.now();
      const row = await store.getSweep('job@forged');
      t.is(row?.ts, forged, 'the schedule time is kept as given');
      t.true(
        (row?.recordedAt ?? 0) >= before - 1000 && (row?.recordedAt ?? 0) <= after + 1000,
        `recorded at the migration: ${row?.recordedAt} in [${before}, ${after}]`,
      );
    },
  );

  test(
    title('latestSweep with notAfter ignores sweeps recorded later (a sweeper clock far ahead)'),
    async (t) => {
      const store = await factory.fresh();
      await store.recordSweep({ sweepId: 'job@ok', ts: T0, recordedAt: T0, summary: {} });
      await store.recordSweep({
        sweepId: 'job@ahead',
        ts: T0,
        recordedAt: T0 + 365 * 24 * 60 * MIN,
        summary: {},
      });
      t.like(await store.latestSweep(), { sweepId: 'job@ahead' });
      t.like(await store.latestSweep({ notAfter: T0 + MIN }), { sweepId: 'job@ok' });
      t.is(await store.latestSweep({ notAfter: T0 - 1 }), null);
    },
  );

  test(title('findings round-trip with their sweep, filtered by target and from'), async (t) => {
    const store = await factory.fresh();
    const a1 = finding(T0);
    const a2 = finding(T0 + MIN, {
      state: 'resolved',
      severity: 'critical',
      annotations: { summary: 'forecast', forecast: T0 + 60 * MIN, runbook_url: 'https://x/r' },
    });
    const b1 = finding(T0 + MIN, { target: 'svc-b', labels: {} });
    await store.recordFindings([a2, a1], 'sweep-1');
    await store.recordFindings([b1], 'sweep-2');
    await store.recordFindings([], 'sweep-3');
    t.deepEqual(await store.findings(), [
      { ...a1, sweepId: 'sweep-1' },
      { ...a2, sweepId: 'sweep-1' },
      { ...b1, sweepId: 'sweep-2' },
    ]);
    t.deepEqual(await store.findings({ target: 'svc-a', from: T0 + MIN }), [
      { ...a2, sweepId: 'sweep-1' },
    ]);
    t.deepEqual(await store.findings({ target: 'svc-c' }), []);
  });

  test(title('prune deletes only rows older than before, at most limit per call'), async (t) => {
    const store = await factory.fresh();
    const cut = T0 + 10 * MIN;
    await store.appendSamples([1, 2, 3, 4, 5].map((i) => s(cut - i * MIN, i)));
    await store.appendSamples([s(cut, 100), s(cut + MIN, 101)]);
    await store.recordFindings([finding(cut - MIN), finding(cut)], 'sweep-old');
    await store.recordSweep({ sweepId: 'old', ts: cut - MIN, recordedAt: cut, summary: {} });
    await store.recordSweep({ sweepId: 'new', ts: cut, recordedAt: cut, summary: {} });
    const counter = { target: 'svc-a', requests: 1, errors: 0, buckets: [] };
    await store.setCounterState({ ...counter, instance: 'gone', ts: cut - MIN });
    await store.setCounterState({ ...counter, instance: 'alive', ts: cut });

    t.is(await store.prune({ before: cut, limit: 3 }), 3);
    t.is(await store.prune({ before: cut, limit: 3 }), 3);
    t.is(await store.prune({ before: cut, limit: 3 }), 2);
    t.is(await store.prune({ before: cut, limit: 3 }), 0);
    await t.throwsAsync(store.prune({ before: cut, limit: 0 }), { instanceOf: RangeError });
    await t.throwsAsync(store.prune({ before: cut, limit: -1 }), { instanceOf: RangeError });

    const all = { target: 'svc-a', metric: 'latency_p95_ms', from: 0, to: cut + 10 * MIN } as const;
    t.deepEqual(await store.window(all), [s(cut, 100), s(cut + MIN, 101)]);
    t.deepEqual(await store.findings(), [{ ...finding(cut), sweepId: 'sweep-old' }]);
    t.is(await store.getSweep('old'), null);
    t.not(await store.getSweep('new'), null);
    t.is(await store.getCounterState('svc-a', 'gone'), null);
    t.not(await store.getCounterState('svc-a', 'alive'), null);
  });

  rollupContract(test, title, factory);
  ingestContract(test, title, factory);
  engineContract(test, title, factory);
  ingestRaceContract(test, title, factory);
}
