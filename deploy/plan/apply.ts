/**
 * The resources `npm run deploy:apply` reconciles, one plan step each, all with the apply command
 * as their argv: it describes each resource, then creates or updates it, so a second run changes
 * nothing. The Pub/Sub part is the topology (alerts/definitions/pubsub.yaml, as
 * alerts/pubsub/topology.ts loads it); the monitoring part is monitoring.ts's.
 *
 * The Eventarc decision: alertIngest is deployed with an Eventarc Pub/Sub trigger on alert-ingest,
 * so it receives binary-mode CloudEvents as designed. Eventarc creates that trigger's
 * subscription; apply gives it the dead-letter and retry policy written for `ingestPush`, and
 * `alert-ingest-push` itself is never created outside the local stack (a second subscription
 * would deliver every message twice).
 */
import { type SubscriptionSpec, TOPOLOGY, type Topology } from '../../alerts/pubsub/topology.js';
import type { PlanStep, PlanTarget } from './types.js';

export const applyArgv = (t: PlanTarget): string[] => [
  'npm',
  'run',
  'deploy:apply',
  '--',
  '--env',
  t.environment,
  '--project',
  t.project,
  '--region',
  t.region,
  '--service-name',
  t.serviceName,
];

/**
 * The apply command's environment: the project its client libraries work in, and the runbook
 * base, as a variable so Cloud Build can pass an empty substitution for none.
 */
export const applyEnv = (t: PlanTarget): Record<string, string> => ({
  GOOGLE_CLOUD_PROJECT: t.project,
  ...(t.runbookBaseUrl === undefined ? {} : { DEPLOY_APPLY_RUNBOOK_BASE_URL: t.runbookBaseUrl }),
});

export function applyStep(t: PlanTarget, id: string, description: string): PlanStep {
  return {
    id: `apply.${id}`,
    section: 'apply',
    description,
    argv: applyArgv(t),
    env: applyEnv(t),
    appliedBy: 'deploy:apply',
  };
}

const seconds = (s: number): string =>
  s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s}s`;

function subscriptionPolicy(s: SubscriptionSpec): string {
  const parts = [
    `ack deadline ${s.ackDeadlineSeconds} s`,
    `retention ${seconds(s.messageRetentionSeconds)}`,
  ];
  if (s.deadLetterPolicy !== null) {
    parts.push(
      `dead letters to ${s.deadLetterPolicy.deadLetterTopic} after ${s.deadLetterPolicy.maxDeliveryAttempts} attempts`,
    );
  }
  if (s.retryPolicy !== null) {
    parts.push(
      `retry backoff ${s.retryPolicy.minimumBackoffSeconds}s to ${s.retryPolicy.maximumBackoffSeconds}s`,
    );
  }
  parts.push(
    s.expirationTtlSeconds === null
      ? 'never expires'
      : `expires after ${seconds(s.expirationTtlSeconds)} idle`,
  );
  return parts.join(', ');
}

/** The subscription Eventarc makes for a push endpoint's trigger: alertIngest's on alert-ingest. */
export const TRIGGER_SUBSCRIPTION_OF = { alertIngest: 'alert-ingest' } as const;

export function pubsubApplySteps(t: PlanTarget, topology: Topology = TOPOLOGY): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const s of topology.schemas) {
    steps.push(
      applyStep(
        t,
        `pubsub.schema.${s.name}`,
        `Pub/Sub schema ${s.name} (${s.type}, ${s.definitionFile})`,
      ),
    );
  }
  for (const topic of Object.values(topology.topics)) {
    const details = [
      topic.schema === null ? null : `schema ${topic.schema.name}, ${topic.schema.encoding}`,
      topic.deadLetterTopic === null ? null : `dead letters to ${topic.deadLetterTopic}`,
    ].filter((d) => d !== null);
    steps.push(
      applyStep(
        t,
        `pubsub.topic.${topic.name}`,
        `Pub/Sub topic ${topic.name}${details.length === 0 ? '' : ` (${details.join('; ')})`}`,
      ),
    );
  }
  for (const s of Object.values(topology.subscriptions)) {
    if (s.push !== null) {
      const fn = s.push.endpoint as keyof typeof TRIGGER_SUBSCRIPTION_OF;
      steps.push(
        applyStep(
          t,
          `pubsub.trigger-subscription.${s.push.endpoint}`,
          `the subscription of ${s.push.endpoint}'s Eventarc trigger on ${s.topic} (named by Eventarc) gets ${s.name}'s policy: ${subscriptionPolicy(s)}; ${s.name} itself is the local stack's only and is not created${TRIGGER_SUBSCRIPTION_OF[fn] === undefined ? ' (no function of that name is deployed with a trigger)' : ''}`,
        ),
      );
      continue;
    }
    steps.push(
      applyStep(
        t,
        `pubsub.subscription.${s.name}`,
        `Pub/Sub subscription ${s.name} on ${s.topic}, pull: ${subscriptionPolicy(s)}`,
      ),
    );
  }
  return steps;
}
