/**
 * The ingest store under concurrency, run by `storeContract` against both dialects on two
 * openings of one database (two pools on PostgreSQL, where the transactions really overlap; two
 * connections on SQLite, where the write lock serialises them). Each iteration uses new ids, so
 * one database serves them all.
 */
import type { TestFn } from 'ava';
import fc from 'fast-check';
import type { AdmitOutcome, IngestStore } from '../../../alerts/store/ingest-store.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import { incident, logAlert, type StoreFactory, T0 } from './contract-fixtures.js';

const LEASE = 30_000;
const ITERATIONS = 60;

export function ingestRaceContract(
  test: TestFn,
  title: (what: string) => string,
  factory: StoreFactory,
): void {
  const t_ = (what: string) => title(`ingest races: ${what}`);

  test(
    t_('concurrent admits of one message from two instances yield exactly one new'),
    async (t) => {
      const [a, b] = await factory.storesPair();
      for (let i = 0; i < ITERATIONS; i++) {
        // A log alert has no lifecycle, so only the unique constraint decides; an incident's
        // admits also queue on its lifecycle's lock.
        const input = {
          messageId: `m-${i}`,
          alert: i % 2 === 0 ? logAlert(`ins-${i}`) : incident(`inc-${i}`, 'firing'),
          receivedAt: T0,
        };
        const results = await Promise.all([
          a.ingest.admit(input),
          b.ingest.admit(input),
          a.ingest.admit(input),
          b.ingest.admit(input),
        ]);
        const outcomes = results.map((r) => r.outcome).sort();
        t.deepEqual(
          outcomes,
          ['duplicate_message', 'duplicate_message', 'duplicate_message', 'new'],
          `iteration ${i}`,
        );
      }
    },
  );

  test(
    t_('concurrent admits of one alert under two messageIds yield one new, one duplicate_content'),
    async (t) => {
      const [a, b] = await factory.storesPair();
      for (let i = 0; i < ITERATIONS; i++) {
        const alert = logAlert(`ins-${i}`);
        const results = await Promise.all([
          a.ingest.admit({ messageId: `m-${i}-a`, alert, receivedAt: T0 }),
          b.ingest.admit({ messageId: `m-${i}-b`, alert, receivedAt: T0 }),
        ]);
        t.deepEqual(
          results.map((r) => r.outcome).sort(),
          ['duplicate_content', 'new'],
          `iteration ${i}`,
        );
      }
    },
  );

  test(t_('concurrent claims of one hand-off: exactly one wins'), async (t) => {
    const [a, b] = await factory.storesPair();
    for (let i = 0; i < ITERATIONS; i++) {
      const alert = logAlert(`ins-${i}`);
      await a.ingest.admit({ messageId: `m-${i}`, alert, receivedAt: T0 });
      const claims = await Promise.all(
        [a, b, a, b].map((s) => s.ingest.claimHandOff(alert.dedupeKey, T0, LEASE)),
      );
      t.is(claims.filter(Boolean).length, 1, `iteration ${i}`);
    }
  });

  test(
    t_('concurrent admits of one key with a claim, same or new messageIds: exactly one claims'),
    async (t) => {
      const [a, b] = await factory.storesPair();
      for (let i = 0; i < ITERATIONS; i++) {
        const alert = i % 2 === 0 ? logAlert(`ins-${i}`) : incident(`inc-${i}`, 'firing');
        // Half the iterations redeliver one messageId, half republish under new ones.
        const ids = [0, 1, 2, 3, 4, 5].map((n) => (i % 4 < 2 ? `m-${i}` : `m-${i}-${n}`));
        const results = await Promise.all(
          ids.map((messageId, n) =>
            (n % 2 === 0 ? a : b).ingest.admit({
              messageId,
              alert,
              receivedAt: T0,
              claim: { now: T0, leaseMs: LEASE },
            }),
          ),
        );
        t.is(results.filter((r) => r.claimed).length, 1, `iteration ${i}: claimed`);
        t.is(results.filter((r) => r.outcome === 'new').length, 1, `iteration ${i}: new`);
        t.true(
          results.every((r) => r.claimed === (r.outcome === 'new') && !r.handedOff),
          `iteration ${i}: the new one claims, the duplicates see it pending`,
        );
        t.false(await a.ingest.claimHandOff(alert.dedupeKey, T0, LEASE), `iteration ${i}: held`);
      }
    },
  );

  test(
    t_(
      'any interleaving of redeliveries: one new per dedupe key that is not stale, one hand-off each',
    ),
    async (t) => {
      const [a, b] = await factory.storesPair();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(scenario(), async ({ messages, order }) => {
          const r = run++;
          // The catalogue of contents: two incidents (open and closed) and two log entries.
          const catalogue: IncomingAlert[] = [
            incident(`${r}.1`, 'firing'),
            incident(`${r}.1`, 'resolved'),
            incident(`${r}.2`, 'firing'),
            incident(`${r}.2`, 'resolved'),
            logAlert(`${r}.1`),
            logAlert(`${r}.2`),
          ];
          const deliveries = order.map((m) => ({
            messageId: `${r}-m${m}`,
            alert: catalogue[messages[m] ?? 0] as IncomingAlert,
          }));
          const handOffs = new Map<string, number>();
          const outcomes: { messageId: string; key: string; outcome: AdmitOutcome }[] = [];
          const retry: typeof deliveries = [];
          /**
           * The ingest caller: admit; unless handed off, claim, hand off, complete. Every other
           * delivery asks the admit for the claim, as intake does; the rest claim apart, as an
           * older build does, so both meet in one run.
           */
          const deliver = async (store: IngestStore, d: (typeof deliveries)[number], n: number) => {
            const claim = n % 2 === 0 ? { now: T0, leaseMs: LEASE } : undefined;
            const admitted = await store.admit({ ...d, receivedAt: T0, ...(claim && { claim }) });
            outcomes.push({
              messageId: d.messageId,
              key: d.alert.dedupeKey,
              outcome: admitted.outcome,
            });
            if (admitted.handedOff) return;
            if (!admitted.claimed && !(await store.claimHandOff(d.alert.dedupeKey, T0, LEASE))) {
              retry.push(d); // held by a concurrent delivery: the caller throws, Pub/Sub retries
              return;
            }
            handOffs.set(d.alert.dedupeKey, (handOffs.get(d.alert.dedupeKey) ?? 0) + 1);
            await store.completeHandOff(d.alert.dedupeKey, T0);
          };
          await Promise.all(
            deliveries.map((d, i) => deliver((i % 2 === 0 ? a : b).ingest, d, Math.floor(i / 2))),
          );
          for (const [i, d] of retry.splice(0).entries()) await deliver(a.ingest, d, i);

          const byMessage = groupBy(outcomes, (o) => o.messageId);
          for (const [id, os] of byMessage) {
            const firsts = os.filter((o) => o.outcome !== 'duplicate_message');
            if (firsts.length !== 1) return fail(`message ${id}: ${os.map((o) => o.outcome)}`);
          }
          const keys = new Set(deliveries.map((d) => d.alert.dedupeKey));
          const closed = new Set(
            deliveries.filter((d) => d.alert.status === 'resolved').map((d) => d.alert.lifecycleId),
          );
          for (const key of keys) {
            const os = outcomes.filter((o) => o.key === key && o.outcome !== 'duplicate_message');
            const news = os.filter((o) => o.outcome === 'new').length;
            const stales = os.filter((o) => o.outcome === 'stale').length;
            if (news + stales !== 1) return fail(`key ${key}: ${os.map((o) => o.outcome)}`);
            const alert = catalogue.find((x) => x.dedupeKey === key) as IncomingAlert;
            const mayBeStale = alert.status === 'firing' && closed.has(alert.lifecycleId);
            if (stales === 1 && !mayBeStale) return fail(`key ${key} stale without its close`);
            const stored = await a.ingest.getAlert(key);
            const n = handOffs.get(key) ?? 0;
            if (stored?.stale ? n > 1 : n !== 1) return fail(`key ${key} handed off ${n} times`);
          }
          return true;
        }),
        { numRuns: ITERATIONS },
      );
      t.pass();
    },
  );
}

/**
 * Up to 8 messages, each one of the catalogue's 6 contents (so some share a dedupe key, and
 * opens meet closes), each delivered 1 to 3 times, in any order.
 */
function scenario() {
  return fc
    .array(fc.record({ content: fc.nat(5), copies: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 8,
    })
    .chain((ms) => {
      const all = ms.flatMap((m, i) => Array.from({ length: m.copies }, () => i));
      return fc
        .shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
        .map((order) => ({ messages: ms.map((m) => m.content), order }));
    });
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
}

function fail(why: string): never {
  throw new Error(why);
}
