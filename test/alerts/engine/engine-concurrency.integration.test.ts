/**
 * Two engines at once on one PostgreSQL database (two pools: two function instances), and on one
 * SQLite file (two connections): the same alerts arrive at both, redelivered, and both flush at
 * once; the group's advisory lock (PostgreSQL) or the write lock (SQLite) serialises them, so the
 * outbox holds one notification per integration, not two.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createEngine } from '../../../alerts/engine/engine.js';
import { parseEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { openStores, type Stores } from '../../../alerts/store/open.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import { createLogger } from '../../../lib/logger.js';
import { postgresFixture, REQUIRE_POSTGRES } from '../../helpers/postgres.js';

const fixture = await postgresFixture();
/** Many stores are open at once here: small pools that let idle connections go. */
const SMALL_POOL = { max: 2, idleTimeoutMs: 200 };
const opened: Stores[] = [];
test.after.always(async () => {
  for (const s of opened) await s.close();
  await fixture.dropSchemas();
});

const CONFIG = parseEngineDefinitions(
  `
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
receivers:
  - name: oncall
    integrations: [{ type: log }, { type: log }]
`,
  'test.yaml',
);
const log = createLogger({ level: 'silent' });
const T0 = 1_780_000_000_000;

const alert = (target: string, key: string): IncomingAlert => ({
  source: 'runwatch',
  dedupeKey: key,
  lifecycleId: null,
  status: 'firing',
  labels: { alertname: 'InferDown', target, severity: 'critical' },
  annotations: { summary: `${target} down` },
  startsAt: T0,
  endsAt: null,
});

async function race(t: import('ava').ExecutionContext, pair: [Stores, Stores]) {
  const engines = pair.map((s, i) =>
    createEngine({
      config: CONFIG,
      store: s.engine,
      log,
      now: () => T0,
      newId: () => `n${i}-${Math.random()}`,
    }),
  );
  // Both instances get both alerts (a redelivery each) at the same moment.
  await Promise.all(
    engines.flatMap((e) => [e.receive(alert('a', 'x')), e.receive(alert('b', 'y'))]),
  );
  await Promise.all(engines.map((e) => e.flushDue()));
  const rows = await pair[0].engine.deliveries({ limit: 50 });
  const notifications = new Set(rows.map((r) => r.notification.id));
  // The group's first flush decides on whatever had arrived; its next flush is group_interval
  // later, so every other flush at this moment finds it not due, or (racing it) waits for its
  // lock and then finds it not due.
  t.is(notifications.size, 1);
  t.is(rows[0]?.notification.reason, 'first notification');
  t.is(rows.length, 2, 'one row per integration');
}

test('engine concurrency (SQLite): two engines on one file send one first notification', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'runwatch-engine-')), 'store.db');
  const pair: [Stores, Stores] = [
    await openStores(`sqlite:${file}`, { platform: 'local' }),
    await openStores(`sqlite:${file}`, { platform: 'local' }),
  ];
  opened.push(...pair);
  await race(t, pair);
});

if (fixture.unavailable !== null) {
  test(`engine concurrency (PostgreSQL): ${REQUIRE_POSTGRES ? 'the server is reachable (REQUIRE_POSTGRES=1)' : 'SKIPPED, no server'}`, (t) => {
    if (REQUIRE_POSTGRES) t.fail(fixture.unavailable ?? '');
    else {
      t.log(`SKIPPED: ${fixture.unavailable}`);
      t.pass();
    }
  });
} else {
  for (let round = 0; round < 5; round++) {
    test(`engine concurrency (PostgreSQL): two engines on one database send one first notification (round ${round})`, async (t) => {
      const schema = fixture.newSchema();
      const pair: [Stores, Stores] = [
        await openStores(fixture.url, { platform: 'local', schema, pool: SMALL_POOL }),
        await openStores(fixture.url, { platform: 'local', schema, pool: SMALL_POOL }),
      ];
      opened.push(...pair);
      await race(t, pair);
    });
  }
}
