import test from 'ava';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../../alerts/store/migrations.js';
import { openStores, type Stores } from '../../../alerts/store/open.js';
import { PostgresStore } from '../../../alerts/store/postgres.js';
import type { TrendStore } from '../../../alerts/store/store.js';
import { METRICS } from '../../../alerts/types.js';
import { postgresFixture, REQUIRE_POSTGRES } from '../../helpers/postgres.js';
import { storeContract } from './contract.js';
import { ALL_VERSIONS } from './contract-fixtures.js';

const fixture = await postgresFixture();
/** Many stores are open at once here: small pools that let idle connections go. */
const SMALL_POOL = { max: 2, idleTimeoutMs: 200 };
const opened: { close(): Promise<void> }[] = [];

const open = (schema: string): TrendStore => {
  const store = new PostgresStore({
    connectionString: fixture.url,
    schema,
    maxConnections: 2,
    idleTimeoutMs: 200,
  });
  opened.push(store);
  return store;
};

const openBoth = async (schema: string): Promise<Stores> => {
  const stores = await openStores(fixture.url, { platform: 'local', schema, pool: SMALL_POOL });
  opened.push(stores);
  return stores;
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
    stores: () => openBoth(fixture.newSchema()),
    async storesPair() {
      const schema = fixture.newSchema();
      return [await openBoth(schema), await openBoth(schema)];
    },
    async atVersion(version, seed) {
      const schema = fixture.newSchema();
      const client = new pg.Client({ connectionString: fixture.url });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
        await client.query(
          'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
        );
        for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= version)) {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
        }
        if (seed !== undefined) await client.query(seed);
      } finally {
        await client.end();
      }
      return open(schema);
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
      [
        'counter_state',
        'engine_alerts',
        'engine_groups',
        'engine_members',
        'engine_outbox',
        'engine_silences',
        'findings',
        'ingest_alerts',
        'ingest_messages',
        'ingest_poison',
        'sample_rollups',
        'samples',
        'schema_migrations',
        'sweeps',
      ],
    );
  });

  test('postgres store: five pools migrating one new schema at once apply each version exactly once', async (t) => {
    const schema = fixture.newSchema();
    const stores = [0, 1, 2, 3, 4].map(() => open(schema));
    const results = await Promise.all(stores.map((s) => s.migrate()));
    t.deepEqual(results.flatMap((r) => r.applied).sort(), ALL_VERSIONS);
    t.deepEqual(await stores[0]?.appliedMigrations(), ALL_VERSIONS);
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
    t.regex(
      e?.message ?? '',
      new RegExp(`schema is at version 99; expected at most ${Math.max(...ALL_VERSIONS)}`),
    );
  });

  test('postgres store: window queries are index-only scans of samples_window, in order, even with one target', async (t) => {
    const schema = fixture.newSchema();
    const store = open(schema);
    await store.migrate();
    // Two days of one-minute samples of every metric for one target: the target filters nothing,
    // which made the planner prefer samples_ts and filter the other metrics out before version 3.
    await store.appendSamples(
      METRICS.flatMap((metric) =>
        Array.from({ length: 2880 }, (_, i) => ({
          target: 'svc-a',
          metric,
          instance: metric.endsWith('_delta') ? `i-${i % 3}` : null,
          ts: i * 60_000,
          value: i,
        })),
      ),
    );
    const client = new pg.Client({ connectionString: fixture.url });
    await client.connect();
    t.teardown(() => client.end());
    await client.query(`SET search_path = ${schema}`);
    // What autovacuum does after a bulk insert: statistics, and the visibility map that lets an
    // index-only scan skip the table. A transaction open elsewhere on the server (the concurrent
    // ingest tests, another run) keeps VACUUM from marking pages all-visible, so repeat it until
    // every page is, as autovacuum would in time.
    for (let i = 0; i < 50; i++) {
      await client.query('VACUUM ANALYZE samples');
      const { rows } = await client.query(
        "SELECT relallvisible >= relpages AS done FROM pg_class WHERE oid = 'samples'::regclass",
      );
      if ((rows[0] as { done: boolean } | undefined)?.done) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The store's own window queries (postgres.ts): every instance, and one instance.
    const base =
      "SELECT instance, ts, value FROM samples WHERE target = 'svc-a' AND metric = 'requests_delta' AND ts >= 0 AND ts < 86400000";
    for (const sql of [
      `${base} ORDER BY ts, instance`,
      `${base} AND instance = 'i-1' ORDER BY ts`,
    ]) {
      const { rows } = await client.query(`EXPLAIN ${sql}`);
      const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      t.regex(plan, /Index Only Scan using samples_window/, sql);
      t.notRegex(plan, /Seq Scan|Sort|samples_ts/, sql);
    }
  });
}
