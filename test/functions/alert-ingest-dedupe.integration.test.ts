/**
 * Dedupe through alertIngest itself, on SQLite and on the real PostgreSQL (its own schema, named
 * in STORE_URL as the function reads it): one incident republished under a new messageId, and a
 * closed incident arriving before its open, each published with the real client through the
 * emulator's push and the Eventarc relay; and one CloudEvent POSTed twice at once. Each yields
 * exactly one hand-off (one `alert.ingested` line).
 */
import test from 'ava';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import {
  INCIDENT_METRIC_CLOSED,
  INCIDENT_METRIC_OPEN,
} from '../alerts/ingest/fixtures/gcp-formats.js';
import {
  serveAlertIngest,
  sqliteStoreUrl,
  topologyVariant,
  until,
  withPushRig,
} from '../helpers/alert-ingest.js';
import { DATABASE_URL, REQUIRE_POSTGRES, scratchSchemas } from '../helpers/postgres.js';
import { stopPubSubEmulator } from '../helpers/pubsub-emulator.js';

const pg = await scratchSchemas(DATABASE_URL, 'runwatch_test');

test.after.always(async () => {
  await stopPubSubEmulator();
  await pg.dropSchemas();
});

/** STORE_URL for a new, empty store. */
type NewStore = () => Promise<string>;

const dialects: [string, NewStore][] = [['SQLite', async () => sqliteStoreUrl()]];
if (pg.unavailable === null) {
  dialects.push([
    'PostgreSQL',
    async () => {
      const schema = pg.newSchema();
      await pg.withClient(null, (c) => c.query(`CREATE SCHEMA ${schema}`));
      const url = new URL(DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.toString();
    },
  ]);
} else if (REQUIRE_POSTGRES) {
  test('alertIngest dedupe: PostgreSQL is reachable (REQUIRE_POSTGRES=1)', (t) =>
    t.fail(pg.unavailable ?? ''));
} else {
  test('alertIngest dedupe: PostgreSQL cases SKIPPED, no server', (t) => {
    t.log(`SKIPPED: ${pg.unavailable}; set DATABASE_URL or start the server`);
    t.pass();
  });
}

const OPEN_KEY = 'monitoring:0.nz2jrw4lq8vd:open';
const CLOSED_KEY = 'monitoring:0.nz2jrw4lq8vd:closed';

/** The incident fixture under another incident_id. */
const incidentNumbered = (n: number) =>
  INCIDENT_METRIC_OPEN.replaceAll('0.nz2jrw4lq8vd', `0.concurrent${n}`);

/** Eventarc's binary-mode CloudEvent of one message. */
function cloudEvent(
  messageId: string,
  data: string,
): { headers: Record<string, string>; body: string } {
  const time = new Date().toISOString();
  return {
    headers: {
      'content-type': 'application/json',
      'ce-id': messageId,
      'ce-source': '//pubsub.googleapis.com/projects/my-proj/topics/alert-ingest',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-time': time,
    },
    body: JSON.stringify({
      message: {
        attributes: {},
        data: Buffer.from(data).toString('base64'),
        messageId,
        message_id: messageId,
        publishTime: time,
        publish_time: time,
      },
      subscription: 'projects/my-proj/subscriptions/alert-ingest-push',
    }),
  };
}

// A 1 s backoff: a delivery that met a hand-off in progress (500) comes back within ~1 s.
const topology = topologyVariant({ backoffSeconds: 1 });

for (const [dialect, newStore] of dialects) {
  test(`alertIngest (${dialect}): the same incident published twice, under two messageIds, is handed off once`, async (t) => {
    await withPushRig(
      t,
      { topology, storeUrl: await newStore() },
      async ({ client, fn, relayLines, stores }) => {
        const topic = client.topic(TOPICS.ingest);
        const data = Buffer.from(INCIDENT_METRIC_OPEN);
        const ids = [await topic.publishMessage({ data }), await topic.publishMessage({ data })];
        t.not(ids[0], ids[1]);
        t.true(
          await until(
            () => ids.every((id) => relayLines('relay.forwarded', id).length === 1),
            15_000,
          ),
          'both acknowledged',
        );
        t.deepEqual(
          fn.lines('alert.ingested').map((l) => l.dedupeKey),
          [OPEN_KEY],
        );
        const duplicates = fn.lines('alert.duplicate');
        t.is(duplicates.length, 1);
        // Pushed at once, the second may meet the first's hand-off in progress (500); its
        // redelivery then finds its own messageId already recorded.
        const busy = relayLines('relay.forward_failed').map((l) => l.messageId);
        t.like(duplicates[0], {
          dedupeKey: OPEN_KEY,
          outcome: busy.includes(duplicates[0]?.messageId)
            ? 'duplicate_message'
            : 'duplicate_content',
        });
        t.true(
          fn
            .lines('alert.ingest_failed')
            .every((l) => /in progress in another delivery/.test(String(l.error))),
        );
        const { ingest } = await stores();
        const row = await ingest.getAlert(OPEN_KEY);
        t.deepEqual(
          [row?.messageId, duplicates[0]?.messageId].sort(),
          [...ids].sort(),
          'stored under one messageId, the other a duplicate',
        );
        t.not(row?.handedOffAt ?? null, null);
      },
    );
  });

  test(`alertIngest (${dialect}): an incident closed before its open is handed off once, the close`, async (t) => {
    await withPushRig(
      t,
      { topology, storeUrl: await newStore() },
      async ({ client, fn, relayLines, stores }) => {
        const topic = client.topic(TOPICS.ingest);
        const closed = await topic.publishMessage({ data: Buffer.from(INCIDENT_METRIC_CLOSED) });
        t.true(await until(() => relayLines('relay.forwarded', closed).length === 1, 15_000));
        const open = await topic.publishMessage({ data: Buffer.from(INCIDENT_METRIC_OPEN) });
        t.true(await until(() => relayLines('relay.forwarded', open).length === 1, 15_000));
        const notes = fn.lines('alert.ingested');
        t.is(notes.length, 1);
        t.like(notes[0], { dedupeKey: CLOSED_KEY, status: 'resolved' });
        t.like(fn.lines('alert.stale'), [{ dedupeKey: OPEN_KEY, messageId: open }]);
        const { ingest } = await stores();
        t.like(await ingest.getAlert(OPEN_KEY), {
          messageId: open,
          stale: true,
          handedOffAt: null,
        });
        t.like(await ingest.getAlert(CLOSED_KEY), { messageId: closed, stale: false });
      },
    );
  });

  test(`alertIngest (${dialect}): two concurrent POSTs of one CloudEvent are handed off once, and a delivery answered 500 is a duplicate when retried`, async (t) => {
    const fn = await serveAlertIngest({ STORE_URL: await newStore(), ALERTS_PUBSUB: 'off' });
    try {
      const send = (request: ReturnType<typeof cloudEvent>) =>
        fetch(fn.url, { method: 'POST', ...request }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        });
      const rounds = 6;
      const seen: number[][] = [];
      for (let n = 0; n < rounds; n++) {
        const request = cloudEvent(`concurrent-${n}`, incidentNumbered(n));
        const statuses = await Promise.all([send(request), send(request)]);
        seen.push(statuses);
        t.true(
          statuses.every((s) => s === 204 || s === 500),
          `round ${n}: ${statuses.join(', ')}`,
        );
        t.true(statuses.includes(204), `round ${n}: one delivery acknowledged`);
        // Pub/Sub would redeliver the one answered 500; it is then a duplicate.
        for (const s of statuses) if (s === 500) t.is(await send(request), 204);
      }
      t.log(`statuses per round: ${seen.map((s) => s.join('+')).join(', ')}`);
      const keys = fn.lines('alert.ingested').map((l) => l.dedupeKey);
      t.deepEqual(
        keys.sort(),
        Array.from({ length: rounds }, (_, n) => `monitoring:0.concurrent${n}:open`).sort(),
        'one hand-off per CloudEvent',
      );
      // Per round, the delivery that was not handed off is a duplicate: at once, or on its retry.
      const duplicates = fn.lines('alert.duplicate');
      t.is(duplicates.length, rounds);
      t.true(duplicates.every((l) => l.outcome === 'duplicate_message'));
      const busy = fn.lines('alert.ingest_failed');
      t.true(
        busy.every((l) => /in progress in another delivery/.test(String(l.error))),
        'a 500 only ever says the hand-off was in progress',
      );
    } finally {
      await fn.close();
    }
  });
}
