/**
 * PostgreSQL for benches, as the tests use it (test/helpers/postgres.ts): a server at a URL given
 * on the command line, a schema per store named `runwatch_bench_<run>_<n>`, and all of them
 * dropped at the end. When the server does not answer, `unavailable` says why and the bench
 * reports SQLite only.
 */
import type pg from 'pg';
import { scratchSchemas } from '../../test/helpers/postgres.js';

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

export async function benchPostgres(url: string): Promise<BenchPostgres> {
  const scratch = await scratchSchemas(url, 'runwatch_bench');
  return {
    url,
    unavailable: scratch.unavailable,
    newSchema: scratch.newSchema,
    query(schema, sql, params = []) {
      return scratch.withClient(schema, (c) => c.query(sql, params));
    },
    dropSchemas: scratch.dropSchemas,
  };
}
