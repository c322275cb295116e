import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../../alerts/store/migrations.js';
import { openStores, type Stores } from '../../../alerts/store/open.js';
import { SqliteStore } from '../../../alerts/store/sqlite.js';
import type { StoreError, TrendStore } from '../../../alerts/store/store.js';
import { storeContract } from './contract.js';
import { ALL_VERSIONS } from './contract-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'runwatch-store-'));
const opened: { close(): Promise<void> }[] = [];
let n = 0;

const open = (path: string): TrendStore => {
  const store = new SqliteStore({ path });
  opened.push(store);
  return store;
};
const newPath = () => join(dir, `store-${n++}.db`);
const openBoth = async (path: string): Promise<Stores> => {
  const stores = await openStores(`sqlite:${path}`, { platform: 'local' });
  opened.push(stores);
  return stores;
};

test.after.always(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

storeContract(test, 'sqlite', {
  async fresh() {
    const store = open(newPath());
    await store.migrate();
    return store;
  },
  async pair() {
    const path = newPath();
    return [open(path), open(path)];
  },
  stores: () => openBoth(newPath()),
  async storesPair() {
    const path = newPath();
    return [await openBoth(path), await openBoth(path)];
  },
  async atVersion(version, seed) {
    const path = newPath();
    const db = new Database(path);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
    );
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= version)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    if (seed !== undefined) db.exec(seed);
    db.close();
    return open(path);
  },
});

test('sqlite store: the file is in WAL mode with STRICT tables', async (t) => {
  const path = newPath();
  await open(path).migrate();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  const strict = db
    .prepare<[], { name: string; strict: number }>(
      "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'",
    )
    .all();
  t.deepEqual(strict.map((r) => r.name).sort(), [
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
  ]);
  t.true(strict.every((r) => r.strict === 1));
});

test('sqlite store: window queries read the covering (target, metric, ts, instance, value) index alone, in order', async (t) => {
  const path = newPath();
  await open(path).migrate();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  // The store's own window queries (sqlite.ts): every instance, and one instance.
  const base =
    "SELECT instance, ts, value FROM samples WHERE target = 'a' AND metric = 'up' AND ts >= 0 AND ts < 10";
  for (const sql of [`${base} ORDER BY ts, instance`, `${base} AND instance = 'i' ORDER BY ts`]) {
    const plan = db
      .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((r) => r.detail)
      .join('\n');
    t.regex(plan, /USING COVERING INDEX samples_window/, sql);
    t.notRegex(plan, /TEMP B-TREE/, sql);
  }
});

test('sqlite store: latestSweep reads the (recorded_at, sweep_id) index backwards, with no sort', async (t) => {
  const path = newPath();
  await open(path).migrate();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  // The store's own query (sqlite.ts).
  const plan = db
    .prepare<[], { detail: string }>(
      'EXPLAIN QUERY PLAN SELECT sweep_id, ts, recorded_at FROM sweeps ORDER BY recorded_at DESC, sweep_id DESC LIMIT 1',
    )
    .all()
    .map((r) => r.detail)
    .join('\n');
  t.regex(plan, /sweeps_recorded_at/);
  t.notRegex(plan, /TEMP B-TREE/);
});

test('sqlite store: four threads migrating one new file at once apply each version exactly once', async (t) => {
  const path = newPath();
  // Each worker opens its own connection and waits on a shared barrier, so all migrate together.
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const workerUrl = new URL('./sqlite-migrate-worker.js', import.meta.url);
  const results = await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<{ applied: number[]; version: number }>((resolve, reject) => {
          const w = new Worker(workerUrl, { workerData: { path, barrier, workers: 4 } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  t.deepEqual(results.flatMap((r) => r.applied).sort(), ALL_VERSIONS);
  t.deepEqual(
    results.map((r) => r.version),
    Array(4).fill(Math.max(...ALL_VERSIONS)),
  );
  t.deepEqual(await open(path).appliedMigrations(), ALL_VERSIONS);
});

test('sqlite store: a schema newer than this build is refused with STORE_ERR_MIGRATION', async (t) => {
  const path = newPath();
  await open(path).migrate();
  const db = new Database(path);
  db.prepare(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)",
  ).run();
  db.close();
  const e = await t.throwsAsync<StoreError>(open(path).migrate());
  t.is(e?.code, 'STORE_ERR_MIGRATION');
  t.regex(
    e?.message ?? '',
    new RegExp(`schema is at version 99; expected at most ${Math.max(...ALL_VERSIONS)}`),
  );
});

test('sqlite store: a version-1 database upgrades to the latest version and keeps its counter state, with no buckets', async (t) => {
  const path = newPath();
  const v1 = new Database(path);
  v1.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
  );
  v1.exec(SQLITE_MIGRATIONS[0]?.sql ?? '');
  v1.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('trend store');
  v1.prepare(
    "INSERT INTO counter_state (target, instance, ts, requests, errors) VALUES ('svc', 'i-1', 5, 10, 1)",
  ).run();
  v1.close();
  const store = open(path);
  t.deepEqual(await store.migrate(), {
    applied: ALL_VERSIONS.slice(1),
    version: Math.max(...ALL_VERSIONS),
  });
  t.deepEqual(await store.getCounterState('svc', 'i-1'), {
    target: 'svc',
    instance: 'i-1',
    ts: 5,
    requests: 10,
    errors: 1,
    buckets: [],
  });
});

test('sqlite store: a version-2 database upgrades to the latest version, the window index replacing (target, metric, ts), and keeps its samples', async (t) => {
  const path = newPath();
  const v2 = new Database(path);
  v2.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
  );
  for (const m of SQLITE_MIGRATIONS.slice(0, 2)) {
    v2.exec(m.sql);
    v2.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  v2.prepare(
    "INSERT INTO samples (target, metric, instance, ts, value) VALUES ('svc', 'requests_delta', 'i-1', 60000, 7), ('svc', 'up', '', 60000, 1)",
  ).run();
  v2.close();
  const store = open(path);
  t.deepEqual(await store.migrate(), {
    applied: ALL_VERSIONS.slice(2),
    version: Math.max(...ALL_VERSIONS),
  });
  t.deepEqual(
    await store.window({ target: 'svc', metric: 'requests_delta', from: 0, to: 120000 }),
    [{ target: 'svc', metric: 'requests_delta', instance: 'i-1', ts: 60000, value: 7 }],
  );
  t.deepEqual(
    await store.window({ target: 'svc', metric: 'up', from: 0, to: 120000, instance: null }),
    [{ target: 'svc', metric: 'up', instance: null, ts: 60000, value: 1 }],
  );
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  const indexes = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'samples' AND sql IS NOT NULL ORDER BY name",
    )
    .all()
    .map((r) => r.name);
  t.deepEqual(indexes, ['samples_target_ts', 'samples_ts', 'samples_window']);
});
