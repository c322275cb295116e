/**
 * The ingest bench's requests through the real Functions Framework server to the real
 * alertIngest handler: every request is answered 204 and handed off once, so the bench measures
 * the whole intake per request, never a duplicate or a poison shortcut.
 */
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { benchCloudEvent, sourceOf } from '../../../bench/ingest/messages.js';
import { createAlertIngest } from '../../../functions/alert-ingest.js';
import { type FunctionServer, serveFunction } from '../../helpers/ff-server.js';
import { sinkLogger } from '../../helpers/log-sink.js';

const sink = sinkLogger('info');
const handler = createAlertIngest({
  env: { STORE_URL: 'sqlite::memory:', ALERTS_PUBSUB: 'off' },
  log: sink.log,
});
let server: FunctionServer;

test.before(async () => {
  ff.cloudEvent('benchAlertIngest', handler);
  server = await serveFunction('benchAlertIngest');
});

test.after.always(async () => {
  await server?.close();
  await handler.close();
});

const post = async (i: number) => {
  const { headers, body } = benchCloudEvent('it', i, Date.now());
  const res = await fetch(server.url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.status;
};

test('ingest bench requests: each is a new alert, handed off once', async (t) => {
  const statuses = [];
  for (let i = 0; i < 9; i++) statuses.push(await post(i));
  t.deepEqual(statuses, Array(9).fill(204));
  const ingested = sink.lines.filter((l) => l.event === 'alert.ingested');
  t.deepEqual(
    ingested.map((l) => l.source),
    Array.from({ length: 9 }, (_, i) => sourceOf(i)),
  );
  t.deepEqual(
    sink.lines.filter((l) => /duplicate|poison|failed/.test(String(l.event))),
    [],
  );
});
