/**
 * The alert engine's notifications through the local stack, with the real Cloud Pub/Sub emulator
 * and a real webhook receiver (an HTTP server on 127.0.0.1): a model fault notifies once on the
 * `alerts` topic (read by a real pull subscriber on the emulator) and once on the webhook;
 * restoring the model resolves once on each; the sweeps that follow add nothing. The stack runs an
 * ALERTING_FILE whose receiver has a log, a pubsub and a webhook integration, the webhook's URL
 * given by the environment (`url: {env: …}`), with `group_wait: 0s` and a 2 s `group_interval`,
 * so the first notification goes out at once and the resolve at the next tick after 2 s.
 */
import { type Message, PubSub } from '@google-cloud/pubsub';
import test from 'ava';
import { request, until } from '../helpers/child-service.js';
import { needsEmulatorBinary } from '../helpers/pubsub-emulator.js';
import {
  quickAlertingFile,
  startStack,
  stopStack,
  tempStoreUrl,
  unhealthyRuleDir,
} from '../helpers/stack-process.js';
import { serveReceiver, status } from '../helpers/webhook-receiver.js';

const ADMIN = 'admin-key-0123456789abcdef';
const HOOK_VAR = 'RUNWATCH_TEST_HOOK_URL';

/** log, pubsub and a webhook whose URL the environment gives; a resolve goes out 2 s on. */
const alerting = () =>
  quickAlertingFile({
    receiver: 'all',
    groupInterval: '2s',
    integrations: [
      '- type: log',
      '- type: pubsub',
      '- type: webhook',
      `  url: { env: ${HOOK_VAR} }`,
      '  timeout: 2s',
    ],
  });

test('local stack: a model fault notifies once on the alerts topic and once on the webhook, restoring the model resolves once on each, and later sweeps add none', async (t) => {
  if (needsEmulatorBinary(t) === null) return;
  const receiver = await serveReceiver([status(200)]);
  const stack = startStack({
    STORE_URL: tempStoreUrl().url,
    ENABLE_FAULT_INJECTION: 'true',
    ADMIN_API_KEYS: ADMIN,
    SWEEP_RULES_DIR: unhealthyRuleDir(),
    ALERTING_FILE: alerting(),
    [HOOK_VAR]: `${receiver.url}/hook`,
  });
  let client: PubSub | null = null;
  try {
    const ready = await stack.waitFor('stack', 'stack.ready', 45_000);
    const host = ready.pubsub as string;
    t.regex(host, /^127\.0\.0\.1:\d+$/);
    client = new PubSub({ projectId: 'runwatch-local', apiEndpoint: host, emulatorMode: true });
    const [subscription] = await client.topic('alerts').createSubscription('notify-test');
    const messages: { status: string; alertname: string; notificationId: string }[] = [];
    subscription.on('message', (m: Message) => {
      m.ack();
      const body = JSON.parse(m.data.toString()) as Record<string, unknown>;
      messages.push({
        status: String(body.status),
        alertname: String(body.alertname ?? (body.labels as Record<string, string>)?.alertname),
        notificationId: String(body.notificationId),
      });
    });
    const hooks = () =>
      receiver.requests
        .map((r) => JSON.parse(r.body) as { status: string; groupLabels: Record<string, string> })
        .filter((b) => b.groupLabels.alertname === 'InferUnhealthy')
        .map((b) => b.status);
    const published = () =>
      messages.filter((m) => m.alertname === 'InferUnhealthy').map((m) => m.status);

    /** True once `n` more scheduled sweeps were answered; false after 15 s. */
    const moreSweeps = (n: number) => {
      const from = stack.events('stack', 'scheduler.sweep').length;
      return until(async () => stack.events('stack', 'scheduler.sweep').length >= from + n, 15_000);
    };
    const port = Number(new URL(ready.serviceUrl as string).port);
    const fault = (model: 'fail' | 'ok') =>
      request(port, '/admin/faults', { body: { model }, headers: { 'x-api-key': ADMIN } });
    t.is((await fault('fail')).status, 200);
    t.true(
      await until(async () => hooks().length >= 1 && published().length >= 1, 30_000),
      `firing on both: ${JSON.stringify({ hooks: hooks(), published: published() })}`,
    );
    t.true(await moreSweeps(4), 'four more sweeps with the fault on (beyond one group_interval)');
    t.deepEqual(hooks(), ['firing'], 'one webhook call while firing');
    t.deepEqual(published(), ['firing'], 'one message on alerts while firing');

    t.is((await fault('ok')).status, 200);
    t.true(
      await until(async () => hooks().length >= 2 && published().length >= 2, 30_000),
      `resolved on both: ${JSON.stringify({ hooks: hooks(), published: published() })}`,
    );
    t.true(await moreSweeps(4), 'four more sweeps with the model restored');
    t.deepEqual(hooks(), ['firing', 'resolved']);
    t.deepEqual(published(), ['firing', 'resolved']);
    await subscription.close();
  } finally {
    await client?.close();
    await stopStack(stack);
    await receiver.close();
  }
});
