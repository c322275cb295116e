/**
 * ensurePubSub's dry run and its narrowing to some subscription roles, and
 * ensureSubscriptionPolicies, through the real client against the real emulator, one fresh
 * project per test.
 */
import type { PubSub } from '@google-cloud/pubsub';
import test from 'ava';
import { ensurePubSub, ensureSubscriptionPolicies } from '../../../alerts/pubsub/ensure.js';
import { PUBSUB_ERR_ENSURE_FAILED, PubSubEnsureError } from '../../../alerts/pubsub/errors.js';
import { SUBSCRIPTIONS, TOPICS, TOPOLOGY } from '../../../alerts/pubsub/topology.js';
import { stopPubSubEmulator } from '../../helpers/pubsub-emulator.js';
import { emulatorProjects, UNREACHABLE_INGEST } from '../../helpers/pubsub-project.js';

test.after.always(stopPubSubEmulator);

const withProject = emulatorProjects('plan');

const names = async (client: PubSub) => ({
  topics: (await client.getTopics())[0].map((x) => x.name),
  subscriptions: (await client.getSubscriptions())[0].map((x) => x.name),
});

test('ensure (dry run): on a fresh project every resource is reported created, and none exists after', (t) =>
  withProject(t, async (client, projectId) => {
    const plan = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
      dryRun: true,
    });
    t.true(plan.length > 0);
    t.true(plan.every((r) => r.outcome === 'created'));
    t.deepEqual(await names(client), { topics: [], subscriptions: [] });
    const real = await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    t.deepEqual(
      real.map((r) => [r.name, r.outcome]),
      plan.map((r) => [r.name, r.outcome]),
      'the dry run said what the run did',
    );
  }));

test('ensure (dry run): a subscription changed by hand is reported with its changes, and stays as it is', (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    const name = `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`;
    await client.subscription(name).setMetadata({ ackDeadlineSeconds: 20 });
    const plan = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
      dryRun: true,
    });
    t.deepEqual(
      plan.filter((r) => r.outcome !== 'unchanged').map((r) => [r.name, r.outcome, r.changes]),
      [[name, 'updated', ['ackDeadlineSeconds: 20s → 60s']]],
    );
    const [after] = await client.subscription(name).getMetadata();
    t.is(after.ackDeadlineSeconds, 20);
  }));

test('ensure: `subscriptions` narrows the run to those roles; the others are neither created nor need an endpoint', (t) =>
  withProject(t, async (client, projectId) => {
    const results = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: {},
      subscriptions: ['ingestDeadLetterKeep'],
    });
    t.deepEqual(
      results.filter((r) => r.kind === 'subscription').map((r) => r.role),
      ['ingestDeadLetterKeep'],
    );
    const { subscriptions } = await names(client);
    t.deepEqual(subscriptions, [
      `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestDeadLetterKeep}`,
    ]);
  }));

test("ensureSubscriptionPolicies: a subscription the topology does not name gets the spec's dead-letter and retry policy and keeps its own push config", (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: {}, subscriptions: [] });
    const name = `projects/${projectId}/subscriptions/other-owner-sub`;
    await client.createSubscription(`projects/${projectId}/topics/${TOPICS.ingest}`, name, {
      pushConfig: { pushEndpoint: 'http://127.0.0.1:9/elsewhere' },
      ackDeadlineSeconds: 30,
    });
    const spec = TOPOLOGY.subscriptions.ingestPush;
    const dry = await ensureSubscriptionPolicies(client, name, spec, { projectId, dryRun: true });
    t.is(dry.outcome, 'updated');
    t.deepEqual(dry.changes, [
      `deadLetterPolicy: none → to projects/${projectId}/topics/${TOPICS.ingestDeadLetter} after 5 attempts`,
      'retryPolicy: none → backoff 10s to 600s',
    ]);
    t.is((await client.subscription(name).getMetadata())[0].deadLetterPolicy, null);
    const done = await ensureSubscriptionPolicies(client, name, spec, { projectId });
    t.deepEqual(done.changes, dry.changes);
    const [after] = await client.subscription(name).getMetadata();
    t.is(
      after.deadLetterPolicy?.deadLetterTopic,
      `projects/${projectId}/topics/${TOPICS.ingestDeadLetter}`,
    );
    t.is(Number(after.retryPolicy?.maximumBackoff?.seconds), 600);
    t.is(after.pushConfig?.pushEndpoint, 'http://127.0.0.1:9/elsewhere');
    t.is(after.ackDeadlineSeconds, 30);
    const again = await ensureSubscriptionPolicies(client, name, spec, { projectId });
    t.is(again.outcome, 'unchanged');
  }));

test('ensureSubscriptionPolicies: a subscription that does not exist is PUBSUB_ERR_ENSURE_FAILED naming it', (t) =>
  withProject(t, async (client, projectId) => {
    const name = `projects/${projectId}/subscriptions/nowhere`;
    const e = await t.throwsAsync(
      ensureSubscriptionPolicies(client, name, TOPOLOGY.subscriptions.ingestPush, { projectId }),
      { instanceOf: PubSubEnsureError },
    );
    t.is(e?.code, PUBSUB_ERR_ENSURE_FAILED);
    t.regex(
      e?.message ?? '',
      new RegExp(`^describing subscription ${name} failed \\(gRPC status 5\\)`),
    );
  }));
