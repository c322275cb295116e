/**
 * Apply's Pub/Sub part: the topology of alerts/definitions/pubsub.yaml in a deployed project.
 *
 * Schemas, topics and the pull subscriptions go through ensurePubSub (alerts/pubsub/ensure.ts),
 * whose dry run only describes. The push subscription `alert-ingest-push` is the local stack's:
 * deployed, alertIngest has an Eventarc Pub/Sub trigger on `alert-ingest`, whose subscription
 * Eventarc creates and names (`eventarc-<region>-<trigger>-<n>-sub-<n>`). So apply does not
 * create the push subscription; it finds the trigger's subscriptions on the topic (names that
 * start with `eventarc-`) and gives each the push entry's dead-letter and retry policy, leaving
 * the rest of it to Eventarc. With no such subscription yet, the row is `waiting`: deploy the
 * function, then apply again. A leftover `alert-ingest-push` in the project is reported (each
 * message would go to alertIngest twice) and left for a person to delete.
 *
 * Ensure stops at its first failure (what it did stays done); that failure is one `failed` row
 * with its PUBSUB_ERR_* code, and Logging and Monitoring still run.
 */
import type { PubSub } from '@google-cloud/pubsub';
import { describeFailure, grpcCode } from '../../alerts/pubsub/client.js';
import {
  type EnsureResult,
  ensurePubSub,
  ensureSubscriptionPolicies,
} from '../../alerts/pubsub/ensure.js';
import {
  SUBSCRIPTION_ROLES,
  type SubscriptionRole,
  subscriptionPath,
  type Topology,
  topicPath,
} from '../../alerts/pubsub/topology.js';
import { RunwatchError } from '../../lib/errors.js';
import { NOT_FOUND } from './calls.js';
import { type ApplyResult, result } from './report.js';

/** The subscription role a deployed environment replaces with its Eventarc trigger's. */
export const TRIGGER_ROLE: SubscriptionRole = 'ingestPush';
export const EVENTARC_PREFIX = 'eventarc-';

export interface PubSubApplyOptions {
  readonly projectId: string;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
}

const ACTIONS = { created: 'create', updated: 'update', unchanged: 'unchanged' } as const;

function fromEnsure(r: EnsureResult, id: string = r.role): ApplyResult {
  return result({
    area: 'Pub/Sub',
    kind: r.kind,
    id,
    name: r.name,
    action: ACTIONS[r.outcome],
    changes: r.changes,
  });
}

function failure(id: string, kind: ApplyResult['kind'], name: string, e: unknown): ApplyResult {
  const error =
    e instanceof RunwatchError
      ? { code: e.code, message: e.message }
      : { code: 'PUBSUB_ERR_ENSURE_FAILED', message: describeFailure(e) };
  return result({ area: 'Pub/Sub', kind, id, name, action: 'failed', error });
}

const serviceAgentNote = (projectId: string, deadLetterTopic: string, subscription: string) =>
  `dead-lettering needs the Pub/Sub service agent (service-<PROJECT_NUMBER>@gcp-sa-pubsub.iam.gserviceaccount.com) to hold roles/pubsub.publisher on ${topicPath(projectId, deadLetterTopic)} and roles/pubsub.subscriber on ${subscription}`;

/** The topology's subscriptions (all but the trigger's), then the trigger's subscriptions. */
export async function applyPubSub(
  client: PubSub,
  topology: Topology,
  options: PubSubApplyOptions,
): Promise<ApplyResult[]> {
  const { projectId, dryRun, timeoutMs } = options;
  const results: ApplyResult[] = [];
  let topicPlanned = false;
  try {
    const ensured = await ensurePubSub(client, topology, {
      projectId,
      endpoints: {},
      timeoutMs,
      dryRun,
      subscriptions: SUBSCRIPTION_ROLES.filter((role) => role !== TRIGGER_ROLE),
    });
    results.push(...ensured.map((r) => fromEnsure(r)));
    const trigger = topicPath(projectId, topology.subscriptions[TRIGGER_ROLE].topic);
    topicPlanned = dryRun && ensured.some((r) => r.name === trigger && r.outcome === 'created');
  } catch (e) {
    results.push(failure('topology', 'topology', topology.file, e));
  }
  results.push(...(await applyTriggerSubscriptions(client, topology, options, topicPlanned)));
  return results;
}

async function applyTriggerSubscriptions(
  client: PubSub,
  topology: Topology,
  options: PubSubApplyOptions,
  topicPlanned: boolean,
): Promise<ApplyResult[]> {
  const { projectId, dryRun, timeoutMs } = options;
  const spec = topology.subscriptions[TRIGGER_ROLE];
  const topic = topicPath(projectId, spec.topic);
  const id = `${TRIGGER_ROLE} (Eventarc trigger)`;
  const gaxOpts = { timeout: timeoutMs };
  /** The trigger's row while it has no subscription to apply the policy to yet. */
  const waiting = (note: string) =>
    result({
      area: 'Pub/Sub',
      kind: 'subscription',
      id,
      name: null,
      action: 'waiting',
      notes: [note],
    });
  const noTopic = () =>
    waiting(
      `topic ${topic} does not exist yet${dryRun ? ' (this run would create it)' : ''}; deploy alertIngest with its Pub/Sub trigger on it, then run deploy:apply again to give the trigger's subscription the dead-letter and retry policy`,
    );
  if (topicPlanned) return [noTopic()];
  let names: string[];
  try {
    const [subscriptions] = await client.topic(topic).getSubscriptions({ gaxOpts });
    names = subscriptions.map((s) => s.name);
  } catch (e) {
    return [grpcCode(e) === NOT_FOUND ? noTopic() : failure(id, 'subscription', topic, e)];
  }
  const out: ApplyResult[] = [];
  const leftover = subscriptionPath(projectId, spec.name);
  if (names.includes(leftover)) {
    out.push(
      result({
        area: 'Pub/Sub',
        kind: 'subscription',
        id: TRIGGER_ROLE,
        name: leftover,
        action: 'untouched',
        notes: [
          `this is the local stack's push subscription; deployed, alertIngest's Eventarc trigger delivers ${topic}, so every message reaches alertIngest twice while it exists: delete it (gcloud pubsub subscriptions delete ${leftover})`,
        ],
      }),
    );
  }
  const triggers = names.filter((n) => (n.split('/').pop() ?? '').startsWith(EVENTARC_PREFIX));
  if (triggers.length === 0) {
    out.push(
      waiting(
        `no Eventarc trigger subscription on ${topic} yet (none whose name starts with ${EVENTARC_PREFIX}): deploy alertIngest with its Pub/Sub trigger first, then run deploy:apply again to give that subscription the dead-letter and retry policy`,
      ),
    );
    return out;
  }
  for (const name of triggers) {
    try {
      const r = await ensureSubscriptionPolicies(client, name, spec, {
        projectId,
        timeoutMs,
        dryRun,
      });
      const dlt = spec.deadLetterPolicy?.deadLetterTopic;
      out.push({
        ...fromEnsure(r, id),
        notes: dlt === undefined ? [] : [serviceAgentNote(projectId, dlt, name)],
      });
    } catch (e) {
      out.push(failure(id, 'subscription', name, e));
    }
  }
  return out;
}
