/**
 * The monitoring side of the plan, from the resolved alerting-as-code definitions
 * (deploy/monitoring/types.ts): one apply step per notification channel, log metric, sink and
 * alert policy, and the grants that let them publish: each Pub/Sub channel's topic for the
 * Monitoring notification agent, and each sink's topic for the sink's writer identity, which
 * Logging assigns when it creates the sink.
 */
import type { ResolvedMonitoring, ResolvedResource } from '../monitoring/types.js';
import { applyStep } from './apply.js';
import { shellJoin } from './shell.js';
import { monitoringAgent } from './target.js';
import type { PlanStep, PlanTarget } from './types.js';

const text = (r: ResolvedResource, field: string): string | undefined => {
  const v = r.resource[field];
  return typeof v === 'string' ? v : undefined;
};

const labels = (r: ResolvedResource): Readonly<Record<string, unknown>> => {
  const v = r.resource.labels;
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
};

/** `projects/P/topics/T` or a sink's `pubsub.googleapis.com/projects/P/topics/T` → T. */
export function topicOf(path: string): string | null {
  const m = /(?:^|\/)projects\/[^/]+\/topics\/([^/]+)$/.exec(path);
  return m === null ? null : (m[1] as string);
}

function describe(r: ResolvedResource): string {
  switch (r.kind) {
    case 'channels': {
      const topic = labels(r).topic;
      return `notification channel "${text(r, 'displayName') ?? r.id}" (${text(r, 'type') ?? 'no type'}${typeof topic === 'string' ? ` to ${topic}` : ''}) from ${r.file}`;
    }
    case 'logMetrics':
      return `log metric ${text(r, 'name') ?? r.id} (logging.googleapis.com/user/${text(r, 'name') ?? r.id}) from ${r.file}`;
    case 'sinks':
      return `log sink ${text(r, 'name') ?? r.id} to ${text(r, 'destination') ?? 'no destination'} from ${r.file}`;
    case 'policies': {
      const conditions = Array.isArray(r.resource.conditions) ? r.resource.conditions.length : 0;
      const channels =
        r.channelRefs.length === 0 ? 'no channel' : `channels ${r.channelRefs.join(', ')}`;
      return `alert policy "${text(r, 'displayName') ?? r.id}" (${conditions} condition${conditions === 1 ? '' : 's'}) to ${channels}, from ${r.file}`;
    }
  }
}

/** One apply step per monitoring resource, channels first (policies name them). */
export function monitoringSteps(resolved: ResolvedMonitoring, t: PlanTarget): PlanStep[] {
  const order = ['channels', 'logMetrics', 'sinks', 'policies'] as const;
  return order.flatMap((kind) =>
    resolved[kind].map((r) => applyStep(t, `monitoring.${kind}.${r.id}`, describe(r))),
  );
}

/** The topics the Pub/Sub notification channels publish to. */
export function channelTopics(resolved: ResolvedMonitoring): string[] {
  const topics = resolved.channels.flatMap((r) => {
    const topic = labels(r).topic;
    return text(r, 'type') === 'pubsub' && typeof topic === 'string'
      ? [topicOf(topic) ?? topic]
      : [];
  });
  return [...new Set(topics)];
}

const publisher = (t: PlanTarget, topic: string, member: string): string[] => [
  'gcloud',
  'pubsub',
  'topics',
  'add-iam-policy-binding',
  topic,
  `--member=${member}`,
  '--role=roles/pubsub.publisher',
  `--project=${t.project}`,
];

/** The Monitoring notification agent may publish to each of `topics`. */
export function channelGrantSteps(topics: readonly string[], t: PlanTarget): PlanStep[] {
  return topics.map((topic) => ({
    id: `iam.monitoring-agent.${topic}`,
    section: 'iam',
    description: `the Monitoring notification agent publishes incidents to ${topic}`,
    argv: publisher(t, topic, `serviceAccount:${monitoringAgent(t)}`),
  }));
}

/** Each sink's writer identity may publish to its topic. */
export function sinkGrantSteps(resolved: ResolvedMonitoring, t: PlanTarget): PlanStep[] {
  return resolved.sinks.flatMap((r) => {
    const name = text(r, 'name') ?? r.id;
    const topic = topicOf(text(r, 'destination') ?? '');
    if (topic === null) return [];
    const token = `sinkWriter:${name}`;
    return [
      {
        id: `iam.sink-writer.${name}`,
        section: 'iam' as const,
        description: `log sink ${name}'s writer identity publishes matched entries to ${topic}`,
        argv: publisher(t, topic, `{${token}}`),
        refs: {
          [token]: {
            description: `the writer identity Logging gave sink ${name}`,
            sh: shellJoin([
              'gcloud',
              'logging',
              'sinks',
              'describe',
              name,
              `--project=${t.project}`,
              '--format=value(writerIdentity)',
            ]),
          },
        },
      },
    ];
  });
}
