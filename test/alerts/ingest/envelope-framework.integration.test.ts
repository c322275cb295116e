/**
 * The envelope fixtures through the real Functions Framework 5.0.5 server: each delivery of
 * gcp-formats.md §1 is POSTed as raw HTTP to a `cloudEvent` function that records what it was
 * handed. That event equals what the fixture helpers build (so the unit tests decode what the
 * framework really produces, attributes-only non-conversion included), and decodes to the same
 * message.
 */
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { type FunctionServer, serveFunction } from '../../helpers/ff-server.js';
import {
  binaryCloudEvent,
  EVENTARC_BINARY_HTTP,
  frameworkPushEvent,
  PUSH_BODY,
  PUSH_BODY_ATTRIBUTES_ONLY,
  parseHttp,
  structuredCloudEvent,
} from './fixtures/gcp-formats.js';

const received: unknown[] = [];
let server: FunctionServer;

test.before(async () => {
  ff.cloudEvent('ingestEnvelopeProbe', (event: ff.CloudEvent<unknown>) => {
    received.push(event);
  });
  server = await serveFunction('ingestEnvelopeProbe');
});

test.after.always(async () => {
  await server?.close();
});

/** POSTs one request and returns the event the handler was handed. */
async function handed(path: string, headers: Record<string, string>, body: string) {
  const before = received.length;
  const response = await fetch(new URL(path.slice(1), server.url), {
    method: 'POST',
    headers,
    body,
  });
  if (response.status !== 204) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  if (received.length !== before + 1) throw new Error('the handler was not called once');
  // What the handler saw, as plain JSON (the framework's object may carry getters).
  return JSON.parse(JSON.stringify(received[before]));
}

test.serial(
  'framework: a binary-mode Eventarc request is handed over as the fixture helper builds it',
  async (t) => {
    const request = parseHttp(EVENTARC_BINARY_HTTP);
    const event = await handed(request.path, request.headers, request.body);
    t.deepEqual(event, binaryCloudEvent(request));
    t.is(decodeEnvelope(event).orderingKey, 'infer');
  },
);

test.serial('framework: a structured-mode request is handed over as its body', async (t) => {
  const structured = structuredCloudEvent(parseHttp(EVENTARC_BINARY_HTTP));
  const event = await handed(
    '/',
    { 'content-type': 'application/cloudevents+json' },
    JSON.stringify(structured),
  );
  t.deepEqual(event, structured);
  t.deepEqual(
    decodeEnvelope(event),
    decodeEnvelope(binaryCloudEvent(parseHttp(EVENTARC_BINARY_HTTP))),
  );
});

for (const path of ['/projects/myproject/topics/mytopic', '/']) {
  test.serial(
    `framework: a raw push posted to ${path} is converted as the fixture helper converts it`,
    async (t) => {
      const event = await handed(path, { 'content-type': 'application/json' }, PUSH_BODY);
      t.deepEqual(event, frameworkPushEvent(PUSH_BODY, path));
      t.is(decodeEnvelope(event).data.toString(), 'Hello');
    },
  );
}

test.serial(
  'framework: a raw push with attributes only is handed over unconverted, and still decodes',
  async (t) => {
    const event = await handed(
      '/',
      { 'content-type': 'application/json' },
      PUSH_BODY_ATTRIBUTES_ONLY,
    );
    t.deepEqual(event, JSON.parse(PUSH_BODY_ATTRIBUTES_ONLY));
    t.like(decodeEnvelope(event), { messageId: '2070443601311541', attributes: { k: 'v' } });
  },
);
