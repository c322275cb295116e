/**
 * PostgreSQL for benches, as the tests use it (test/helpers/postgres.ts): a server at a URL given
 * on the command line, a schema per store named `runwatch_bench_<run>_<n>`, and all of them
 * dropped at the end. When the server does not answer, `unavailable` says why and the bench
 * reports SQLite only.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchPostgres {
  readonly url: string;
  /** Null when the server answers; else why it cannot be used. */
  readonly unavailable: string | null;
  /** A new schema name, unique to this run; `dropSchemas` removes it. */
  newSchema(): string;
  /** Runs one statement with `search_path` set to `schema` (ANALYZE, EXPLAIN). */
  query<R extends pg.QueryResultRow>(
    schema: string,
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  dropSchemas(): Promise<void>;
}

export function redactPassword(url: string): string {
  return url.replace(/:[^:@/]*@/, ':[redacted]@');
}

export async function benchPostgres(url: string): Promise<BenchPostgres> {
  const run = randomBytes(4).toString('hex');
  const schemas: string[] = [];
  let unavailable: string | null = null;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (e) {
    unavailable = `PostgreSQL at ${redactPassword(url)} is unreachable (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    await probe.end().catch(() => {});
  }
  const withClient = async <T>(schema: string | null, fn: (c: pg.Client) => Promise<T>) => {
    const client = new pg.Client({
      connectionString: url,
      ...(schema === null ? {} : { options: `-c search_path=${schema}` }),
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    unavailable,
    newSchema() {
      const name = `runwatch_bench_${run}_${schemas.length}`;
      schemas.push(name);
      return name;
    },
    query(schema, sql, params = []) {
      return withClient(schema, (c) => c.query(sql, params));
    },
    async dropSchemas() {
      if (unavailable !== null || schemas.length === 0) return;
      await withClient(null, async (c) => {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      });
    },
  };
}
