import test from 'ava';
import { openStore } from '../../../alerts/store/open.js';
import {
  checkRetentionDays,
  DEFAULT_RETENTION_DAYS,
  pruneExpired,
} from '../../../alerts/store/retention.js';
import { StoreError } from '../../../alerts/store/store.js';

const local = { platform: 'local', cwd: '/srv/app' } as const;

test('pruneExpired: deletes rows older than the retention (default 30 days) before now', async (t) => {
  const store = await openStore('sqlite::memory:', local);
  t.teardown(() => store.close());
  const now = 1_780_000_000_000;
  const day = 86_400_000;
  const sample = (ts: number) =>
    ({ target: 'svc', metric: 'up', instance: null, ts, value: 1 }) as const;
  await store.appendSamples([
    sample(now - 31 * day),
    sample(now - 30 * day - 1),
    sample(now - 29 * day),
  ]);
  t.is(await pruneExpired(store, { now, retentionDays: DEFAULT_RETENTION_DAYS, limit: 10 }), 2);
  t.is(await store.lastSeen({ target: 'svc' }), now - 29 * day);
});

test('retention: a retention outside 1..3650 days is refused naming STORE_RETENTION_DAYS', (t) => {
  for (const days of [0, -1, 1.5, 3651, Number.NaN]) {
    const e = t.throws(() => checkRetentionDays(days), { instanceOf: StoreError });
    t.is(e?.code, 'STORE_ERR_RETENTION_INVALID');
    t.regex(e?.message ?? '', /^STORE_RETENTION_DAYS=.*: expected an integer from 1 to 3650$/);
  }
  t.is(checkRetentionDays(30), 30);
});
