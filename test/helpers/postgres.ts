/**
 * The PostgreSQL test fixture: the server from `DATABASE_URL` (default the CI server,
 * postgres://postgres@127.0.0.1:5432/test), with schemas named `runwatch_test_<run>_<n>` that
 * `dropSchemas` removes. When the server is unreachable, `unavailable` says why: the caller skips
 * with that reason printed, or fails when REQUIRE_POSTGRES=1 (CI).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REQUIRE_POSTGRES = process.env.REQUIRE_POSTGRES === '1';

export interface PostgresFixture {
  readonly url: string;
  /** Null when the server answers; else why it cannot be used. */
  readonly unavailable: string | null;
  /** A new schema name, unique to this run; it is dropped by `dropSchemas`. */
  newSchema(): string;
  dropSchemas(): Promise<void>;
}

/**
 * Throw-away schemas on the server at `url`, named `<prefix>_<run>_<n>`: what the tests and the
 * benches (bench/lib/postgres.ts) share. `unavailable` is null when the server answers, else why.
 */
export async function scratchSchemas(url: string, prefix: string) {
  const run = randomBytes(4).toString('hex');
  const schemas: string[] = [];
  let unavailable: string | null = null;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (e) {
    unavailable = `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':[redacted]@')} is unreachable (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    await probe.end().catch(() => {});
  }
  /** A client with `search_path` set to `schema` (or the default), ended after `fn`. */
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
    withClient,
    newSchema(): string {
      const name = `${prefix}_${run}_${schemas.length}`;
      schemas.push(name);
      return name;
    },
    async dropSchemas(): Promise<void> {
      if (unavailable !== null || schemas.length === 0) return;
      await withClient(null, async (c) => {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      });
    },
  };
}

export async function postgresFixture(url = DATABASE_URL): Promise<PostgresFixture> {
  const scratch = await scratchSchemas(url, 'runwatch_test');
  return {
    url,
    unavailable:
      scratch.unavailable === null
        ? null
        : `${scratch.unavailable}; set DATABASE_URL or start the server`,
    newSchema: scratch.newSchema,
    dropSchemas: scratch.dropSchemas,
  };
}
