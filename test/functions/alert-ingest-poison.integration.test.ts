/**
 * The poison table over HTTP: deliveries alertIngest can never read, POSTed straight to the
 * function served by the real Functions Framework as each carrier would send them (Eventarc's
 * binary mode, structured mode, a raw Pub/Sub push the framework converts, or one it does not),
 * with Pub/Sub on against the real emulator. Each is acknowledged (204), logged once as
 * `alert.poison` with its code, and dead-lettered once by alertIngest to the dead-letter topic
 * (pulled back here); nothing throws, nothing crashes, and a valid message is served afterwards.
 */
import test from 'ava';
import { findingEvent } from '../../alerts/ingest/alert-event.js';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import {
  INCIDENT_METRIC_OPEN,
  INCIDENT_MINIMAL_BASE64,
  SCHEDULER_PUBSUB_TARGET,
  SINK_LOG_ENTRY,
} from '../alerts/ingest/fixtures/gcp-formats.js';
import {
  collect,
  pubsubEnv,
  type Received,
  serveAlertIngest,
  sleep,
  sqliteStoreUrl,
  until,
} from '../helpers/alert-ingest.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../helpers/pubsub-emulator.js';

test.after.always(stopPubSubEmulator);

const TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';
const SOURCE = '//pubsub.googleapis.com/projects/my-proj/topics/alert-ingest';
const SUBSCRIPTION = 'projects/my-proj/subscriptions/alert-ingest-push';
const TIME = '2026-12-07T12:00:00.123Z';
const SINK_TIME = { 'logging.googleapis.com/timestamp': '2024-05-01T12:00:00.123456Z' };

interface Request {
  /** Default `/`. */
  readonly path?: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

/** A Pub/Sub message as Eventarc writes it: both spellings, data in base64. */
function message(
  id: string,
  data: string | Buffer | null,
  attributes: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    attributes,
    ...(data === null ? {} : { data: Buffer.from(data).toString('base64') }),
    messageId: id,
    message_id: id,
    publishTime: TIME,
    publish_time: TIME,
  };
}

/** Eventarc's binary-mode CloudEvent: `ce-*` headers, the body `{message, subscription}`. */
function binary(
  id: string,
  body: unknown,
  headers: Record<string, string> = {},
  raw?: string | Buffer,
): Request {
  return {
    headers: {
      'content-type': 'application/json',
      'ce-id': id,
      'ce-source': SOURCE,
      'ce-specversion': '1.0',
      'ce-type': TYPE,
      'ce-time': TIME,
      ...headers,
    },
    body: raw ?? JSON.stringify(body),
  };
}

/** A binary-mode CloudEvent carrying `m` as its message. */
const eventarc = (id: string, m: Record<string, unknown>): Request =>
  binary(id, { message: m, subscription: SUBSCRIPTION });

/** Eventarc carrying a message with this payload. */
const carrying = (id: string, data: string | Buffer, attributes: Record<string, unknown> = {}) =>
  eventarc(id, message(id, data, attributes));

/** Structured mode: the whole CloudEvent is the body. */
function structured(id: string, event: unknown): Request {
  return {
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(
      event ?? {
        specversion: '1.0',
        id,
        source: SOURCE,
        type: TYPE,
        time: TIME,
        datacontenttype: 'application/json',
      },
    ),
  };
}

/** A raw Pub/Sub push body (what the framework converts itself), to a topic-shaped path. */
const push = (m: Record<string, unknown>): Request => ({
  path: '/projects/my-proj/topics/alert-ingest',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: m, subscription: SUBSCRIPTION }),
});

const incident = (
  edit: (i: Record<string, unknown>) => void,
  top: Record<string, unknown> = {},
) => {
  const doc = JSON.parse(INCIDENT_METRIC_OPEN) as { incident: Record<string, unknown> };
  edit(doc.incident);
  return JSON.stringify({ ...doc, ...top });
};

const logEntry = (edit: (e: Record<string, unknown>) => void) => {
  const entry = JSON.parse(SINK_LOG_ENTRY) as Record<string, unknown>;
  edit(entry);
  return JSON.stringify(entry);
};

const event = findingEvent(
  {
    alertname: 'InferDown',
    target: 'emotion',
    severity: 'critical',
    state: 'firing',
    ts: Date.UTC(2026, 11, 7, 12),
    labels: {},
    annotations: { summary: 'emotion is down' },
  },
  'poison@2026-12-07T12:00:00.000Z',
);
const alertEvent = (edit: (e: Record<string, unknown>) => void) => {
  const json = { ...event.json } as Record<string, unknown>;
  edit(json);
  return JSON.stringify(json);
};

/** The marker, beside JSON nested `depth` levels deep (written without recursion). */
const deepArrays = (marker: string, depth: number) =>
  `["${marker}",${'['.repeat(depth)}${']'.repeat(depth)}]`;
const deepObjects = (marker: string, depth: number) =>
  `{"marker":"${marker}","a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

interface Row {
  readonly name: string;
  /** Unique to the row: its messageId where the delivery has one, else inside what is posted. */
  readonly id: string;
  readonly request: Request;
  readonly code: string;
}

/** The rows; `id` is `pNN`, written into each request below. */
const ROWS: readonly Row[] = (
  [
    // Eventarc's binary mode, the payload unreadable.
    [
      'undecodable base64',
      (id) => eventarc(id, { ...message(id, null), data: '@@not base64@@' }),
      'INGEST_ERR_BASE64',
    ],
    [
      'base64 with a space in it',
      (id) => eventarc(id, { ...message(id, null), data: 'SGVs bG8=' }),
      'INGEST_ERR_BASE64',
    ],
    ['text that is not JSON', (id) => carrying(id, 'Hello'), 'INGEST_ERR_NOT_JSON'],
    [
      'bytes that are not UTF-8',
      (id) => carrying(id, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      'INGEST_ERR_NOT_JSON',
    ],
    [
      'a truncated incident',
      (id) => carrying(id, INCIDENT_METRIC_OPEN.slice(0, 120)),
      'INGEST_ERR_NOT_JSON',
    ],
    ['a JSON array', (id) => carrying(id, '[{"incident":{}}]'), 'INGEST_ERR_UNKNOWN_SHAPE'],
    ['JSON null', (id) => carrying(id, 'null'), 'INGEST_ERR_UNKNOWN_SHAPE'],
    ['a JSON number', (id) => carrying(id, '42'), 'INGEST_ERR_UNKNOWN_SHAPE'],
    [
      'an object of unknown shape',
      (id) => carrying(id, '{"hello":"world"}'),
      'INGEST_ERR_UNKNOWN_SHAPE',
    ],
    [
      'a Cloud Scheduler sweep trigger (§8) on the wrong topic',
      (id) =>
        carrying(id, Buffer.from(JSON.parse(SCHEDULER_PUBSUB_TARGET).data, 'base64'), {
          sweep: 'infer',
        }),
      'INGEST_ERR_UNKNOWN_SHAPE',
    ],
    [
      'attributes only',
      (id) => eventarc(id, message(id, null, { k: 'v' })),
      'INGEST_ERR_ATTRIBUTES_ONLY',
    ],
    [
      'nulls for data, messageId and publishTime (the ce-id and ce-time stand in)',
      (id) => eventarc(id, { data: null, attributes: null, messageId: null, publishTime: null }),
      'INGEST_ERR_ATTRIBUTES_ONLY',
    ],
    // Each source with a required field missing or wrong.
    [
      'an incident without incident_id',
      (id) =>
        carrying(
          id,
          incident((i) => delete i.incident_id),
        ),
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'the minimal incident, without started_at (§3)',
      (id) => carrying(id, Buffer.from(INCIDENT_MINIMAL_BASE64, 'base64')),
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'an incident in an unknown state',
      (id) =>
        carrying(
          id,
          incident((i) => (i.state = 'pending')),
        ),
      'INGEST_ERR_FIELD_INVALID',
    ],
    [
      'an incident of an unknown schema version',
      (id) =>
        carrying(
          id,
          incident(() => {}, { version: '0.9' }),
        ),
      'INGEST_ERR_FIELD_INVALID',
    ],
    [
      'a sink entry without insertId',
      (id) =>
        carrying(
          id,
          logEntry((e) => delete e.insertId),
          SINK_TIME,
        ),
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'a sink entry without logName',
      (id) =>
        carrying(
          id,
          logEntry((e) => delete e.logName),
          SINK_TIME,
        ),
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'a sink entry with two payloads',
      (id) =>
        carrying(
          id,
          logEntry((e) => (e.textPayload = 'x')),
          SINK_TIME,
        ),
      'INGEST_ERR_FIELD_INVALID',
    ],
    [
      'an alert event without sweepId',
      (id) =>
        carrying(
          id,
          alertEvent((e) => delete e.sweepId),
          event.attributes,
        ),
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'an alert event with a field the schema does not have',
      (id) =>
        carrying(
          id,
          alertEvent((e) => (e.extra = 1)),
          event.attributes,
        ),
      'INGEST_ERR_FIELD_INVALID',
    ],
    // The envelope's own fields.
    [
      'data over 1 MiB',
      (id) => carrying(id, Buffer.alloc(1024 * 1024 + 1, 'x')),
      'INGEST_ERR_TOO_LARGE',
    ],
    [
      '101 attributes',
      (id) =>
        carrying(
          id,
          '{}',
          Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v'])),
        ),
      'INGEST_ERR_TOO_LARGE',
    ],
    [
      'data of 8 MB (Pub/Sub allows 10 MB; its event as JSON does not fit one dead letter)',
      (id) => carrying(id, Buffer.alloc(8_000_000, 'x')),
      'INGEST_ERR_TOO_LARGE',
    ],
    [
      'an attribute value of 1025 bytes',
      (id) => carrying(id, '{}', { k: 'v'.repeat(1025) }),
      'INGEST_ERR_TOO_LARGE',
    ],
    [
      'an attribute key of 257 bytes',
      (id) => carrying(id, '{}', { ['k'.repeat(257)]: 'v' }),
      'INGEST_ERR_TOO_LARGE',
    ],
    [
      'a publishTime of "1"',
      (id) => eventarc(id, { ...message(id, '{}'), publishTime: '1' }),
      'INGEST_ERR_FIELD_INVALID',
    ],
    [
      'no publishTime and no ce-time',
      (id) => {
        const { publishTime: _, publish_time: __, ...m } = message(id, '{}');
        const { 'ce-time': ___, ...headers } = binary(id, {}).headers;
        return { headers, body: JSON.stringify({ message: m, subscription: SUBSCRIPTION }) };
      },
      'INGEST_ERR_FIELD_MISSING',
    ],
    [
      'an attribute that is a number',
      (id) => carrying(id, '{}', { n: 1 }),
      'INGEST_ERR_FIELD_INVALID',
    ],
    [
      'a messageId with a newline',
      (id) => eventarc(id, { ...message(id, '{}'), messageId: '1\n2' }),
      'INGEST_ERR_FIELD_INVALID',
    ],
    // Not a Pub/Sub delivery.
    [
      'a message that is null',
      (id) => binary(id, { message: null, subscription: SUBSCRIPTION }),
      'INGEST_ERR_ENVELOPE',
    ],
    ['an empty body', (id) => binary(id, {}), 'INGEST_ERR_ENVELOPE'],
    [
      'a body that is an array of pushes',
      (id) => binary(id, [{ message: message(id, '{}') }]),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'another ce-type (a Cloud Storage event)',
      (id) =>
        binary(
          id,
          { bucket: 'b', name: id },
          { 'ce-type': 'google.cloud.storage.object.v1.finalized' },
        ),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'an octet-stream body that is not JSON',
      (id) => binary(id, null, { 'content-type': 'application/octet-stream' }, `bytes of ${id}`),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'JSON nested 10,000 arrays deep',
      (id) => binary(id, null, {}, deepArrays(id, 10_000)),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'JSON nested 10,000 objects deep',
      (id) => binary(id, null, {}, deepObjects(id, 10_000)),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'JSON nested 100,000 arrays deep, without any ce-* header',
      (id) => ({ headers: { 'content-type': 'application/json' }, body: deepArrays(id, 100_000) }),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'a form-encoded body',
      (id) => ({
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `marker=${id}`,
      }),
      'INGEST_ERR_ENVELOPE',
    ],
    // Structured mode.
    [
      'structured mode: text that is not JSON',
      (id) =>
        structured(id, {
          specversion: '1.0',
          id,
          source: SOURCE,
          type: TYPE,
          time: TIME,
          data: { message: message(id, 'Hello'), subscription: SUBSCRIPTION },
        }),
      'INGEST_ERR_NOT_JSON',
    ],
    [
      'structured mode: a body that is an array',
      (id) => structured(id, [{ id }]),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'structured mode: data null',
      (id) => structured(id, { specversion: '1.0', id, source: SOURCE, type: TYPE, data: null }),
      'INGEST_ERR_ENVELOPE',
    ],
    [
      'structured mode: another type',
      (id) =>
        structured(id, {
          specversion: '1.0',
          id,
          source: SOURCE,
          type: 'com.example.other',
          data: { message: message(id, '{}') },
        }),
      'INGEST_ERR_ENVELOPE',
    ],
    // A raw push, converted by the framework or (attributes only) not.
    [
      'a raw push of text that is not JSON',
      (id) => push(message(id, 'Hello')),
      'INGEST_ERR_NOT_JSON',
    ],
    [
      'a raw push with attributes only (not converted)',
      (id) => push(message(id, null, { k: 'v' })),
      'INGEST_ERR_ATTRIBUTES_ONLY',
    ],
    [
      'a raw push with a bad publishTime',
      (id) => push({ ...message(id, '{}'), publishTime: 'yesterday' }),
      'INGEST_ERR_FIELD_INVALID',
    ],
  ] as const satisfies readonly (readonly [string, (id: string) => Request, string])[]
).map(([name, build, code], i) => {
  const id = `p${String(i + 1).padStart(2, '0')}`;
  return { name, id, request: build(id), code };
});

/** Pub/Sub's limits (quotas#resource_limits): 10 MB a message, 100 attributes of 256 + 1024 bytes. */
function fitsPubSub(m: Received): boolean {
  const entries = Object.entries(m.attributes);
  const attributeBytes = entries.reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  return (
    m.data.length + attributeBytes <= 10_000_000 &&
    entries.length <= 100 &&
    entries.every(([k, v]) => Buffer.byteLength(k) <= 256 && Buffer.byteLength(v) <= 1024)
  );
}

async function post(url: string, request: Request): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(request.path ?? '/', url), {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  return { status: res.status, body: await res.text() };
}

test('alertIngest: a table of at least 25 poison messages is acknowledged (204) and dead-lettered once each, with no throw and no crash', async (t) => {
  t.true(ROWS.length >= 25, `${ROWS.length} rows`);
  t.is(new Set(ROWS.map((r) => r.id)).size, ROWS.length);
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('poison');
  const client = emulatorClient(emulator, projectId);
  const [topic] = await client.createTopic(TOPICS.ingestDeadLetter);
  const [subscription] = await topic.createSubscription('poison-check');
  const dead = collect(subscription);
  const fn = await serveAlertIngest(pubsubEnv(emulator, projectId, sqliteStoreUrl()));
  try {
    for (const row of ROWS) {
      const res = await post(fn.url, row.request);
      t.deepEqual(res, { status: 204, body: '' }, `${row.id} ${row.name}: acknowledged`);
    }
    t.true(
      await until(() => dead.messages.length >= ROWS.length, 20_000),
      `${dead.messages.length} of ${ROWS.length} dead-lettered`,
    );
    await sleep(1500);
    t.is(dead.messages.length, ROWS.length, 'one dead letter per row, no more');
    t.deepEqual(fn.lines('alert.ingest_failed'), [], 'nothing thrown');
    const poison = fn.lines('alert.poison');
    t.is(poison.length, ROWS.length, 'one alert.poison line per row');
    for (const row of ROWS) {
      // The dead letter names the messageId when the delivery had one; an event that never
      // became a message is kept whole (so its id is in the data) under a sha256 of it.
      const letters = dead.messages.filter(
        (m) =>
          m.attributes.runwatch_source_message_id === row.id ||
          (m.attributes.runwatch_source_message_id?.startsWith('sha256:') &&
            m.data.toString('utf8').includes(`${row.id}`)),
      );
      t.is(letters.length, 1, `${row.id} ${row.name}: dead-lettered once`);
      t.is(letters[0]?.attributes.runwatch_poison_code, row.code, `${row.id} ${row.name}`);
    }
    // The emulator takes any size; Pub/Sub refuses a message past its limits, and the delivery
    // would then fail and be retried instead of acknowledged.
    for (const letter of dead.messages) {
      const id = letter.attributes.runwatch_source_message_id;
      const what = `the dead letter of ${ROWS.find((r) => r.id === id)?.name ?? id}`;
      t.true(fitsPubSub(letter), `${what}: within Pub/Sub's message limits`);
    }
    // Still serving: a valid incident is handed off.
    const ok = await post(fn.url, carrying('valid-after-poison', INCIDENT_METRIC_OPEN));
    t.is(ok.status, 204);
    t.like(fn.lines('alert.ingested'), [{ dedupeKey: 'monitoring:0.nz2jrw4lq8vd:open' }]);
  } finally {
    await dead.close();
    await fn.close();
    await client.close();
  }
});

test('alertIngest: a text/plain body is refused by the Functions Framework with a 500 before the handler runs (a known limitation of the framework, not poison handling)', async (t) => {
  // Functions Framework 5.0.5's CloudEvent middleware crashes on a string body
  // (pubsub-emulator.md). Eventarc and Pub/Sub always send JSON, so only a hand-made request
  // meets this; a 500 makes Pub/Sub retry it until the dead-letter policy takes it.
  const fn = await serveAlertIngest({ STORE_URL: sqliteStoreUrl(), ALERTS_PUBSUB: 'off' });
  try {
    const res = await post(fn.url, {
      headers: { 'content-type': 'text/plain', 'ce-id': 'plain-1', 'ce-type': TYPE },
      body: 'hello',
    });
    t.is(res.status, 500, 'the framework answers 500');
    t.deepEqual(
      fn.sink.lines.filter((l) => String(l.event).startsWith('alert.')),
      [],
      'alertIngest never saw it',
    );
    t.log('known limitation: text/plain is a 500 from the framework, before alertIngest runs');
    const ok = await post(fn.url, carrying('valid-after-plain', INCIDENT_METRIC_OPEN));
    t.is(ok.status, 204, 'and the function still serves');
  } finally {
    await fn.close();
  }
});
