/**
 * The stores a suite runs its cases on: SQLite in memory always, and PostgreSQL (a new schema per
 * open) where the server answers. Without a server, one test says so: it fails under
 * REQUIRE_POSTGRES=1 and logs the skip otherwise. Whatever `open` returns is closed, and the
 * schemas dropped, after the file.
 */
import test from 'ava';
import { openStores, type Stores } from '../../alerts/store/open.js';
import { postgresFixture, REQUIRE_POSTGRES } from './postgres.js';

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<Stores>;
}

export async function storeBackends(suite: string): Promise<StoreBackend[]> {
  const fixture = await postgresFixture();
  const opened: Stores[] = [];
  test.after.always(async () => {
    for (const s of opened) await s.close();
    await fixture.dropSchemas();
  });
  const kept = async (stores: Promise<Stores>): Promise<Stores> => {
    const s = await stores;
    opened.push(s);
    return s;
  };
  const backends: StoreBackend[] = [
    { name: 'sqlite', open: () => kept(openStores('sqlite::memory:', { platform: 'local' })) },
  ];
  if (fixture.unavailable === null) {
    backends.push({
      name: 'postgres',
      open: () =>
        kept(
          openStores(fixture.url, {
            platform: 'local',
            schema: fixture.newSchema(),
            pool: { max: 2, idleTimeoutMs: 200 },
          }),
        ),
    });
  } else {
    const unavailable = fixture.unavailable;
    test(`${suite} (postgres): ${REQUIRE_POSTGRES ? 'the server is reachable (REQUIRE_POSTGRES=1)' : 'SKIPPED, no server'}`, (t) => {
      if (REQUIRE_POSTGRES) t.fail(unavailable);
      else {
        t.log(`SKIPPED: ${unavailable}`);
        t.pass();
      }
    });
  }
  return backends;
}
