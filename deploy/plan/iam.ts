/**
 * Who may call and publish what, once the resources exist (every grant is an
 * add-iam-policy-binding on one resource, which changes nothing when the binding is there; the
 * pipeline runs these, so none is on the project):
 *
 * - the service: under AUTH_MODE=iam roles/run.invoker for the functions' account (the sweep
 *   probes it) and the members given with `--invoker`, never allUsers; under api-key for allUsers,
 *   since the service checks X-API-Key itself;
 * - each function: roles/run.invoker for the invoker account (Scheduler's OIDC tokens, the
 *   Eventarc triggers), whose project-level roles/eventarc.eventReceiver is setup.ts's;
 * - Pub/Sub: the functions' account publishes findings, dead letters and notifications; the
 *   Pub/Sub service agent publishes to each dead-letter topic and subscribes to each subscription
 *   that dead-letters (else Pub/Sub cannot forward a dead letter);
 * - monitoring: monitoring.ts's grants.
 */
import { TOPICS, TOPOLOGY, type Topology } from '../../alerts/pubsub/topology.js';
import type { AuthMode } from '../../service/config/index.js';
import { TRIGGER_SUBSCRIPTION_OF } from './apply.js';
import { functionDeployments } from './functions.js';
import { shellJoin } from './shell.js';
import { at, pubsubAgent } from './target.js';
import type { PlanStep, PlanTarget } from './types.js';

const INVOKER = 'roles/run.invoker';

export function serviceInvokerMembers(t: PlanTarget, mode: AuthMode): string[] {
  return mode === 'iam' ? [`serviceAccount:${t.accounts.functions}`, ...t.invokers] : ['allUsers'];
}

export function serviceInvokerSteps(t: PlanTarget, mode: AuthMode): PlanStep[] {
  return serviceInvokerMembers(t, mode).map((member) => ({
    id: `iam.service-invoker.${member}`,
    section: 'iam',
    description:
      member === 'allUsers'
        ? `anyone may reach the service (AUTH_MODE=${mode}: the service checks callers itself)`
        : `${member} may call the service (AUTH_MODE=iam: nobody else)`,
    argv: [
      'gcloud',
      'run',
      'services',
      'add-iam-policy-binding',
      t.serviceName,
      ...at(t),
      `--member=${member}`,
      `--role=${INVOKER}`,
    ],
  }));
}

export function functionInvokerSteps(t: PlanTarget): PlanStep[] {
  const member = `serviceAccount:${t.accounts.invoker}`;
  return functionDeployments(t).map(
    (f): PlanStep => ({
      id: `iam.function-invoker.${f.entryPoint}`,
      section: 'iam',
      description: `${t.accounts.invoker} may call ${f.name} (${f.topic === null ? 'Scheduler' : `the Eventarc trigger on ${f.topic}`})`,
      argv: [
        'gcloud',
        'functions',
        'add-invoker-policy-binding',
        f.name,
        ...at(t),
        `--member=${member}`,
      ],
    }),
  );
}

const topicGrant = (t: PlanTarget, topic: string, member: string, role: string): string[] => [
  'gcloud',
  'pubsub',
  'topics',
  'add-iam-policy-binding',
  topic,
  `--member=${member}`,
  `--role=${role}`,
  `--project=${t.project}`,
];

/** Token of the subscription Eventarc made for alertIngest's trigger. */
export const INGEST_TRIGGER_SUBSCRIPTION = 'ingestTriggerSubscription';

export function pubsubGrantSteps(t: PlanTarget, topology: Topology = TOPOLOGY): PlanStep[] {
  const fnMember = `serviceAccount:${t.accounts.functions}`;
  const agent = `serviceAccount:${pubsubAgent(t)}`;
  const published = [
    [TOPICS.ingest, 'sweep findings (healthSweep, healthSweepEvent)'],
    [TOPICS.ingestDeadLetter, "alertIngest's poison messages"],
    [TOPICS.alerts, "the alert engine's notifications"],
  ] as const;
  const steps: PlanStep[] = published.map(([topic, what]) => ({
    id: `iam.functions-publish.${topic}`,
    section: 'iam',
    description: `the functions' account publishes ${what} to ${topic}`,
    argv: topicGrant(t, topic, fnMember, 'roles/pubsub.publisher'),
  }));
  const deadLetterTopics = [
    ...new Set(
      Object.values(topology.topics).flatMap((x) =>
        x.deadLetterTopic === null ? [] : [x.deadLetterTopic],
      ),
    ),
  ];
  for (const topic of deadLetterTopics) {
    steps.push({
      id: `iam.pubsub-agent.publish.${topic}`,
      section: 'iam',
      description: `the Pub/Sub service agent forwards dead letters to ${topic}`,
      argv: topicGrant(t, topic, agent, 'roles/pubsub.publisher'),
    });
  }
  for (const s of Object.values(topology.subscriptions)) {
    if (s.deadLetterPolicy === null) continue;
    const viaTrigger =
      s.push !== null && s.push.endpoint in TRIGGER_SUBSCRIPTION_OF ? s.push.endpoint : null;
    const fn = functionDeployments(t).find((f) => f.entryPoint === viaTrigger);
    const subscription = viaTrigger === null ? s.name : `{${INGEST_TRIGGER_SUBSCRIPTION}}`;
    steps.push({
      id: `iam.pubsub-agent.subscribe.${viaTrigger ?? s.name}`,
      section: 'iam',
      description:
        viaTrigger === null
          ? `the Pub/Sub service agent acknowledges what ${s.name} dead-letters`
          : `the Pub/Sub service agent acknowledges what ${viaTrigger}'s trigger subscription dead-letters (in place of ${s.name})`,
      argv: [
        'gcloud',
        'pubsub',
        'subscriptions',
        'add-iam-policy-binding',
        subscription,
        `--member=${agent}`,
        '--role=roles/pubsub.subscriber',
        `--project=${t.project}`,
      ],
      ...(viaTrigger === null || fn === undefined
        ? {}
        : {
            refs: {
              [INGEST_TRIGGER_SUBSCRIPTION]: {
                description: `the subscription Eventarc made for ${fn.name}'s trigger on ${s.topic}`,
                sh: `${shellJoin(['gcloud', 'eventarc', 'triggers', 'describe'])} "$(${shellJoin([
                  'gcloud',
                  'functions',
                  'describe',
                  fn.name,
                  '--gen2',
                  ...at(t),
                  '--format=value(eventTrigger.trigger)',
                ])})" ${shellJoin([`--location=${t.region}`, `--project=${t.project}`, '--format=value(transport.pubsub.subscription)'])}`,
              },
            },
          }),
    });
  }
  return steps;
}
