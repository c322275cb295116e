import test from 'ava';
import pg from 'pg';
import { PostgresStore } from '../../../alerts/store/postgres.js';
import type { TrendStore } from '../../../alerts/store/store.js';
import { METRICS } from '../../../alerts/trends/sample.js';
import { postgresFixture, REQUIRE_POSTGRES } from '../../helpers/postgres.js';
import { storeContract } from './contract.js';

const fixture = await postgresFixture();
const opened: TrendStore[] = [];

const open = (schema: string): TrendStore => {
  const store = new PostgresStore({ connectionString: fixture.url, schema });
  opened.push(store);
  return store;
};

if (fixture.unavailable !== null) {
  if (REQUIRE_POSTGRES) {
    test('postgres store: the server is reachable (REQUIRE_POSTGRES=1)', (t) => {
      t.fail(fixture.unavailable ?? '');
    });
  } else {
    test('postgres store: SKIPPED, no server', (t) => {
      t.log(`SKIPPED: ${fixture.unavailable}`);
      t.pass();
    });
  }
} else {
  test.after.always(async () => {
    for (const s of opened) await s.close();
    await fixture.dropSchemas();
  });

  storeContract(test, 'postgres', {
    async fresh() {
      const store = open(fixture.newSchema());
      await store.migrate();
      return store;
    },
    async pair() {
      const schema = fixture.newSchema();
      return [open(schema), open(schema)];
    },
  });

  test('postgres store: tables live in the given schema only', async (t) => {
    const schema = fixture.newSchema();
    await open(schema).migrate();
    const client = new pg.Client({ connectionString: fixture.url });
    await client.connect();
    t.teardown(() => client.end());
    const { rows } = await client.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    t.deepEqual(
      rows.map((r: { table_name: string }) => r.table_name),
      ['counter_state', 'findings', 'samples', 'schema_migrations', 'sweeps'],
    );
  });

  test('postgres store: five pools migrating one new schema at once apply each version exactly once', async (t) => {
    const schema = fixture.newSchema();
    const stores = [0, 1, 2, 3, 4].map(() => open(schema));
    const results = await Promise.all(stores.map((s) => s.migrate()));
    t.deepEqual(results.flatMap((r) => r.applied).sort(), [1, 2]);
    t.deepEqual(await stores[0]?.appliedMigrations(), [1, 2]);
  });

  test('postgres store: a schema newer than this build is refused with STORE_ERR_MIGRATION', async (t) => {
    const schema = fixture.newSchema();
    const store = open(schema);
    await store.migrate();
    const client = new pg.Client({ connectionString: fixture.url });
    await client.connect();
    t.teardown(() => client.end());
    await client.query(
      `INSERT INTO ${schema}.schema_migrations (version, name) VALUES (99, 'future')`,
    );
    const e = await t.throwsAsync(store.migrate(), { instanceOf: Error });
    t.is((e as { code?: string } | undefined)?.code, 'STORE_ERR_MIGRATION');
    t.regex(e?.message ?? '', /schema is at version 99; expected at most 2/);
  });

  test('postgres store: a window query uses the (target, metric, ts) index', async (t) => {
    const schema = fixture.newSchema();
    const store = open(schema);
    await store.migrate();
    // A day of one-minute samples of every metric for 3 targets, so the planner has real stats.
    await store.appendSamples(
      ['svc-a', 'svc-b', 'svc-c'].flatMap((target) =>
        METRICS.flatMap((metric) =>
          Array.from({ length: 1440 }, (_, i) => ({
            target,
            metric,
            instance: null,
            ts: i * 60_000,
            value: i,
          })),
        ),
      ),
    );
    const client = new pg.Client({ connectionString: fixture.url });
    await client.connect();
    t.teardown(() => client.end());
    await client.query(`SET search_path = ${schema}`);
    await client.query('ANALYZE samples');
    const { rows } = await client.query(
      "EXPLAIN SELECT * FROM samples WHERE target = 'svc-a' AND metric = 'up' AND ts >= 600000 AND ts < 1200000 ORDER BY ts",
    );
    const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    t.regex(plan, /samples_target_metric_ts/);
    t.notRegex(plan, /Seq Scan|Sort/);
  });
}
