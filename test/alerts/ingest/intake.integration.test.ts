/**
 * Intake (normalise → admit → claim → hand off) over the real ingest store, SQLite and the real
 * PostgreSQL: each dedupe case of issue 17 yields exactly one hand-off, poison is kept and
 * dead-lettered once, and no interleaving of redeliveries (fast-check) hands an alert off twice
 * or loses one. The hand-off is a recording notifier and the dead-letter publisher a recording
 * function (the real Pub/Sub publish is tested through the emulator in the function's tests).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { IngestPoisonError } from '../../../alerts/ingest/errors.js';
import {
  createIntake,
  IntakeBusyError,
  type IntakeDeps,
  type HandOffRequest as Notification,
} from '../../../alerts/ingest/intake.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import type { PoisonInput } from '../../../alerts/store/ingest-store.js';
import { openStores, type Stores } from '../../../alerts/store/open.js';
import type { PubSubMessage } from '../../../alerts/types.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { postgresFixture, REQUIRE_POSTGRES } from '../../helpers/postgres.js';
import {
  INCIDENT_METRIC_CLOSED,
  INCIDENT_METRIC_OPEN,
  pubsubMessage,
  SINK_LOG_ENTRY,
} from './fixtures/gcp-formats.js';

const pg = await postgresFixture();
const opened: Stores[] = [];

type Open = () => Promise<Stores>;
const dialects: [string, Open][] = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'runwatch-intake-'));
      const stores = await openStores(`sqlite:${join(dir, 'store.db')}`, { platform: 'local' });
      await stores.trends.migrate();
      opened.push(stores);
      return stores;
    },
  ],
];
if (pg.unavailable === null) {
  dialects.push([
    'postgres',
    async () => {
      const stores = await openStores(pg.url, {
        platform: 'local',
        schema: pg.newSchema(),
        pool: { max: 2, idleTimeoutMs: 200 },
      });
      await stores.trends.migrate();
      opened.push(stores);
      return stores;
    },
  ]);
} else if (REQUIRE_POSTGRES) {
  test('intake: PostgreSQL is reachable (REQUIRE_POSTGRES=1)', (t) => t.fail(pg.unavailable ?? ''));
} else {
  test('intake: PostgreSQL cases SKIPPED, no server', (t) => {
    t.log(`SKIPPED: ${pg.unavailable}`);
    t.pass();
  });
}

test.after.always(async () => {
  for (const s of opened) await s.close();
  await pg.dropSchemas();
});

interface Harness {
  readonly intake: ReturnType<typeof createIntake>;
  readonly handed: Notification[];
  readonly deadLetters: PoisonInput[];
  readonly logs: ReturnType<typeof sinkLogger>;
  readonly clock: { now: number };
  /** Make the next `n` hand-offs (or dead-letter publishes) fail, as a crash or outage would. */
  failHandOffs(n: number): void;
  failDeadLetters(n: number): void;
}

async function harness(open: Open, options: { pubsub?: boolean } = {}): Promise<Harness> {
  const stores = await open();
  const handed: Notification[] = [];
  const deadLetters: PoisonInput[] = [];
  const logs = sinkLogger('debug');
  const clock = { now: Date.UTC(2026, 11, 7, 12) };
  let handOffFailures = 0;
  let deadLetterFailures = 0;
  const deps: IntakeDeps = {
    store: stores.ingest,
    normalise: (m) => normalise(m),
    handOff: async (n) => {
      if (handOffFailures > 0) {
        handOffFailures--;
        throw new Error('the instance died mid-hand-off');
      }
      handed.push(n);
    },
    deadLetter:
      options.pubsub === false
        ? null
        : async (p) => {
            if (deadLetterFailures > 0) {
              deadLetterFailures--;
              throw new Error('publish timed out');
            }
            deadLetters.push(p);
          },
    log: logs.log,
    now: () => clock.now,
    leaseMs: 10_000,
  };
  return {
    intake: createIntake(deps),
    handed,
    deadLetters,
    logs,
    clock,
    failHandOffs: (n) => {
      handOffFailures = n;
    },
    failDeadLetters: (n) => {
      deadLetterFailures = n;
    },
  };
}

const open1 = pubsubMessage(INCIDENT_METRIC_OPEN, {}, 'm-open-1');
const open2 = pubsubMessage(INCIDENT_METRIC_OPEN, {}, 'm-open-2');
const closed = pubsubMessage(INCIDENT_METRIC_CLOSED, {}, 'm-closed-1');
const logEntry = pubsubMessage(
  SINK_LOG_ENTRY,
  { 'logging.googleapis.com/timestamp': '2024-05-01T12:00:00.123Z' },
  'm-log-1',
);

const keysOf = (h: Harness) => h.handed.map((n) => n.alert.dedupeKey);

for (const [dialect, open] of dialects) {
  const named = (name: string) => `intake (${dialect}): ${name}`;

  test(
    named('a new incident is handed off once; the same message again is a duplicate'),
    async (t) => {
      const h = await harness(open);
      t.like(await h.intake.accept(open1), { kind: 'handed_off', recovered: false });
      t.like(await h.intake.accept(open1), { kind: 'duplicate', outcome: 'duplicate_message' });
      t.deepEqual(keysOf(h), ['monitoring:0.nz2jrw4lq8vd:open']);
      t.is(h.logs.lines.filter((l) => l.event === 'alert.duplicate').length, 1);
    },
  );

  test(
    named('the same incident republished under a new messageId is a duplicate by content'),
    async (t) => {
      const h = await harness(open);
      await h.intake.accept(open1);
      t.like(await h.intake.accept(open2), { kind: 'duplicate', outcome: 'duplicate_content' });
      t.is(h.handed.length, 1);
    },
  );

  test(
    named('closed arriving before open: the close is handed off, the late open is stale'),
    async (t) => {
      const h = await harness(open);
      t.like(await h.intake.accept(closed), { kind: 'handed_off' });
      t.like(await h.intake.accept(open1), { kind: 'stale' });
      t.deepEqual(keysOf(h), ['monitoring:0.nz2jrw4lq8vd:closed']);
      t.is(h.handed[0]?.alert.status, 'resolved');
    },
  );

  test(
    named('a crash between store and hand-off: the redelivery hands off once the lease has passed'),
    async (t) => {
      const h = await harness(open);
      h.failHandOffs(1);
      await t.throwsAsync(h.intake.accept(logEntry), { message: /died mid-hand-off/ });
      t.is(h.handed.length, 0);
      // Redelivered within the lease: another delivery may still be handing off, so retry later.
      await t.throwsAsync(h.intake.accept(logEntry), { instanceOf: IntakeBusyError });
      h.clock.now += 10_001;
      t.like(await h.intake.accept(logEntry), { kind: 'handed_off', recovered: true });
      t.like(await h.intake.accept(logEntry), { kind: 'duplicate' });
      t.is(h.handed.length, 1);
    },
  );

  test(
    named(
      'two concurrent deliveries of one message hand it off once; the loser retries into a duplicate',
    ),
    async (t) => {
      for (let i = 0; i < 20; i++) {
        const h = await harness(open);
        const message = pubsubMessage(INCIDENT_METRIC_OPEN, {}, `m-race-${i}`);
        const settled = await Promise.allSettled([
          h.intake.accept(message),
          h.intake.accept(message),
        ]);
        for (const s of settled) {
          if (s.status === 'rejected')
            t.true(s.reason instanceof IntakeBusyError, String(s.reason));
        }
        // Pub/Sub redelivers what failed; by then the hand-off is done.
        for (const s of settled) if (s.status === 'rejected') await h.intake.accept(message);
        t.is(h.handed.length, 1, `round ${i}`);
      }
    },
  );

  test(
    named('poison is acknowledged, kept byte-exact and dead-lettered once, however often it comes'),
    async (t) => {
      const h = await harness(open);
      const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x22]);
      const poison = { ...pubsubMessage(bytes, { a: 'b' }, 'm-poison-1') };
      t.like(await h.intake.accept(poison), {
        kind: 'poison',
        code: 'INGEST_ERR_NOT_JSON',
        deadLettered: true,
      });
      t.like(await h.intake.accept(poison), { kind: 'poison', deadLettered: true });
      t.is(h.deadLetters.length, 1);
      t.deepEqual(h.deadLetters[0]?.data, bytes);
      t.deepEqual(h.deadLetters[0]?.attributes, { a: 'b' });
      t.is(h.handed.length, 0);
      const lines = h.logs.lines.filter((l) => l.event === 'alert.poison');
      t.deepEqual(
        lines.map((l) => [l.code, l.firstSeen]),
        [
          ['INGEST_ERR_NOT_JSON', true],
          ['INGEST_ERR_NOT_JSON', false],
        ],
      );
    },
  );

  test(
    named('a failed dead-letter publish is retried by the redelivery, then published once'),
    async (t) => {
      const h = await harness(open);
      const poison = pubsubMessage('not json', {}, 'm-poison-2');
      h.failDeadLetters(1);
      await t.throwsAsync(h.intake.accept(poison), { message: /publish timed out/ });
      // Within the lease the publish may still be in flight elsewhere: retried later.
      await t.throwsAsync(h.intake.accept(poison), { instanceOf: IntakeBusyError });
      h.clock.now += 10_001;
      t.like(await h.intake.accept(poison), { kind: 'poison', deadLettered: true });
      t.like(await h.intake.accept(poison), { kind: 'poison', deadLettered: true });
      t.is(h.deadLetters.length, 1);
    },
  );

  test(
    named('two concurrent deliveries of one poison message publish one dead letter'),
    async (t) => {
      for (let i = 0; i < 10; i++) {
        const h = await harness(open);
        const poison = pubsubMessage('not json', {}, `m-poison-race-${i}`);
        const settled = await Promise.allSettled([
          h.intake.accept(poison),
          h.intake.accept(poison),
        ]);
        for (const s of settled) {
          if (s.status === 'rejected')
            t.true(s.reason instanceof IntakeBusyError, String(s.reason));
        }
        for (const s of settled) if (s.status === 'rejected') await h.intake.accept(poison);
        t.is(h.deadLetters.length, 1, `round ${i}`);
      }
    },
  );

  test(named('an alert the store would refuse is poison, acknowledged, not retried'), async (t) => {
    const h = await harness(open);
    // A messageId with a NUL byte passes the envelope but never the store.
    const message = { ...logEntry, messageId: 'm-\u0000-nul' };
    t.like(await h.intake.accept(message), { kind: 'poison', code: 'INGEST_ERR_FIELD_INVALID' });
    t.is(h.handed.length, 0);
  });

  test(named('without Pub/Sub, poison is kept in the store only'), async (t) => {
    const h = await harness(open, { pubsub: false });
    t.like(await h.intake.accept(pubsubMessage('[1', {}, 'm-poison-3')), {
      kind: 'poison',
      deadLettered: false,
    });
  });

  test(
    named('a message runwatch published (origin=runwatch) is dropped, not dead-lettered'),
    async (t) => {
      const h = await harness(open);
      t.like(
        await h.intake.accept(
          pubsubMessage(INCIDENT_METRIC_OPEN, { origin: 'runwatch' }, 'm-loop'),
        ),
        {
          kind: 'loop',
        },
      );
      t.is(h.deadLetters.length + h.handed.length, 0);
      t.is(h.logs.lines.filter((l) => l.event === 'alert.loop_dropped').length, 1);
    },
  );

  test(
    named('an envelope that never became a message is poison under the id the caller gives it'),
    async (t) => {
      const h = await harness(open);
      const error = new IngestPoisonError(
        'INGEST_ERR_ENVELOPE',
        'event is a string; expected an object',
      );
      const original = {
        messageId: 'sha256:abc',
        data: Buffer.from('"x"'),
        attributes: {},
        publishTime: 0,
      };
      t.like(await h.intake.reject(error, original), { kind: 'poison', deadLettered: true });
      t.like(await h.intake.reject(error, original), { kind: 'poison', deadLettered: true });
      t.is(h.deadLetters.length, 1);
    },
  );

  test(
    named(
      'property: any interleaving of redeliveries, with crashes, hands each live alert off exactly once',
    ),
    async (t) => {
      const messages: PubSubMessage[] = [open1, open2, closed, logEntry];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ which: fc.nat(messages.length - 1), crash: fc.boolean() }), {
            minLength: 1,
            maxLength: 12,
          }),
          async (deliveries) => {
            const h = await harness(open);
            const unacked = new Set<number>();
            const deliver = async (which: number, crash: boolean) => {
              h.failHandOffs(crash ? 1 : 0);
              try {
                await h.intake.accept(messages[which] as PubSubMessage);
                unacked.delete(which);
              } catch {
                unacked.add(which);
              }
            };
            for (const d of deliveries) await deliver(d.which, d.crash);
            // Pub/Sub keeps redelivering what was not acknowledged, after the lease has passed.
            h.clock.now += 10_001;
            for (const which of [...unacked]) await deliver(which, false);
            const order = JSON.stringify(deliveries);
            t.is(unacked.size, 0, `every message is acknowledged in the end: ${order}`);
            const keys = keysOf(h).map((k) => (k.startsWith('log:') ? 'log' : k));
            const has = (which: number) => deliveries.some((d) => d.which === which);
            t.is(new Set(keys).size, keys.length, `no key twice: ${keys.join(', ')} for ${order}`);
            t.is(keys.includes('log'), has(3), `the log entry iff delivered: ${order}`);
            t.is(
              keys.includes('monitoring:0.nz2jrw4lq8vd:closed'),
              has(2),
              `the close iff delivered: ${order}`,
            );
            const opened = keys.includes('monitoring:0.nz2jrw4lq8vd:open');
            if ((has(0) || has(1)) && !has(2)) t.true(opened, `the open, never closed: ${order}`);
            const firstIncident = deliveries.find((d) => d.which !== 3);
            if (firstIncident?.which === 2)
              t.false(opened, `closed first, so the open is stale: ${order}`);
          },
        ),
        { numRuns: dialect === 'postgres' ? 25 : 60 },
      );
    },
  );
}
