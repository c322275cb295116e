/**
 * The ingest store contract (migration 6), run by `storeContract` against both dialects: admit
 * outcomes, the leased hand-off, poison kept byte-exact, and retention. Races and the
 * interleaving property are in contract-ingest-races.ts.
 */
import type { TestFn } from 'ava';
import type { IngestStore, PoisonInput } from '../../../alerts/store/ingest-store.js';
import type { StoreError } from '../../../alerts/store/store.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import { incident, logAlert, MIN, type StoreFactory, T0 } from './contract-fixtures.js';

const LEASE = 30_000;

/** What the ingest caller does per delivery: admit, then claim, hand off and complete. */
export async function deliver(
  ingest: IngestStore,
  messageId: string,
  alert: IncomingAlert,
  now = T0,
): Promise<{ outcome: string; handedOff: boolean; claimed: boolean }> {
  const admitted = await ingest.admit({ messageId, alert, receivedAt: now });
  if (admitted.handedOff) return { ...admitted, claimed: false };
  const claimed = await ingest.claimHandOff(alert.dedupeKey, now, LEASE);
  if (claimed) await ingest.completeHandOff(alert.dedupeKey, now);
  return { ...admitted, claimed };
}

export function ingestContract(
  test: TestFn,
  title: (what: string) => string,
  factory: StoreFactory,
): void {
  const t_ = (what: string) => title(`ingest: ${what}`);

  test(t_('a new alert is stored with its first messageId and awaits its hand-off'), async (t) => {
    const { ingest } = await factory.stores();
    const alert = incident('0.abc', 'firing');
    t.deepEqual(await ingest.admit({ messageId: 'm-1', alert, receivedAt: T0 }), {
      outcome: 'new',
      handedOff: false,
      claimed: false,
    });
    t.deepEqual(await ingest.getAlert(alert.dedupeKey), {
      alert,
      messageId: 'm-1',
      receivedAt: T0,
      stale: false,
      leaseUntil: null,
      handedOffAt: null,
    });
    t.is(await ingest.getAlert('monitoring:never:open'), null);
  });

  test(
    t_('a redelivered messageId is duplicate_message; handedOff once the hand-off completed'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      t.like(await deliver(ingest, 'm-1', alert), { outcome: 'new', claimed: true });
      t.deepEqual(await ingest.admit({ messageId: 'm-1', alert, receivedAt: T0 + MIN }), {
        outcome: 'duplicate_message',
        handedOff: true,
        claimed: false,
      });
      t.like(await ingest.getAlert(alert.dedupeKey), { handedOffAt: T0, leaseUntil: null });
    },
  );

  test(
    t_('the same alert under a new messageId is duplicate_content, and that id is recorded'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = incident('0.abc', 'firing');
      await deliver(ingest, 'm-1', alert);
      t.deepEqual(await ingest.admit({ messageId: 'm-2', alert, receivedAt: T0 + MIN }), {
        outcome: 'duplicate_content',
        handedOff: true,
        claimed: false,
      });
      t.is(
        (await ingest.admit({ messageId: 'm-2', alert, receivedAt: T0 })).outcome,
        'duplicate_message',
      );
      t.like(await ingest.getAlert(alert.dedupeKey), { messageId: 'm-1', receivedAt: T0 });
    },
  );

  test(t_('closed before open: the open is stale, recorded, and never handed off'), async (t) => {
    const { ingest } = await factory.stores();
    const closed = incident('0.abc', 'resolved');
    const open = incident('0.abc', 'firing');
    t.like(await deliver(ingest, 'm-close', closed), { outcome: 'new', claimed: true });
    t.deepEqual(await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0 }), {
      outcome: 'stale',
      handedOff: true,
      claimed: false,
    });
    t.false(await ingest.claimHandOff(open.dedupeKey, T0, LEASE));
    t.like(await ingest.getAlert(open.dedupeKey), { stale: true, handedOffAt: null });
    t.deepEqual(await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0 }), {
      outcome: 'duplicate_message',
      handedOff: true,
      claimed: false,
    });
    // Another incident's open is not affected.
    t.is((await deliver(ingest, 'm-other', incident('0.xyz', 'firing'))).outcome, 'new');
  });

  test(t_('an open handed off, then its close: both handed off, the open not stale'), async (t) => {
    const { ingest } = await factory.stores();
    const open = incident('0.abc', 'firing');
    t.like(await deliver(ingest, 'm-open', open), { outcome: 'new', claimed: true });
    t.like(await deliver(ingest, 'm-close', incident('0.abc', 'resolved')), {
      outcome: 'new',
      claimed: true,
    });
    t.like(await ingest.getAlert(open.dedupeKey), { stale: false, handedOffAt: T0 });
  });

  test(
    t_('a close stored while its open awaits hand-off makes the open stale for the redelivery'),
    async (t) => {
      const { ingest } = await factory.stores();
      const open = incident('0.abc', 'firing');
      // The open is stored and its delivery crashes before the hand-off.
      t.is(
        (await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0 })).outcome,
        'new',
      );
      t.like(await deliver(ingest, 'm-close', incident('0.abc', 'resolved')), { claimed: true });
      t.deepEqual(await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0 + MIN }), {
        outcome: 'duplicate_message',
        handedOff: true,
        claimed: false,
      });
      t.false(await ingest.claimHandOff(open.dedupeKey, T0 + MIN, LEASE));
    },
  );

  test(
    t_('a crash between store and hand-off: the redelivery claims and hands off, once'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      t.deepEqual(await ingest.admit({ messageId: 'm-1', alert, receivedAt: T0 }), {
        outcome: 'new',
        handedOff: false,
        claimed: false,
      });
      t.like(await deliver(ingest, 'm-1', alert, T0 + MIN), {
        outcome: 'duplicate_message',
        handedOff: false,
        claimed: true,
      });
      t.like(await ingest.getAlert(alert.dedupeKey), { handedOffAt: T0 + MIN });
      t.like(await deliver(ingest, 'm-1', alert, T0 + 2 * MIN), {
        handedOff: true,
        claimed: false,
      });
      // The same content under a new messageId after the crash is recovered the same way.
      const other = logAlert('ins-2');
      await ingest.admit({ messageId: 'm-2', alert: other, receivedAt: T0 });
      t.like(await deliver(ingest, 'm-3', other, T0 + MIN), {
        outcome: 'duplicate_content',
        handedOff: false,
        claimed: true,
      });
    },
  );

  test(
    t_('a held lease refuses the claim until it expires; then it can be claimed again'),
    async (t) => {
      const { ingest } = await factory.stores();
      const key = logAlert('ins-1').dedupeKey;
      await ingest.admit({ messageId: 'm-1', alert: logAlert('ins-1'), receivedAt: T0 });
      t.true(await ingest.claimHandOff(key, T0, LEASE));
      t.like(await ingest.getAlert(key), { leaseUntil: T0 + LEASE, handedOffAt: null });
      t.false(await ingest.claimHandOff(key, T0 + LEASE - 1, LEASE));
      t.true(await ingest.claimHandOff(key, T0 + LEASE, LEASE), 'expired at its end');
      t.true(await ingest.completeHandOff(key, T0 + LEASE + 5));
      t.false(await ingest.completeHandOff(key, T0 + LEASE + 6), 'completed once');
      t.false(await ingest.claimHandOff(key, T0 + 10 * LEASE, LEASE), 'handed off: no claim');
      t.like(await ingest.getAlert(key), { leaseUntil: null, handedOffAt: T0 + LEASE + 5 });
      t.false(await ingest.claimHandOff('log:never', T0, LEASE));
      t.false(await ingest.completeHandOff('log:never', T0));
      await t.throwsAsync(ingest.claimHandOff(key, T0, 0), { instanceOf: RangeError });
    },
  );

  const claim = (now: number) => ({ now, leaseMs: LEASE });

  test(
    t_('admit with a claim: a new alert is claimed, its lease taken in the admit'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      t.deepEqual(
        await ingest.admit({ messageId: 'm-1', alert, receivedAt: T0, claim: claim(T0) }),
        { outcome: 'new', handedOff: false, claimed: true },
      );
      t.like(await ingest.getAlert(alert.dedupeKey), { leaseUntil: T0 + LEASE, handedOffAt: null });
      t.false(await ingest.claimHandOff(alert.dedupeKey, T0 + 1, LEASE), 'the admit holds it');
      t.true(await ingest.completeHandOff(alert.dedupeKey, T0 + 2));
      t.like(await ingest.getAlert(alert.dedupeKey), { leaseUntil: null, handedOffAt: T0 + 2 });
    },
  );

  test(
    t_('admit with a claim: a pending duplicate is claimed once its lease expired, not while held'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      await ingest.admit({ messageId: 'm-1', alert, receivedAt: T0, claim: claim(T0) });
      // The first delivery crashed before its hand-off; its lease runs until T0 + LEASE.
      t.deepEqual(
        await ingest.admit({
          messageId: 'm-1',
          alert,
          receivedAt: T0 + 1,
          claim: claim(T0 + LEASE - 1),
        }),
        { outcome: 'duplicate_message', handedOff: false, claimed: false },
      );
      t.like(await ingest.getAlert(alert.dedupeKey), { leaseUntil: T0 + LEASE });
      t.deepEqual(
        await ingest.admit({
          messageId: 'm-2',
          alert,
          receivedAt: T0 + 2,
          claim: claim(T0 + LEASE),
        }),
        { outcome: 'duplicate_content', handedOff: false, claimed: true },
        'expired at its end',
      );
      t.like(await ingest.getAlert(alert.dedupeKey), { leaseUntil: T0 + 2 * LEASE });
      // A pending alert admitted without a claim holds no lease: its redelivery claims it.
      const other = logAlert('ins-2');
      await ingest.admit({ messageId: 'm-3', alert: other, receivedAt: T0 });
      t.deepEqual(
        await ingest.admit({ messageId: 'm-3', alert: other, receivedAt: T0, claim: claim(T0) }),
        { outcome: 'duplicate_message', handedOff: false, claimed: true },
      );
    },
  );

  test(
    t_('admit with a claim: a handed-off alert and a stale one are not claimed and keep no lease'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      await deliver(ingest, 'm-1', alert);
      for (const messageId of ['m-1', 'm-2']) {
        t.like(
          await ingest.admit({ messageId, alert, receivedAt: T0, claim: claim(T0 + MIN) }),
          { handedOff: true, claimed: false },
          messageId,
        );
      }
      t.like(await ingest.getAlert(alert.dedupeKey), { leaseUntil: null, handedOffAt: T0 });
      await deliver(ingest, 'm-close', incident('0.abc', 'resolved'));
      const open = incident('0.abc', 'firing');
      t.deepEqual(
        await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0, claim: claim(T0) }),
        { outcome: 'stale', handedOff: true, claimed: false },
      );
      t.deepEqual(
        await ingest.admit({ messageId: 'm-open', alert: open, receivedAt: T0, claim: claim(T0) }),
        { outcome: 'duplicate_message', handedOff: true, claimed: false },
      );
      t.like(await ingest.getAlert(open.dedupeKey), { stale: true, leaseUntil: null });
    },
  );

  test(
    t_('admit with a claim whose lease is not a positive integer is refused, nothing stored'),
    async (t) => {
      const { ingest } = await factory.stores();
      const alert = logAlert('ins-1');
      for (const bad of [
        { now: T0, leaseMs: 0 },
        { now: T0 + 0.5, leaseMs: LEASE },
      ]) {
        await t.throwsAsync(
          ingest.admit({ messageId: 'm-1', alert, receivedAt: T0, claim: bad }),
          { instanceOf: RangeError },
          JSON.stringify(bad),
        );
      }
      t.is(await ingest.getAlert(alert.dedupeKey), null);
    },
  );

  const poison = (messageId: string, data: Buffer, receivedAt = T0): PoisonInput => ({
    messageId,
    code: 'ALR_ERR_MESSAGE_UNDECODABLE',
    reason: 'data is not JSON: "\\u0000\\u00ff…"',
    data,
    attributes: { googclient_schemaencoding: 'JSON', odd: 'a\u0000b\u00e9' },
    publishTime: T0 - 1000,
    receivedAt,
  });

  test(t_('poison keeps the bytes exactly (NUL, non-UTF-8) and is recorded once'), async (t) => {
    const { ingest } = await factory.stores();
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = Buffer.concat([
      Buffer.from([0x00, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x00]),
      every,
    ]);
    const first = poison('m-1', data);
    t.deepEqual(await ingest.recordPoison(first), { inserted: true, deadLetteredAt: null });
    t.deepEqual(await ingest.recordPoison({ ...first, reason: 'again' }), {
      inserted: false,
      deadLetteredAt: null,
    });
    t.true(await ingest.markDeadLettered('m-1', T0 + 5));
    t.false(await ingest.markDeadLettered('m-1', T0 + 6));
    t.false(await ingest.markDeadLettered('m-never', T0));
    t.deepEqual(await ingest.recordPoison(first), { inserted: false, deadLetteredAt: T0 + 5 });
    const empty = poison('m-2', Buffer.alloc(0), T0 + 1);
    await ingest.recordPoison(empty);
    const listed = await ingest.poison({ limit: 10 });
    t.deepEqual(listed, [
      { ...first, deadLetteredAt: T0 + 5 },
      { ...empty, deadLetteredAt: null },
    ]);
    t.true(Buffer.isBuffer(listed[0]?.data) && listed[0].data.equals(data));
    t.is(listed[1]?.data.length, 0);
  });

  test(
    t_('the poison listing is oldest first, from a received time, within the limit'),
    async (t) => {
      const { ingest } = await factory.stores();
      for (const [id, at] of [
        ['m-b', T0 + MIN],
        ['m-c', T0 + 2 * MIN],
        ['m-a', T0 + MIN],
        ['m-0', T0],
      ] as const)
        await ingest.recordPoison(poison(id, Buffer.from(id), at));
      const ids = (rs: { messageId: string }[]) => rs.map((r) => r.messageId);
      t.deepEqual(ids(await ingest.poison({ limit: 10 })), ['m-0', 'm-a', 'm-b', 'm-c']);
      t.deepEqual(ids(await ingest.poison({ from: T0 + MIN, limit: 2 })), ['m-a', 'm-b']);
      t.deepEqual(await ingest.poison({ from: T0 + 3 * MIN, limit: 2 }), []);
      await t.throwsAsync(ingest.poison({ limit: 0 }), { instanceOf: RangeError });
    },
  );

  test(t_('prune removes ingest rows older than the cut, within the limit'), async (t) => {
    const { trends, ingest } = await factory.stores();
    const cut = T0 + 10 * MIN;
    await ingest.admit({ messageId: 'old-1', alert: logAlert('old-1'), receivedAt: cut - 2 * MIN });
    await ingest.admit({ messageId: 'old-2', alert: logAlert('old-2'), receivedAt: cut - MIN });
    await ingest.recordPoison(poison('old-p', Buffer.from([1]), cut - MIN));
    await ingest.admit({ messageId: 'new-1', alert: logAlert('new-1'), receivedAt: cut });
    await ingest.recordPoison(poison('new-p', Buffer.from([2]), cut));
    t.is(await trends.prune({ before: cut, limit: 3 }), 3);
    t.is(await trends.prune({ before: cut, limit: 3 }), 2);
    t.is(await trends.prune({ before: cut, limit: 3 }), 0);
    t.is(await ingest.getAlert('log:old-1'), null);
    t.is(await ingest.getAlert('log:old-2'), null);
    t.not(await ingest.getAlert('log:new-1'), null);
    t.deepEqual(
      (await ingest.poison({ limit: 10 })).map((p) => p.messageId),
      ['new-p'],
    );
    t.is(
      (await ingest.admit({ messageId: 'new-1', alert: logAlert('new-1'), receivedAt: cut }))
        .outcome,
      'duplicate_message',
    );
    // A message older than the retention is forgotten: seen again, it is new.
    t.is(
      (await ingest.admit({ messageId: 'old-1', alert: logAlert('old-1'), receivedAt: cut }))
        .outcome,
      'new',
    );
  });

  test(
    t_('what the store cannot hold is refused with STORE_ERR_INGEST_INVALID, nothing stored'),
    async (t) => {
      const { ingest } = await factory.stores();
      const nul = {
        ...logAlert('ins-1'),
        labels: { alertname: 'X', severity: 'warning', job: 'a\u0000b' },
      };
      const e = await t.throwsAsync<StoreError>(
        ingest.admit({ messageId: 'm-1', alert: nul, receivedAt: T0 }),
      );
      t.is(e?.code, 'STORE_ERR_INGEST_INVALID');
      t.is(e?.field, 'alert.labels.job');
      t.regex(
        e?.message ?? '',
        /^admit field "alert.labels.job" is "a\\u0000b"; expected a string without NUL/,
      );
      const lone = { ...logAlert('ins-1'), dedupeKey: 'log:\ud800' };
      const e2 = await t.throwsAsync<StoreError>(
        ingest.admit({ messageId: 'm-1', alert: lone, receivedAt: T0 }),
      );
      t.is(e2?.field, 'alert.dedupeKey');
      const e3 = await t.throwsAsync<StoreError>(
        ingest.admit({ messageId: '', alert: logAlert('ins-1'), receivedAt: T0 }),
      );
      t.is(e3?.field, 'messageId');
      const e4 = await t.throwsAsync<StoreError>(
        ingest.recordPoison({ ...poison('m-p', Buffer.from([0])), code: '' }),
      );
      t.is(e4?.code, 'STORE_ERR_INGEST_INVALID');
      t.is(e4?.field, 'code');
      t.is(
        (await ingest.admit({ messageId: 'm-1', alert: logAlert('ins-1'), receivedAt: T0 }))
          .outcome,
        'new',
      );
      t.deepEqual(await ingest.poison({ limit: 10 }), []);
    },
  );
}
