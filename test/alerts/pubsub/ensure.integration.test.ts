/**
 * ensurePubSub through the real client against the real emulator, one fresh project per test
 * (the emulator keeps projects apart), reading every result back with the same client.
 */

import { readFileSync } from 'node:fs';
import { PubSub } from '@google-cloud/pubsub';
import test, { type ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { ensurePubSub } from '../../../alerts/pubsub/ensure.js';
import {
  PUBSUB_ERR_CONFLICT,
  PUBSUB_ERR_ENDPOINT_INVALID,
  PUBSUB_ERR_ENSURE_FAILED,
  PubSubEnsureError,
} from '../../../alerts/pubsub/errors.js';
import {
  parseTopology,
  SUBSCRIPTIONS,
  TOPICS,
  TOPOLOGY,
  TOPOLOGY_FILE,
  type Topology,
} from '../../../alerts/pubsub/topology.js';
import { stopPubSubEmulator } from '../../helpers/pubsub-emulator.js';
import { emulatorProjects, UNREACHABLE_INGEST } from '../../helpers/pubsub-project.js';

test.after.always(stopPubSubEmulator);

function variant(
  change: (doc: Record<string, Record<string, Record<string, unknown>>>) => void,
): Topology {
  const doc = parse(readFileSync(TOPOLOGY_FILE, 'utf8'));
  change(doc);
  return parseTopology(stringify(doc), 'variant.yaml');
}

const withProject = emulatorProjects('ensure');

const subscriptionOf = async (client: PubSub, projectId: string, name: string) =>
  (await client.subscription(`projects/${projectId}/subscriptions/${name}`).getMetadata())[0];

test('ensure: on a fresh project the first run creates every topic and subscription, and a second run reports all unchanged', (t) =>
  withProject(t, async (client, projectId) => {
    const first = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
    });
    t.deepEqual(
      first.map((r) => [r.kind, r.name, r.outcome]),
      [
        ...TOPOLOGY.schemas.map((s) => [
          'schema',
          `projects/${projectId}/schemas/${s.name}`,
          'created',
        ]),
        ...Object.values(TOPICS).map((n) => [
          'topic',
          `projects/${projectId}/topics/${n}`,
          'created',
        ]),
        ...Object.values(SUBSCRIPTIONS).map((n) => [
          'subscription',
          `projects/${projectId}/subscriptions/${n}`,
          'created',
        ]),
      ],
    );
    const [topics] = await client.getTopics();
    t.deepEqual(
      topics.map((x) => x.name).sort(),
      Object.values(TOPICS)
        .map((n) => `projects/${projectId}/topics/${n}`)
        .sort(),
    );
    const second = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
    });
    t.deepEqual(
      second.map((r) => r.outcome),
      first.map(() => 'unchanged'),
    );
    t.true(second.every((r) => r.changes.length === 0));
  }));

test('ensure: the push subscription really has its endpoint, OIDC identity, ack deadline, dead-letter and retry policies, and the keeps never expire (read back)', (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: {
        alertIngest: {
          url: 'http://127.0.0.1:9/alert-ingest',
          oidc: {
            serviceAccountEmail: 'pusher@proj.iam.gserviceaccount.com',
            audience: 'https://ingest',
          },
        },
      },
    });
    const push = await subscriptionOf(client, projectId, SUBSCRIPTIONS.ingestPush);
    t.is(push.topic, `projects/${projectId}/topics/${TOPICS.ingest}`);
    t.like(push.pushConfig, {
      pushEndpoint: 'http://127.0.0.1:9/alert-ingest',
      oidcToken: {
        serviceAccountEmail: 'pusher@proj.iam.gserviceaccount.com',
        audience: 'https://ingest',
      },
    });
    t.is(push.ackDeadlineSeconds, 60);
    t.deepEqual(push.deadLetterPolicy, {
      deadLetterTopic: `projects/${projectId}/topics/${TOPICS.ingestDeadLetter}`,
      maxDeliveryAttempts: 5,
    });
    t.is(Number(push.retryPolicy?.minimumBackoff?.seconds), 10);
    t.is(Number(push.retryPolicy?.maximumBackoff?.seconds), 600);
    t.false(push.enableMessageOrdering);
    for (const name of [SUBSCRIPTIONS.ingestDeadLetterKeep, SUBSCRIPTIONS.alertsDeadLetterKeep]) {
      const keep = await subscriptionOf(client, projectId, name);
      t.is(keep.pushConfig?.pushEndpoint, '', `${name} is a pull subscription`);
      t.is(keep.deadLetterPolicy, null);
      t.is(Number(keep.messageRetentionDuration?.seconds), 7 * 86_400);
      t.truthy(keep.expirationPolicy, `${name} has an expiration policy`);
      t.is(keep.expirationPolicy?.ttl ?? null, null, `${name} never expires`);
    }
  }));

test('ensure: a changed maxDeliveryAttempts is updated in place, that field alone, and then unchanged', (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    const seven = variant((d) => {
      (d.subscriptions?.ingestPush as Record<string, unknown>).deadLetterPolicy = {
        maxDeliveryAttempts: 7,
      };
    });
    const results = await ensurePubSub(client, seven, { projectId, endpoints: UNREACHABLE_INGEST });
    const dlt = `projects/${projectId}/topics/${TOPICS.ingestDeadLetter}`;
    t.deepEqual(
      results.filter((r) => r.outcome !== 'unchanged'),
      [
        {
          kind: 'subscription',
          role: 'ingestPush',
          name: `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`,
          outcome: 'updated',
          changes: [`deadLetterPolicy: to ${dlt} after 5 attempts → to ${dlt} after 7 attempts`],
        },
      ],
    );
    const push = await subscriptionOf(client, projectId, SUBSCRIPTIONS.ingestPush);
    t.is(push.deadLetterPolicy?.maxDeliveryAttempts, 7);
    t.is(Number(push.retryPolicy?.maximumBackoff?.seconds), 600, 'the rest is as it was');
    const again = await ensurePubSub(client, seven, { projectId, endpoints: UNREACHABLE_INGEST });
    t.true(again.every((r) => r.outcome === 'unchanged'));
  }));

test('ensure: a push subscription turned to pull by hand, or given another endpoint, is put back', (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    const name = `projects/${projectId}/subscriptions/${SUBSCRIPTIONS.ingestPush}`;
    await client.subscription(name).setMetadata({ pushConfig: {}, ackDeadlineSeconds: 20 });
    const back = await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    t.deepEqual(back.find((r) => r.name === name)?.changes, [
      'pushConfig: pull → push to http://127.0.0.1:9/alert-ingest',
      'ackDeadlineSeconds: 20s → 60s',
    ]);
    const moved = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: { alertIngest: { url: 'http://127.0.0.1:10/elsewhere' } },
    });
    t.is(moved.find((r) => r.name === name)?.outcome, 'updated');
    const push = await subscriptionOf(client, projectId, SUBSCRIPTIONS.ingestPush);
    t.is(push.pushConfig?.pushEndpoint, 'http://127.0.0.1:10/elsewhere');
    t.is(push.ackDeadlineSeconds, 60);
  }));

test('ensure: a push endpoint not given, or not an http(s) URL, is PUBSUB_ERR_ENDPOINT_INVALID before anything is created', (t) =>
  withProject(t, async (client, projectId) => {
    for (const endpoints of [{}, { alertIngest: { url: 'ftp://127.0.0.1/x' } }]) {
      const e = await t.throwsAsync(ensurePubSub(client, TOPOLOGY, { projectId, endpoints }), {
        instanceOf: PubSubEnsureError,
      });
      t.is(e?.code, PUBSUB_ERR_ENDPOINT_INVALID);
      t.true(
        e?.message.includes(
          `subscription ${SUBSCRIPTIONS.ingestPush} pushes to endpoint "alertIngest"`,
        ),
        e?.message,
      );
    }
    const [topics] = await client.getTopics();
    t.deepEqual(topics, []);
  }));

test('ensure: a subscription that exists on another topic is PUBSUB_ERR_CONFLICT and nothing is changed', (t) =>
  withProject(t, async (client, projectId) => {
    const [other] = await client.createTopic('somewhere-else');
    await other.createSubscription(SUBSCRIPTIONS.ingestPush);
    const e = await t.throwsAsync(
      ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST }),
      {
        instanceOf: PubSubEnsureError,
      },
    );
    t.is(e?.code, PUBSUB_ERR_CONFLICT);
    t.true(
      e?.message.includes(
        `its topic is projects/${projectId}/topics/somewhere-else, not projects/${projectId}/topics/${TOPICS.ingest}`,
      ),
      e?.message,
    );
    t.true(e?.message.includes('gcloud pubsub subscriptions delete'), e?.message);
    const [topics] = await client.getTopics();
    t.deepEqual(
      topics.map((x) => x.name),
      [`projects/${projectId}/topics/somewhere-else`],
    );
  }));

test('ensure: a Pub/Sub that does not answer is PUBSUB_ERR_ENSURE_FAILED naming the call, within the deadline', async (t) => {
  const client = new PubSub({
    projectId: 'unreachable',
    apiEndpoint: '127.0.0.1:1',
    emulatorMode: true,
  });
  const began = performance.now();
  try {
    const e = await t.throwsAsync(
      ensurePubSub(client, TOPOLOGY, {
        projectId: 'unreachable',
        endpoints: UNREACHABLE_INGEST,
        timeoutMs: 1000,
      }),
      { instanceOf: PubSubEnsureError },
    );
    t.is(e?.code, PUBSUB_ERR_ENSURE_FAILED);
    t.regex(
      e?.message ?? '',
      /^describing (schema|topic|subscription) projects\/unreachable\/\S+ failed \(gRPC status (4|14)\)/,
    );
    t.true(performance.now() - began < 5000, `${Math.round(performance.now() - began)} ms`);
  } finally {
    await client.close();
  }
});

async function conflictStartingWith(
  t: ExecutionContext,
  run: Promise<unknown>,
  start: string,
): Promise<void> {
  const e = await t.throwsAsync(run, { instanceOf: PubSubEnsureError });
  t.is(e?.code, PUBSUB_ERR_CONFLICT);
  t.true(e?.message.startsWith(start), e?.message);
}

const ALERTS_TOPIC = (projectId: string) => `projects/${projectId}/topics/${TOPICS.alerts}`;
const ALERT_SCHEMA = (projectId: string) => `projects/${projectId}/schemas/alert-v1`;

test('ensure: the alert-v1 Avro schema is created from its file and the alerts topic validates JSON against it; a second run changes nothing', (t) =>
  withProject(t, async (client, projectId) => {
    await ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST });
    const schema = await client.schema(ALERT_SCHEMA(projectId)).get('FULL');
    t.is(schema.type, 'AVRO');
    t.is(schema.definition, TOPOLOGY.schemas[0]?.definition);
    const [alerts] = await client.topic(ALERTS_TOPIC(projectId)).getMetadata();
    t.like(alerts.schemaSettings, { schema: ALERT_SCHEMA(projectId), encoding: 'JSON' });
    const [ingest] = await client
      .topic(`projects/${projectId}/topics/${TOPICS.ingest}`)
      .getMetadata();
    t.falsy(ingest.schemaSettings?.schema, 'alert-ingest takes any message');
    const again = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
    });
    t.deepEqual(
      again.filter((r) => r.outcome !== 'unchanged'),
      [],
    );
  }));

test('ensure: an alerts topic made before it had a schema gets the schema attached, reported as an update', (t) =>
  withProject(t, async (client, projectId) => {
    await client.createTopic(ALERTS_TOPIC(projectId));
    const results = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: UNREACHABLE_INGEST,
    });
    t.deepEqual(
      results.find((r) => r.name === ALERTS_TOPIC(projectId)),
      {
        kind: 'topic',
        role: 'alerts',
        name: ALERTS_TOPIC(projectId),
        outcome: 'updated',
        changes: [`schemaSettings: none → ${ALERT_SCHEMA(projectId)} (JSON)`],
      },
    );
    const [alerts] = await client.topic(ALERTS_TOPIC(projectId)).getMetadata();
    t.like(alerts.schemaSettings, { schema: ALERT_SCHEMA(projectId), encoding: 'JSON' });
  }));

test('ensure: a schema alert-v1 with another definition is PUBSUB_ERR_CONFLICT naming it, and nothing is created', (t) =>
  withProject(t, async (client, projectId) => {
    const other = JSON.stringify({
      type: 'record',
      name: 'Alert',
      fields: [{ name: 'only', type: 'string' }],
    });
    await client.createSchema('alert-v1', 'AVRO', other);
    await conflictStartingWith(
      t,
      ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST }),
      `schema ${ALERT_SCHEMA(projectId)} exists with another definition than alert.v1.avsc`,
    );
    const [topics] = await client.getTopics();
    t.deepEqual(topics, []);
    t.is((await client.schema('alert-v1').get('FULL')).definition, other, 'left as it was');
  }));

test('ensure: an alerts topic validating against another schema is PUBSUB_ERR_CONFLICT naming topic and schema, and is not changed', (t) =>
  withProject(t, async (client, projectId) => {
    const otherSchema = `projects/${projectId}/schemas/someone-elses`;
    await client.createSchema(
      'someone-elses',
      'AVRO',
      JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'x', type: 'string' }] }),
    );
    await client.createTopic({
      name: ALERTS_TOPIC(projectId),
      schemaSettings: { schema: otherSchema, encoding: 'JSON' },
    });
    await conflictStartingWith(
      t,
      ensurePubSub(client, TOPOLOGY, { projectId, endpoints: UNREACHABLE_INGEST }),
      `topic ${ALERTS_TOPIC(projectId)} has schema setting ${otherSchema} (JSON), not ${ALERT_SCHEMA(projectId)} (JSON)`,
    );
    const [topics] = await client.getTopics();
    t.deepEqual(
      topics.map((x) => x.name),
      [ALERTS_TOPIC(projectId)],
    );
    const [alerts] = await client.topic(ALERTS_TOPIC(projectId)).getMetadata();
    t.is(alerts.schemaSettings?.schema, otherSchema);
  }));
