/**
 * alertIngest end to end through real parts: messages published with the real
 * @google-cloud/pubsub client to the real emulator, pushed by its push subscription (created by
 * ensurePubSub) to the Eventarc relay, posted by the relay to alertIngest as Eventarc's
 * binary-mode CloudEvent, served by the real Functions Framework, over a real SQLite store; the
 * runwatch dead letters pulled back from the emulator.
 */
import test from 'ava';
import { findingEvent } from '../../alerts/ingest/alert-event.js';
import { SUBSCRIPTIONS, TOPICS } from '../../alerts/pubsub/topology.js';
import type { Finding } from '../../alerts/types.js';
import { INCIDENT_METRIC_OPEN, SINK_LOG_ENTRY } from '../alerts/ingest/fixtures/gcp-formats.js';
import { collect, sleep, topologyVariant, until, withPushRig } from '../helpers/alert-ingest.js';
import { stopPubSubEmulator } from '../helpers/pubsub-emulator.js';

test.after.always(stopPubSubEmulator);

const finding = (over: Partial<Finding> = {}): Finding => ({
  alertname: 'InferDown',
  target: 'emotion',
  severity: 'critical',
  state: 'firing',
  ts: Date.UTC(2026, 11, 7, 12),
  labels: { alertname: 'InferDown', target: 'emotion', severity: 'critical' },
  annotations: { summary: 'emotion is down', observed: 0, threshold: 1 },
  ...over,
});

test("alertIngest: a message published with the real client reaches alertIngest through the emulator's push and the Eventarc relay, and is handed off once", async (t) => {
  await withPushRig(t, {}, async ({ client, fn, relayLines, stores }) => {
    const topic = client.topic(TOPICS.ingest);
    const sweepId = 'local-health-sweep@2026-12-07T12:00:00.000Z';
    const ids = {
      incident: await topic.publishMessage({ data: Buffer.from(INCIDENT_METRIC_OPEN) }),
      log: await topic.publishMessage({
        data: Buffer.from(SINK_LOG_ENTRY),
        attributes: { 'logging.googleapis.com/timestamp': '2024-05-01T12:00:00.123456Z' },
      }),
      finding: await topic.publishMessage(findingEvent(finding(), sweepId)),
    };
    const expected = {
      incident: 'monitoring:0.nz2jrw4lq8vd:open',
      log: 'log:projects/my-proj/logs/run.googleapis.com%2Fstdout:2024-05-01T12:00:00.123456000Z:65f1c2a9000d3e1b7c4a2f10',
      finding: `runwatch:${sweepId}:InferDown:emotion:firing`,
    };
    t.true(await until(() => fn.lines('alert.ingested').length >= 3, 15_000), 'handed off');
    // Anything delivered twice would come back within the emulator's ~1 s retry.
    await sleep(2500);
    const notes = fn.lines('alert.ingested');
    t.deepEqual(notes.map((l) => l.dedupeKey).sort(), Object.values(expected).sort());
    t.like(
      notes.find((l) => l.dedupeKey === expected.incident),
      {
        source: 'monitoring',
        status: 'firing',
        alertname: 'infer 5xx ratio > 5%',
        severity: 'critical',
        recovered: false,
      },
    );
    t.like(
      notes.find((l) => l.dedupeKey === expected.log),
      { source: 'log', status: 'firing', severity: 'warning' },
    );
    t.like(
      notes.find((l) => l.dedupeKey === expected.finding),
      {
        source: 'runwatch',
        status: 'firing',
        alertname: 'InferDown',
        severity: 'critical',
        labels: { target: 'emotion' },
        annotations: { summary: 'emotion is down', sweep_id: sweepId },
      },
    );
    for (const messageId of Object.values(ids)) {
      t.deepEqual(
        relayLines('relay.forwarded', messageId).map((l) => l.status),
        [204],
        `${messageId} forwarded once and acknowledged`,
      );
    }
    t.deepEqual(relayLines('relay.forward_failed'), []);
    t.deepEqual(fn.lines('alert.ingest_failed'), []);
    t.deepEqual(fn.lines('alert.poison'), []);
    const { ingest } = await stores();
    for (const [kind, dedupeKey] of Object.entries(expected) as [keyof typeof ids, string][]) {
      const row = await ingest.getAlert(dedupeKey);
      t.is(row?.messageId, ids[kind], `${kind}: stored under its messageId`);
      t.not(row?.handedOffAt ?? null, null, `${kind}: marked handed off`);
      t.false(row?.stale ?? true);
      t.is(row?.leaseUntil ?? null, null, `${kind}: no lease left behind`);
    }
  });
});

test('alertIngest: a poison message is acknowledged once and dead-lettered once, never retried', async (t) => {
  // A 1 s backoff: a delivery answered with anything but 2xx would be pushed again within ~1 s.
  await withPushRig(
    t,
    { topology: topologyVariant({ backoffSeconds: 1 }) },
    async ({ client, fn, relayLines, stores }) => {
      const keep = collect(client.subscription(SUBSCRIPTIONS.ingestDeadLetterKeep));
      try {
        // Not UTF-8, not JSON: bytes that only survive when kept as bytes.
        const data = Buffer.concat([Buffer.from('not json: '), Buffer.from([0xff, 0x00, 0xc3])]);
        const messageId = await client
          .topic(TOPICS.ingest)
          .publishMessage({ data, attributes: { sender: 'e2e', kind: 'poison' } });
        t.true(await until(() => keep.messages.length >= 1, 15_000), 'dead-lettered');
        await sleep(4000);
        t.deepEqual(
          relayLines('relay.forwarded').map((l) => [l.messageId, l.status]),
          [[messageId, 204]],
          'one delivery, acknowledged',
        );
        t.deepEqual(relayLines('relay.forward_failed'), []);
        t.is(fn.lines('alert.poison').length, 1);
        t.like(fn.lines('alert.poison')[0], {
          code: 'INGEST_ERR_NOT_JSON',
          messageId,
          firstSeen: true,
          deadLettered: true,
        });
        t.deepEqual(fn.lines('alert.ingested'), []);
        t.is(keep.messages.length, 1, 'one dead letter');
        const [letter] = keep.messages;
        t.true(letter?.data.equals(data), 'the original bytes');
        t.like(letter?.attributes, {
          sender: 'e2e',
          kind: 'poison',
          runwatch_poison_code: 'INGEST_ERR_NOT_JSON',
          runwatch_source_message_id: messageId,
        });
        t.false(
          Object.keys(letter?.attributes ?? {}).some((k) => k.startsWith('CloudPubSubDeadLetter')),
          "published by alertIngest, not by the subscription's dead-letter policy",
        );
        const { ingest } = await stores();
        const kept = await ingest.poison({ limit: 10 });
        t.is(kept.length, 1);
        t.like(kept[0], {
          messageId,
          code: 'INGEST_ERR_NOT_JSON',
          attributes: { sender: 'e2e', kind: 'poison' },
        });
        t.true(kept[0]?.data.equals(data), 'the store keeps the original bytes too');
        t.not(kept[0]?.deadLetteredAt ?? null, null);
      } finally {
        await keep.close();
      }
    },
  );
});

test('alertIngest: ordering keys hold per key', async (t) => {
  await withPushRig(
    t,
    { topology: topologyVariant({ backoffSeconds: 1, ordering: true }) },
    async ({ client, fn }) => {
      const topic = client.topic(TOPICS.ingest, { messageOrdering: true });
      const keys = ['infer', 'sweeper'] as const;
      const perKey = 10;
      const published: Promise<string>[] = [];
      for (let i = 0; i < perKey; i++) {
        for (const key of keys) {
          const alertname = `Step${String(i).padStart(2, '0')}`;
          const event = findingEvent(
            finding({ alertname, target: key, labels: { alertname, target: key } }),
            `order@${key}-${i}`,
          );
          published.push(topic.publishMessage({ ...event, orderingKey: key }));
        }
      }
      await Promise.all(published);
      const total = perKey * keys.length;
      t.true(
        await until(() => fn.lines('alert.ingested').length >= total, 20_000),
        `handed off ${fn.lines('alert.ingested').length} of ${total}`,
      );
      const expected = Array.from(
        { length: perKey },
        (_, i) => `Step${String(i).padStart(2, '0')}`,
      );
      for (const key of keys) {
        const order = fn
          .lines('alert.ingested')
          .filter((l) => (l.labels as Record<string, string>).target === key)
          .map((l) => l.alertname);
        t.deepEqual(order, expected, `hand-offs of key ${key} in publish order`);
      }
    },
  );
});
