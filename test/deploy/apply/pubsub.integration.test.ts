/**
 * Apply's Pub/Sub part against the real emulator, one fresh project per test: the topology
 * without the local stack's push subscription, and the Eventarc trigger's subscription given
 * the dead-letter and retry policy. Eventarc cannot run here, so a test creates a subscription
 * named like the trigger's as its stand-in, and says so.
 */
import type { PubSub } from '@google-cloud/pubsub';
import test from 'ava';
import { ensurePubSub } from '../../../alerts/pubsub/ensure.js';
import { SUBSCRIPTIONS, TOPICS, TOPOLOGY } from '../../../alerts/pubsub/topology.js';
import { applyPubSub } from '../../../deploy/apply/pubsub.js';
import { stopPubSubEmulator } from '../../helpers/pubsub-emulator.js';
import { emulatorProjects, UNREACHABLE_INGEST } from '../../helpers/pubsub-project.js';
import { actions } from './harness.js';

test.after.always(stopPubSubEmulator);

const withProject = emulatorProjects('apply');

const apply = (client: PubSub, projectId: string, dryRun = false) =>
  applyPubSub(client, TOPOLOGY, { projectId, dryRun, timeoutMs: 5_000 });

/** What Eventarc creates for a Pub/Sub trigger: a push subscription of its own naming. */
async function eventarcStandIn(client: PubSub, projectId: string): Promise<string> {
  const name = `projects/${projectId}/subscriptions/eventarc-us-central1-alert-ingest-trigger-417-sub-902`;
  await client.createSubscription(`projects/${projectId}/topics/${TOPICS.ingest}`, name, {
    pushConfig: { pushEndpoint: 'http://127.0.0.1:9/?__GCP_CloudEventsMode=CE_PUBSUB_BINDING' },
    ackDeadlineSeconds: 600,
  });
  return name;
}

const TRIGGER = 'subscription ingestPush (Eventarc trigger)';

test('deploy apply Pub/Sub (emulator): a dry run on a fresh project reports every create and creates nothing', (t) =>
  withProject(t, async (client, projectId) => {
    const rows = await apply(client, projectId, true);
    t.true(
      rows
        .filter((r) => r.kind !== 'subscription' || r.id !== 'ingestPush (Eventarc trigger)')
        .every((r) => r.action === 'create'),
    );
    t.deepEqual(actions(rows).slice(-1), [`${TRIGGER} waiting`]);
    t.regex(
      rows.at(-1)?.notes[0] ?? '',
      /topic projects\/.*\/topics\/alert-ingest does not exist yet \(this run would create it\); deploy alertIngest/,
    );
    t.deepEqual((await client.getTopics())[0], []);
  }));

test('deploy apply Pub/Sub (emulator): the topology is created without alert-ingest-push, and the trigger subscription waits for the function', (t) =>
  withProject(t, async (client, projectId) => {
    const rows = await apply(client, projectId);
    t.false(rows.some((r) => r.name?.endsWith(`/${SUBSCRIPTIONS.ingestPush}`)));
    t.deepEqual(
      rows.filter((r) => r.kind === 'subscription').map((r) => `${r.id} ${r.action}`),
      [
        'ingestDeadLetterKeep create',
        'alertsDeadLetterKeep create',
        'ingestPush (Eventarc trigger) waiting',
      ],
    );
    t.regex(
      rows.at(-1)?.notes[0] ?? '',
      /no Eventarc trigger subscription on projects\/.*\/topics\/alert-ingest yet \(none whose name starts with eventarc-\): deploy alertIngest with its Pub\/Sub trigger first, then run deploy:apply again/,
    );
    const [subs] = await client.getSubscriptions();
    t.false(subs.some((s) => s.name.endsWith(`/${SUBSCRIPTIONS.ingestPush}`)));
    const again = await apply(client, projectId);
    t.true(again.slice(0, -1).every((r) => r.action === 'unchanged'));
  }));

test("deploy apply Pub/Sub (emulator; a subscription named like an Eventarc trigger's as its stand-in): it gets the dead-letter and retry policy, and a second run changes nothing", (t) =>
  withProject(t, async (client, projectId) => {
    await apply(client, projectId);
    const trigger = await eventarcStandIn(client, projectId);
    const dry = await apply(client, projectId, true);
    t.deepEqual(
      actions(dry).filter((a) => a !== a.replace(/ (create|update)$/, '')),
      [`${TRIGGER} update`],
    );
    t.is((await client.subscription(trigger).getMetadata())[0].deadLetterPolicy, null);
    const rows = await apply(client, projectId);
    const row = rows.at(-1);
    t.like(row, { name: trigger, action: 'update' });
    t.deepEqual(row?.changes, [
      `deadLetterPolicy: none → to projects/${projectId}/topics/${TOPICS.ingestDeadLetter} after 5 attempts`,
      'retryPolicy: none → backoff 10s to 600s',
    ]);
    t.regex(
      row?.notes[0] ?? '',
      /Pub\/Sub service agent .* roles\/pubsub\.publisher on projects\/.*\/topics\/alert-ingest-dead-letter and roles\/pubsub\.subscriber on projects\/.*eventarc-/,
    );
    const [after] = await client.subscription(trigger).getMetadata();
    t.deepEqual(after.deadLetterPolicy, {
      deadLetterTopic: `projects/${projectId}/topics/${TOPICS.ingestDeadLetter}`,
      maxDeliveryAttempts: 5,
    });
    t.is(Number(after.retryPolicy?.minimumBackoff?.seconds), 10);
    t.is(after.ackDeadlineSeconds, 600, "Eventarc's own settings stay");
    t.is(
      after.pushConfig?.pushEndpoint,
      'http://127.0.0.1:9/?__GCP_CloudEventsMode=CE_PUBSUB_BINDING',
    );
    const again = await apply(client, projectId);
    t.true(again.every((r) => r.action === 'unchanged'));
  }));

test("deploy apply Pub/Sub (emulator): the local stack's alert-ingest-push left in a deployed project is reported, not touched", (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
    });
    const rows = await apply(client, projectId);
    const leftover = rows.find((r) => r.action === 'untouched');
    t.is(leftover?.name, `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`);
    t.regex(
      leftover?.notes[0] ?? '',
      /every message reaches alertIngest twice while it exists: delete it/,
    );
    const [subs] = await client.getSubscriptions();
    t.true(subs.some((s) => s.name === leftover?.name));
  }));
