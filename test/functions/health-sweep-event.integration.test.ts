/**
 * healthSweepEvent through the real Functions Framework server with binary-mode CloudEvents as
 * Eventarc sends them for a Pub/Sub message (gcp-formats.md §1.1), against a real HTTP target
 * and a real SQLite store, which the test reads back with better-sqlite3.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import Database from 'better-sqlite3';
import { createHealthSweepEvent } from '../../functions/health-sweep-event.js';
import { type FunctionServer, serveFunction } from '../helpers/ff-server.js';
import { type Sink, sinkLogger } from '../helpers/log-sink.js';
import { type SweepTargetServer, startSweepTarget } from '../helpers/sweep-target.js';

const TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';
const SOURCE = '//pubsub.googleapis.com/projects/my-proj/topics/health-sweeps';

let target: SweepTargetServer;
let server: FunctionServer;
let sink: Sink;
let dbPath: string;
let handler: { close(): Promise<void> };

test.before(async () => {
  target = await startSweepTarget();
  sink = sinkLogger('info');
  dbPath = join(mkdtempSync(join(tmpdir(), 'runwatch-event-')), 'trends.db');
  const fn = createHealthSweepEvent({
    env: {
      STORE_URL: `sqlite:${dbPath}`,
      SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
    },
    log: sink.log,
  });
  handler = fn;
  ff.cloudEvent('healthSweepEventTest', fn);
  server = await serveFunction('healthSweepEventTest');
});

test.after.always(async () => {
  await server?.close();
  await handler?.close();
  await target?.close();
});

function counts(): { sweeps: number; samples: number; ids: string[] } {
  // The function opens (creates) the store on its first sweep.
  if (!existsSync(dbPath)) return { sweeps: 0, samples: 0, ids: [] };
  const db = new Database(dbPath, { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      sweeps: one('SELECT count(*) AS n FROM sweeps'),
      samples: one('SELECT count(*) AS n FROM samples'),
      ids: (
        db.prepare('SELECT sweep_id FROM sweeps ORDER BY sweep_id').all() as { sweep_id: string }[]
      ).map((r) => r.sweep_id),
    };
  } finally {
    db.close();
  }
}

interface Delivery {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly path?: string;
}

/** The Eventarc fixture of gcp-formats.md §1.1, with this message's id, time and attributes. */
function eventarc(
  messageId: string,
  publishTime: string,
  message: Record<string, unknown> = {
    attributes: { sweep: 'infer' },
    data: Buffer.from('{"sweep":"infer","reason":"scheduled"}').toString('base64'),
  },
): Delivery {
  return {
    headers: {
      'content-type': 'application/json',
      'ce-id': messageId,
      'ce-source': SOURCE,
      'ce-specversion': '1.0',
      'ce-type': TYPE,
      'ce-time': publishTime,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01',
    },
    body: JSON.stringify({
      message: {
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
        ...message,
      },
      subscription: 'projects/my-proj/subscriptions/eventarc-us-central1-health-sweep-123-sub-456',
    }),
  };
}

function deliver(d: Delivery) {
  return fetch(new URL(d.path ?? '/', server.url), {
    method: 'POST',
    headers: d.headers,
    body: d.body,
  });
}

// Serial: each asserts exact row counts, so no other delivery may land in between.
test.serial(
  'healthSweepEvent: the first delivery sweeps; a redelivery of the same message is a duplicate with no second set of samples',
  async (t) => {
    const before = counts();
    const first = await deliver(eventarc('11937951452598386', '2026-11-27T12:00:00.123Z'));
    t.is(first.status, 204);
    const afterFirst = counts();
    t.is(afterFirst.sweeps, before.sweeps + 1);
    t.true(afterFirst.samples > before.samples);
    t.true(afterFirst.ids.includes('pubsub:infer@2026-11-27T12:00:00.000Z#11937951452598386'));
    const probes = target.requests.length;

    const again = await deliver(eventarc('11937951452598386', '2026-11-27T12:00:00.123Z'));
    t.is(again.status, 204);
    t.deepEqual(counts(), afterFirst, 'no second set of samples, no second sweep');
    t.is(target.requests.length, probes, 'the redelivery probed nothing');
    t.true(
      sink.lines.some(
        (l) =>
          l.event === 'sweep.duplicate' &&
          l.sweepId === 'pubsub:infer@2026-11-27T12:00:00.000Z#11937951452598386',
      ),
    );
  },
);

test.serial(
  'healthSweepEvent: another message in the same minute is another sweep, stamped with its own publish time',
  async (t) => {
    const before = counts();
    const res = await deliver(eventarc('11937951452598999', '2026-11-27T12:00:00.456Z'));
    t.is(res.status, 204);
    const after = counts();
    t.is(after.sweeps, before.sweeps + 1);
    t.true(after.ids.includes('pubsub:infer@2026-11-27T12:00:00.000Z#11937951452598999'));
    const db = new Database(dbPath, { readonly: true });
    const stamps = db
      .prepare("SELECT ts FROM samples WHERE metric = 'up' AND target = 'emotion' ORDER BY ts")
      .all() as { ts: number }[];
    db.close();
    t.deepEqual(
      stamps.map((s) => s.ts).filter((ts) => ts < Date.UTC(2026, 10, 27, 12, 1)),
      [Date.parse('2026-11-27T12:00:00.123Z'), Date.parse('2026-11-27T12:00:00.456Z')],
    );
  },
);

test.serial(
  'healthSweepEvent: a plain Pub/Sub push body (converted by the framework) sweeps under the default sweep name',
  async (t) => {
    const before = counts();
    const res = await deliver({
      path: '/projects/my-proj/topics/health-sweeps',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          data: Buffer.from('tick').toString('base64'),
          messageId: '2070443601311540',
          publishTime: '2026-11-27T12:05:00.749Z',
        },
        subscription: 'projects/my-proj/subscriptions/push',
      }),
    });
    t.is(res.status, 204);
    t.deepEqual(
      counts().ids.filter((id) => !before.ids.includes(id)),
      ['pubsub:default@2026-11-27T12:05:00.000Z#2070443601311540'],
    );
  },
);

const poison: Record<string, { delivery: () => Delivery; field: string }> = {
  'a POST without ce-* headers or a Pub/Sub body': {
    delivery: () => ({
      headers: { 'content-type': 'application/json' },
      body: '{"hello":"world"}',
    }),
    field: 'type',
  },
  'another event type': {
    delivery: () => {
      const d = eventarc('p-1', '2026-11-27T13:00:00Z');
      return {
        ...d,
        headers: { ...d.headers, 'ce-type': 'google.cloud.storage.object.v1.finalized' },
      };
    },
    field: 'type',
  },
  'an event without a message': {
    delivery: () => ({
      ...eventarc('p-2', '2026-11-27T13:01:00Z'),
      body: JSON.stringify({ subscription: 'projects/p/subscriptions/s' }),
    }),
    field: 'data.message',
  },
  'message data that is not base64': {
    delivery: () => eventarc('p-3', '2026-11-27T13:02:00Z', { data: 'this is not base64!' }),
    field: 'data.message.data',
  },
  'a publish time that is not a time': {
    delivery: () => {
      const d = eventarc('p-4', 'yesterday-ish');
      return { ...d, headers: { ...d.headers, 'ce-time': 'yesterday-ish' } };
    },
    field: 'data.message.publishTime',
  },
  'a sweep attribute that is not a name': {
    delivery: () => eventarc('p-5', '2026-11-27T13:03:00Z', { attributes: { sweep: 'a b#c@d' } }),
    field: 'data.message.attributes.sweep',
  },
  'JSON data whose sweep is not a name': {
    delivery: () =>
      eventarc('p-6', '2026-11-27T13:04:00Z', {
        data: Buffer.from('{"sweep":42}').toString('base64'),
      }),
    field: 'data.message.data.sweep',
  },
};

for (const [name, { delivery, field }] of Object.entries(poison)) {
  test.serial(
    `healthSweepEvent: ${name} is acknowledged (2xx), logged with SWEEP_ERR_EVENT_INVALID, and records nothing`,
    async (t) => {
      const before = counts();
      const probes = target.requests.length;
      const res = await deliver(delivery());
      t.true(res.status >= 200 && res.status < 300, `status ${res.status}`);
      t.deepEqual(counts(), before);
      t.is(target.requests.length, probes);
      const line = sink.lines.findLast((l) => l.event === 'sweep.event_rejected');
      t.like(line, { code: 'SWEEP_ERR_EVENT_INVALID', field, severity: 'ERROR' });
      t.regex(
        String(line?.reason),
        new RegExp(`^field ${field.replaceAll('.', '\\.')} is .*; expected `),
      );
    },
  );
}

test('healthSweepEvent: when the store is unreachable the delivery fails with 500, so Pub/Sub retries', async (t) => {
  const logs = sinkLogger('info');
  const fn = createHealthSweepEvent({
    env: {
      STORE_URL: 'postgres://postgres@127.0.0.1:1/test',
      SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
    },
    log: logs.log,
  });
  ff.cloudEvent('healthSweepEventNoStore', fn);
  const unreachable = await serveFunction('healthSweepEventNoStore');
  try {
    const d = eventarc('t-1', '2026-11-27T14:00:00Z');
    const res = await fetch(unreachable.url, { method: 'POST', headers: d.headers, body: d.body });
    t.is(res.status, 500);
    t.true(logs.lines.some((l) => l.event === 'sweep.failed' && l.severity === 'ERROR'));
    t.false(logs.lines.some((l) => l.event === 'sweep.event_rejected'));
  } finally {
    await unreachable.close();
    await fn.close();
  }
});
