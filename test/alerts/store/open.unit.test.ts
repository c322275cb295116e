import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import {
  DEFAULT_STORE_URL,
  openStore,
  openStores,
  parseStoreUrl,
} from '../../../alerts/store/open.js';
import { StoreError } from '../../../alerts/store/store.js';
import { redactUrl } from '../../../lib/redact.js';
import { ALL_VERSIONS } from './contract-fixtures.js';

const local = { platform: 'local', cwd: '/srv/app' } as const;
const cloudRun = { platform: 'cloud-run', cwd: '/srv/app' } as const;

function errorOf(url: string, options: Parameters<typeof parseStoreUrl>[1] = local): StoreError {
  try {
    parseStoreUrl(url, options);
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error(`${url} was accepted`);
}

test('openStore url: the default is a file under .runwatch, relative to the working directory', (t) => {
  t.deepEqual(parseStoreUrl(DEFAULT_STORE_URL, local), {
    kind: 'sqlite',
    path: '/srv/app/.runwatch/runwatch.db',
  });
  t.deepEqual(parseStoreUrl('sqlite:/var/lib/rw.db', local), {
    kind: 'sqlite',
    path: '/var/lib/rw.db',
  });
});

test('openStore url: sqlite::memory: is an in-memory database', (t) => {
  t.deepEqual(parseStoreUrl('sqlite::memory:', local), { kind: 'sqlite', path: ':memory:' });
});

test('openStore url: postgres:// and postgresql:// with a host are passed to pg as given', (t) => {
  const url = 'postgres://rw:s3cret@db.internal:6432/runwatch?sslmode=require';
  t.deepEqual(parseStoreUrl(url, cloudRun), {
    kind: 'postgres',
    connectionString: url,
    host: 'db.internal',
    database: 'runwatch',
  });
  t.is(parseStoreUrl('postgresql://127.0.0.1/test', local).kind, 'postgres');
});

test('openStore url: the Cloud SQL unix-socket form parses, and pg connects to that socket', (t) => {
  const url = 'postgres://rw:p%40ss@/runwatch?host=/cloudsql/my-proj:europe-west1:rw-db';
  const location = parseStoreUrl(url, cloudRun);
  t.deepEqual(location, {
    kind: 'postgres',
    connectionString: url,
    host: '/cloudsql/my-proj:europe-west1:rw-db',
    database: 'runwatch',
  });
  const client = new pg.Client({ connectionString: url });
  t.is(client.host, '/cloudsql/my-proj:europe-west1:rw-db');
  t.is(client.database, 'runwatch');
  t.is(client.user, 'rw');
});

test('openStore url: sqlite is refused on Cloud Run, naming STORE_URL, the value and what is expected', (t) => {
  const e = errorOf(DEFAULT_STORE_URL, cloudRun);
  t.is(e.code, 'STORE_ERR_REFUSED_ON_CLOUD_RUN');
  t.is(e.field, 'STORE_URL');
  t.is(
    e.message,
    'STORE_URL="sqlite:.runwatch/runwatch.db": expected a postgres:// URL on Cloud Run (K_SERVICE is set), because instance disks are ephemeral and not shared between instances',
  );
  t.is(errorOf('sqlite::memory:', cloudRun).code, 'STORE_ERR_REFUSED_ON_CLOUD_RUN');
});

const invalid = [
  { url: 'mysql://u:hunter2@db/x', expected: /expected sqlite:<path> .*or postgres:\/\// },
  { url: 'sqlite:', expected: /expected a path after "sqlite:"/ },
  { url: '/var/lib/rw.db', expected: /expected sqlite:<path>/ },
  { url: '', expected: /expected sqlite:<path>/ },
  { url: 'postgres://u:hunter2@/runwatch', expected: /expected a host, or \?host=\/cloudsql\// },
  {
    url: 'postgres://u:hunter2@/runwatch?host=/cloudsql/my-proj',
    expected: /expected the Cloud SQL socket as \?host=\/cloudsql\/PROJECT:REGION:INSTANCE/,
  },
  { url: 'postgres://u:hunter2@db.internal', expected: /expected a database name/ },
  { url: 'postgres://u:hunter2@db:99999/x', expected: /expected a valid URL/ },
];

for (const { url, expected } of invalid) {
  test(`openStore url: ${JSON.stringify(url)} is refused with the password redacted`, (t) => {
    const e = errorOf(url);
    t.is(e.code, 'STORE_ERR_URL_INVALID');
    t.is(e.field, 'STORE_URL');
    t.true(e.message.startsWith(`STORE_URL=${JSON.stringify(redactUrl(url))}: `), e.message);
    t.regex(e.message, expected);
    t.false(e.message.includes('hunter2'));
  });
}

test('openStore url: redactUrl hides only the password', (t) => {
  t.is(redactUrl('postgres://rw:s3cret@h:5432/db'), 'postgres://rw:[redacted]@h:5432/db');
  t.is(
    redactUrl('postgres://rw:s3cret@/db?host=/cloudsql/a:b:c'),
    'postgres://rw:[redacted]@/db?host=/cloudsql/a:b:c',
  );
  t.is(redactUrl('postgres://rw@h/db'), 'postgres://rw@h/db');
  t.is(redactUrl('sqlite:.runwatch/runwatch.db'), 'sqlite:.runwatch/runwatch.db');
});

test('openStore url: redactUrl blanks a password with @ or / in it whole, and a password query parameter', (t) => {
  t.is(redactUrl('postgres://u:p@ss@h/db'), 'postgres://u:[redacted]@h/db');
  t.is(redactUrl('postgres://u:p/ss@h:5432/db'), 'postgres://u:[redacted]@h:5432/db');
  t.is(
    redactUrl('postgres://h/db?password=secret&sslmode=require'),
    'postgres://h/db?password=[redacted]&sslmode=require',
  );
  t.is(
    redactUrl('postgres://u@h/db?sslmode=require&PASSWORD=x'),
    'postgres://u@h/db?sslmode=require&PASSWORD=[redacted]',
  );
  t.is(redactUrl('redis://:pw@host:6379'), 'redis://:[redacted]@host:6379');
  t.is(
    redactUrl('postgres://u:pw@/db?host=/cloudsql/p:r:i'),
    'postgres://u:[redacted]@/db?host=/cloudsql/p:r:i',
  );
});

test('openStore: a sqlite file store is created with its directory and migrated', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'runwatch-open-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const store = await openStore(DEFAULT_STORE_URL, { platform: 'local', cwd });
  t.teardown(() => store.close());
  t.true(existsSync(join(cwd, '.runwatch', 'runwatch.db')));
  t.deepEqual(await store.appliedMigrations(), ALL_VERSIONS);
});

test('openStores: the ingest store shares the trend store connection, and close ends both', async (t) => {
  // An in-memory SQLite database belongs to one connection: what the ingest store writes, the
  // trend store's prune can delete only if they share it.
  const { trends, ingest, close } = await openStores('sqlite::memory:', local);
  const alert = {
    source: 'log',
    dedupeKey: 'log:1',
    lifecycleId: null,
    status: 'firing',
    labels: { alertname: 'LogError', severity: 'warning' },
    annotations: {},
    startsAt: 0,
    endsAt: null,
  } as const;
  t.is((await ingest.admit({ messageId: 'm-1', alert, receivedAt: 5 })).outcome, 'new');
  t.is(await trends.prune({ before: 6, limit: 10 }), 2, 'the message and the alert');
  await close();
  await t.throwsAsync(ingest.admit({ messageId: 'm-2', alert, receivedAt: 5 }));
});
