/**
 * Opens the store named by `STORE_URL` (the trend store and, on its connection, the ingest and
 * engine stores) and migrates it. The values come in as parameters; reading them from the environment is
 * the caller's config module's job.
 *
 * Each dialect's modules are imported when a URL of that dialect is opened, never before: the
 * deployed functions' packages (deploy/package/) carry the PostgreSQL store and its driver but
 * not the SQLite store nor better-sqlite3, so importing this module must not need them.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { redactUrl } from '../../lib/redact.js';
import type { EngineStore } from './engine-store.js';
import type { IngestStore } from './ingest-store.js';
import { StoreError, type TrendStore } from './store.js';

/** The embedded default: a file under the working directory. */
export const DEFAULT_STORE_URL = 'sqlite:.runwatch/runwatch.db';

const EXPECTED_URL =
  'sqlite:<path> (relative to the working directory), sqlite::memory:, or postgres://user:password@host:port/database (Cloud SQL: postgres://user:password@/database?host=/cloudsql/PROJECT:REGION:INSTANCE)';

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      readonly connectionString: string;
      /** A host name, or the directory of a unix socket (Cloud SQL). */
      readonly host: string;
      readonly database: string;
    };

export interface OpenStoreOptions {
  /** On `cloud-run` a `sqlite:` URL is refused. */
  readonly platform: 'cloud-run' | 'kubernetes' | 'local';
  /** Resolves relative SQLite paths; default `process.cwd()`. */
  readonly cwd?: string;
  /** PostgreSQL schema (tests use one per run). */
  readonly schema?: string;
  /**
   * PostgreSQL pool size and idle timeout (default 4 connections, kept 10 s): tests that open
   * many stores at once keep them small so the server's connection limit holds.
   */
  readonly pool?: { readonly max?: number; readonly idleTimeoutMs?: number };
}

function invalid(url: string, expected: string): StoreError {
  return new StoreError(
    'STORE_ERR_URL_INVALID',
    `STORE_URL=${JSON.stringify(redactUrl(url))}: expected ${expected}`,
    { field: 'STORE_URL' },
  );
}

export function parseStoreUrl(url: string, options: OpenStoreOptions): StoreLocation {
  if (url.startsWith('sqlite:')) {
    if (options.platform === 'cloud-run') {
      throw new StoreError(
        'STORE_ERR_REFUSED_ON_CLOUD_RUN',
        `STORE_URL=${JSON.stringify(url)}: expected a postgres:// URL on Cloud Run (K_SERVICE is set), because instance disks are ephemeral and not shared between instances`,
        { field: 'STORE_URL' },
      );
    }
    const path = url.slice('sqlite:'.length);
    if (path === '') throw invalid(url, `a path after "sqlite:"; ${EXPECTED_URL}`);
    if (path === ':memory:') return { kind: 'sqlite', path };
    return { kind: 'sqlite', path: resolve(options.cwd ?? process.cwd(), path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    // WHATWG URL refuses credentials without a host, which the socket form has; parse it with a
    // stand-in host and take the real one from ?host=.
    const standIn = 'socket.invalid';
    let parsed: URL;
    try {
      parsed = new URL(
        url.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)(?=[/?]|$)/, `$1${standIn}`),
      );
    } catch {
      throw invalid(url, `a valid URL; ${EXPECTED_URL}`);
    }
    const hostParam = parsed.searchParams.get('host');
    const host = hostParam ?? (parsed.hostname === standIn ? '' : parsed.hostname);
    if (host === '') throw invalid(url, `a host, or ?host=/cloudsql/PROJECT:REGION:INSTANCE`);
    if (host.startsWith('/cloudsql/') && !/^\/cloudsql\/[^:/]+:[^:/]+:[^:/]+$/.test(host)) {
      throw invalid(url, 'the Cloud SQL socket as ?host=/cloudsql/PROJECT:REGION:INSTANCE');
    }
    const database = decodeURIComponent(parsed.pathname.slice(1));
    if (database === '' || database.includes('/'))
      throw invalid(url, 'a database name after the host, as in postgres://host/database');
    return { kind: 'postgres', connectionString: url, host, database };
  }
  throw invalid(url, EXPECTED_URL);
}

/**
 * The stores of one database: the trend store owns the connection (a better-sqlite3 handle or a
 * pg pool) and the ingest and engine stores use the same one, so a process holds one pool.
 */
export interface Stores {
  readonly trends: TrendStore;
  readonly ingest: IngestStore;
  readonly engine: EngineStore;
  /** Closes the shared connection (the same as `trends.close()`); every store is done then. */
  close(): Promise<void>;
}

/** A dialect's modules, or STORE_ERR_DIALECT_UNAVAILABLE when this installation lacks them. */
async function dialect<T>(
  url: string,
  kind: StoreLocation['kind'],
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    const other = kind === 'sqlite' ? 'a postgres:// URL' : 'a sqlite: URL';
    throw new StoreError(
      'STORE_ERR_DIALECT_UNAVAILABLE',
      `STORE_URL=${JSON.stringify(redactUrl(url))}: this installation has no ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} store (${(e as Error).message}); expected ${other}, or an installation that carries it`,
      { field: 'STORE_URL', cause: e },
    );
  }
}

/** Opens the database at `url`, applies pending migrations, and returns both of its stores. */
export async function openStores(url: string, options: OpenStoreOptions): Promise<Stores> {
  const location = parseStoreUrl(url, options);
  let trends: TrendStore;
  let ingest: IngestStore;
  let engine: EngineStore;
  if (location.kind === 'sqlite') {
    const [{ SqliteStore }, { SqliteIngestStore }, { SqliteEngineStore }] = await dialect(
      url,
      'sqlite',
      () =>
        Promise.all([
          import('./sqlite.js'),
          import('./sqlite-ingest.js'),
          import('./sqlite-engine.js'),
        ]),
    );
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    const store = new SqliteStore({ path: location.path });
    trends = store;
    ingest = new SqliteIngestStore(store.connection);
    engine = new SqliteEngineStore(store.connection);
  } else {
    const [{ PostgresStore }, { PostgresIngestStore }, { PostgresEngineStore }] = await dialect(
      url,
      'postgres',
      () =>
        Promise.all([
          import('./postgres.js'),
          import('./postgres-ingest.js'),
          import('./postgres-engine.js'),
        ]),
    );
    const store = new PostgresStore({
      connectionString: location.connectionString,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.pool?.max === undefined ? {} : { maxConnections: options.pool.max }),
      ...(options.pool?.idleTimeoutMs === undefined
        ? {}
        : { idleTimeoutMs: options.pool.idleTimeoutMs }),
    });
    trends = store;
    ingest = new PostgresIngestStore(store.pool);
    engine = new PostgresEngineStore(store.pool);
  }
  try {
    await trends.migrate();
  } catch (e) {
    await trends.close();
    throw e;
  }
  return { trends, ingest, engine, close: () => trends.close() };
}

/** Opens the trend store at `url` and applies pending migrations before returning it. */
export async function openStore(url: string, options: OpenStoreOptions): Promise<TrendStore> {
  return (await openStores(url, options)).trends;
}
