/**
 * Webhook deliveries through the real engine, outbox (SQLite) and delivery worker, with real HTTP
 * receivers on port 0 and a real secret file: a receiver whose URL secret is bad fails visibly
 * (NOTIFY_ERR_SECRET recorded on its row, logged `alert.delivery_failed`) while the others are
 * delivered, and no row, log line or error shows a webhook URL's path, query or token.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createDeliveryWorker } from '../../../alerts/engine/deliver.js';
import { createEngine } from '../../../alerts/engine/engine.js';
import { parseEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { NOTIFY_ERR_HTTP_STATUS, NOTIFY_ERR_SECRET } from '../../../alerts/notifiers/errors.js';
import { createWebhookNotifier } from '../../../alerts/notifiers/webhook.js';
import { openStores } from '../../../alerts/store/open.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { type Answer, serveReceiver, status } from '../../helpers/webhook-receiver.js';

const TOKEN = 'T0ken-SECRET-31337';
const QUERY = 'q-SECRET-4242';

const echo: Answer = (req, res) => {
  res.writeHead(400).end(`no hook at ${req.url} (http://${req.headers.host}${req.url})`);
};

test('webhook delivery: a bad URL secret fails its receiver visibly and blocks no other; no record or log line shows a URL', async (t) => {
  const good = await serveReceiver([status(200)]);
  const rejecting = await serveReceiver([echo]);
  const stores = await openStores('sqlite::memory:', { platform: 'local' });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'runwatch-delivery-'));
    const goodFile = join(dir, 'oncall-hook-url');
    writeFileSync(goodFile, `${good.url}/services/${TOKEN}?token=${QUERY}&tags=a,b\n`);
    const env = {
      BROKEN_HOOK_URL: `hooks.example.com/services/${TOKEN}`,
      ECHO_HOOK_URL: `${rejecting.url}/services/${TOKEN}?token=${QUERY}`,
    };
    const config = parseEngineDefinitions(
      `
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
  routes:
    - matchers: ['severity="page"']
      receiver: broken
      continue: true
    - matchers: ['severity="page"']
      receiver: oncall
receivers:
  - name: broken
    integrations:
      - { type: webhook, url: { env: BROKEN_HOOK_URL }, max_attempts: 1 }
  - name: oncall
    integrations:
      - { type: webhook, url: { file: ${goodFile} }, format: slack, max_attempts: 1 }
      - { type: webhook, url: { env: ECHO_HOOK_URL }, max_attempts: 1 }
`,
      'test.yaml',
    );
    const { log, lines } = sinkLogger('info');
    const engine = createEngine({ config, store: stores.engine, log });
    await engine.receive({
      source: 'runwatch',
      dedupeKey: 'k1',
      lifecycleId: null,
      status: 'firing',
      labels: { alertname: 'InferDown', severity: 'page' },
      annotations: { summary: 'infer is down' },
      startsAt: Date.now(),
      endsAt: null,
    });
    const worker = createDeliveryWorker({
      store: stores.engine,
      notifierFor: (integration) => {
        if (integration.type !== 'webhook') throw new Error(`unexpected ${integration.type}`);
        return createWebhookNotifier(integration, { env });
      },
      log,
    });
    const report = await worker.run();
    t.like(report, { delivered: 1, retrying: 1, failed: 1 });
    t.is(good.requests.length, 1);
    t.is(good.requests[0]?.path, `/services/${TOKEN}?token=${QUERY}&tags=a,b`);
    t.is(rejecting.requests.length, 1);

    const rows = await stores.engine.deliveries({ limit: 10 });
    const broken = rows.find((r) => r.receiver === 'broken');
    t.like(broken, { status: 'pending', lastErrorCode: NOTIFY_ERR_SECRET });
    t.is(
      broken?.lastError,
      'receiver broken: the webhook URL secret (environment variable BROKEN_HOOK_URL) does not begin with http:// or https://; expected an absolute http(s) URL',
    );
    const rejected = rows.find((r) => r.lastErrorCode === NOTIFY_ERR_HTTP_STATUS);
    t.like(rejected, { receiver: 'oncall', status: 'failed' });
    t.regex(
      rejected?.lastError ?? '',
      /^webhook to http:\/\/127\.0\.0\.1:\d+: HTTP 400: "no hook at /,
    );

    const failures = lines.filter((l) => l.event === 'alert.delivery_failed');
    t.is(failures.length, 2);
    const printed = JSON.stringify({ rows, lines });
    for (const secret of [TOKEN, QUERY, '/services/', 'token=']) {
      t.false(printed.includes(secret), `${secret} in a record or log line`);
    }
  } finally {
    await stores.close();
    await good.close();
    await rejecting.close();
  }
});
