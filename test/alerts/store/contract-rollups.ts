/** The store contract's hourly rollups (migration 4), run by `storeContract`. */
import type { TestFn } from 'ava';
import type { StoreError, TrendStore } from '../../../alerts/store/store.js';
import type { Sample } from '../../../alerts/types.js';
import { ALL_VERSIONS, MIN, type StoreFactory, s, T0 } from './contract-fixtures.js';

export function rollupContract(
  test: TestFn,
  title: (what: string) => string,
  factory: StoreFactory,
): void {
  // Hourly rollups (migration 4). HOUR is aligned, so T0H + k·HOUR are hour ends.
  const HOUR = 3_600_000;
  const T0H = Math.ceil(T0 / HOUR) * HOUR;
  const delta = (
    metric: 'requests_delta' | 'errors_delta',
    ts: number,
    value: number,
    instance: string | null = 'i-1',
    target = 'svc-a',
  ) => s(ts, value, { metric, instance, target });
  const bucket = (
    metric: 'requests_delta' | 'errors_delta',
    ts: number,
    value: number,
    count: number,
    target = 'svc-a',
  ) => ({ target, metric, ts, spanMs: HOUR, value, count });
  /** Three hours of request and error deltas on two instances, plus samples rollups ignore. */
  const rollupSeries = (): Sample[] => [
    delta('requests_delta', T0H - HOUR + 1, 10),
    delta('requests_delta', T0H - HOUR + MIN, 5, 'i-2'),
    delta('requests_delta', T0H, 7), // the end of an hour belongs to that hour
    delta('errors_delta', T0H, 1, 'i-2'),
    delta('requests_delta', T0H + 1, 20),
    delta('requests_delta', T0H + HOUR - MIN, 4, null),
    delta('errors_delta', T0H + 2 * HOUR, 3),
    delta('requests_delta', T0H + 2 * HOUR, 100, 'i-1', 'svc-b'),
    s(T0H, 999, { metric: 'latency_p95_ms' }),
    s(T0H + 1, 0.5, { metric: 'error_ratio' }),
  ];
  const rollupsOf = async (store: TrendStore, target = 'svc-a') => {
    const q = { target, from: 0, to: T0H + 10 * HOUR } as const;
    return [
      ...(await store.rollups({ ...q, metric: 'requests_delta' })),
      ...(await store.rollups({ ...q, metric: 'errors_delta' })),
    ];
  };
  const expectedRollups = [
    bucket('requests_delta', T0H, 22, 3),
    bucket('requests_delta', T0H + HOUR, 24, 2),
    bucket('errors_delta', T0H, 1, 1),
    bucket('errors_delta', T0H + 2 * HOUR, 3, 1),
  ];

  test(
    title(
      'rollups: appends keep hourly sums per target and metric, all instances, hour end inclusive',
    ),
    async (t) => {
      const store = await factory.fresh();
      await store.appendSamples(rollupSeries());
      t.deepEqual(await rollupsOf(store), expectedRollups);
      t.deepEqual(await rollupsOf(store, 'svc-b'), [
        bucket('requests_delta', T0H + 2 * HOUR, 100, 1, 'svc-b'),
      ]);
      // Range: hour ends in [from, to).
      t.deepEqual(
        await store.rollups({
          target: 'svc-a',
          metric: 'requests_delta',
          from: T0H + 1,
          to: T0H + HOUR + 1,
        }),
        [bucket('requests_delta', T0H + HOUR, 24, 2)],
      );
    },
  );

  test(
    title('rollups: a replaced sample changes its hour by the difference, not the count'),
    async (t) => {
      const store = await factory.fresh();
      await store.appendSamples(rollupSeries());
      // A retried append: same keys, one value changed, one new sample in the same batch.
      await store.appendSamples([
        delta('requests_delta', T0H + 1, 26),
        delta('requests_delta', T0H - HOUR + 1, 10),
        delta('errors_delta', T0H + 2 * HOUR - 1, 2, 'i-3'),
      ]);
      t.deepEqual(await rollupsOf(store), [
        bucket('requests_delta', T0H, 22, 3),
        bucket('requests_delta', T0H + HOUR, 30, 2),
        bucket('errors_delta', T0H, 1, 1),
        bucket('errors_delta', T0H + 2 * HOUR, 5, 2),
      ]);
    },
  );

  test(title('rollups: a refused batch changes no rollup'), async (t) => {
    const store = await factory.fresh();
    await store.appendSamples(rollupSeries());
    await t.throwsAsync(
      store.appendSamples([
        delta('requests_delta', T0H + 1, 1),
        delta('requests_delta', T0H, Number.NaN),
      ]),
    );
    t.deepEqual(await rollupsOf(store), expectedRollups);
  });

  test(
    title('rollups: migration 4 backfills them from the samples of a version-3 database'),
    async (t) => {
      const store = await factory.atVersion(3);
      await store.appendSamples(rollupSeries());
      t.deepEqual(await store.migrate(), {
        applied: ALL_VERSIONS.filter((v) => v >= 4),
        version: Math.max(...ALL_VERSIONS),
      });
      t.deepEqual(await rollupsOf(store), expectedRollups);
      // And from then on appends maintain them.
      await store.appendSamples([delta('requests_delta', T0H + HOUR, 6, 'i-9')]);
      t.deepEqual(
        await store.rollups({
          target: 'svc-a',
          metric: 'requests_delta',
          from: T0H + HOUR,
          to: T0H + HOUR + 1,
        }),
        [bucket('requests_delta', T0H + HOUR, 30, 3)],
      );
    },
  );

  test(
    title('rollups: prune deletes the hours that ended before `before`, within the limit'),
    async (t) => {
      const store = await factory.fresh();
      await store.appendSamples(rollupSeries());
      // Before T0H + 1: 5 samples (svc-a, up to T0H), then 2 rollups (the hours ending at T0H).
      t.is(await store.prune({ before: T0H + 1, limit: 5 }), 5);
      t.is(await store.prune({ before: T0H + 1, limit: 5 }), 2);
      t.deepEqual(
        await rollupsOf(store),
        expectedRollups.filter((b) => b.ts > T0H),
      );
      // An hour that ends at or after `before` keeps its whole sum, although some samples went.
      t.is(await store.prune({ before: T0H + 2, limit: 100 }), 2);
      t.deepEqual(
        await rollupsOf(store),
        expectedRollups.filter((b) => b.ts > T0H),
      );
    },
  );

  test(
    title('an invalid sample is refused, naming the field, and nothing is stored'),
    async (t) => {
      const store = await factory.fresh();
      const bad = [s(T0, 1), s(T0 + 1, Number.NaN)];
      const e = await t.throwsAsync<StoreError>(store.appendSamples(bad));
      t.is(e?.code, 'STORE_ERR_SAMPLE_INVALID');
      t.is(e?.field, '[1].value');
      t.regex(e?.message ?? '', /sample 1 field "value" is "NaN"; expected a finite number/);
      const unknown = { ...s(T0, 1), metric: 'latency' } as unknown as Sample;
      const e2 = await t.throwsAsync<StoreError>(store.appendSamples([unknown]));
      t.regex(e2?.message ?? '', /"metric" is "latency"; expected one of up, probe_latency_ms/);
      // PostgreSQL text cannot hold NUL: both stores refuse it up front, with the same code.
      const nul = s(T0, 1, { metric: 'requests_delta', instance: 'a\u0000b' });
      const e3 = await t.throwsAsync<StoreError>(store.appendSamples([nul]));
      t.is(e3?.code, 'STORE_ERR_SAMPLE_INVALID');
      t.is(e3?.field, '[0].instance');
      t.is(await store.lastSeen({ target: 'svc-a' }), null);
    },
  );
}
