/**
 * Resolving the shipped definitions for an environment: placeholders take that environment's
 * values (the instance threshold its own MAX_INSTANCES), policies name their channels by
 * `channelRefs`, runbook links become absolute under a base URL, the definitions themselves are
 * left as they were, and a context the APIs would refuse is refused with every bad value named.
 */
import test from 'ava';
import {
  MONITORING_DEFS_ERR_CONTEXT,
  MONITORING_DEFS_ERR_RULE,
  MonitoringDefinitionsError,
} from '../../../deploy/monitoring/errors.js';
import {
  loadMonitoringDefinitions,
  resolveMonitoringDefinitions,
} from '../../../deploy/monitoring/load.js';
import type {
  MonitoringContext,
  MonitoringDefinitions,
  ResolvedMonitoring,
} from '../../../deploy/monitoring/types.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit and read parsed YAML freely.
type Json = Record<string, any>;
const defs = loadMonitoringDefinitions();

const context = (over: Partial<MonitoringContext> = {}): MonitoringContext => ({
  project: 'runwatch-prod-1',
  region: 'europe-west1',
  environment: 'production',
  serviceName: 'emotion',
  maxInstances: 10,
  ...over,
});

const find = (r: ResolvedMonitoring, kind: keyof ResolvedMonitoring, id: string): Json => {
  const found = r[kind].find((x) => x.id === id);
  if (found === undefined) throw new Error(`no ${kind} ${id}`);
  return found as unknown as Json;
};

/** Every string in a resource. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

for (const [environment, maxInstances, threshold] of [
  ['production', 10, 7.5],
  ['staging', 5, 3.75],
  ['development', 2, 1.5],
] as const) {
  test(`resolve monitoring: ${environment} with MAX_INSTANCES ${maxInstances} puts the instance threshold at ${threshold}`, (t) => {
    const resolved = resolveMonitoringDefinitions(defs, context({ environment, maxInstances }));
    const policy = find(resolved, 'policies', 'infer-instances-near-max').resource;
    t.is(policy.conditions[0].conditionThreshold.thresholdValue, threshold);
    t.is(
      policy.documentation.subject,
      `[${environment}] emotion: more than 75% of ${maxInstances} instances`,
    );
    t.deepEqual(policy.userLabels, { environment, service: 'emotion' });
  });
}

test('resolve monitoring: project, region and service name reach the filters, the channel topic and the sink destination', (t) => {
  const resolved = resolveMonitoringDefinitions(defs, context());
  t.deepEqual(find(resolved, 'channels', 'alert-ingest').resource.labels, {
    topic: 'projects/runwatch-prod-1/topics/alert-ingest',
  });
  t.is(
    find(resolved, 'sinks', 'function-problems').resource.destination,
    'pubsub.googleapis.com/projects/runwatch-prod-1/topics/alert-ingest',
  );
  const ratio = find(resolved, 'policies', 'infer-5xx-ratio').resource;
  t.is(
    ratio.conditions[0].conditionThreshold.filter,
    'resource.type="cloud_run_revision" AND resource.labels.service_name="emotion" AND resource.labels.location="europe-west1" AND metric.type="run.googleapis.com/request_count" AND metric.labels.response_code_class="5xx"',
  );
  const ours = /\$\{(project|region|environment|serviceName|maxInstances)\b/;
  for (const kind of ['channels', 'logMetrics', 'sinks', 'policies'] as const) {
    for (const r of resolved[kind])
      t.deepEqual(
        strings(r.resource).filter((s) => ours.test(s)),
        [],
        r.id,
      );
  }
});

test("resolve monitoring: Cloud Monitoring's own documentation variables are kept as written", (t) => {
  const resolved = resolveMonitoringDefinitions(defs, context());
  const logged = find(resolved, 'policies', 'infer-error-logged').resource;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
  t.is(logged.documentation.subject, '[production] emotion logged ${log.extracted_label.event}');
});

test('resolve monitoring: policies name their channels by channelRefs, not notificationChannels; other kinds have none', (t) => {
  const resolved = resolveMonitoringDefinitions(defs, context());
  t.is(resolved.policies.length, 9);
  for (const p of resolved.policies) {
    t.deepEqual(p.channelRefs, ['alert-ingest'], p.id);
    t.false('notificationChannels' in p.resource, p.id);
    t.is(p.kind, 'policies');
    t.is(p.file, `alerts/definitions/monitoring/policies/${p.id}.yaml`);
  }
  for (const r of [...resolved.channels, ...resolved.logMetrics, ...resolved.sinks]) {
    t.deepEqual(r.channelRefs, [], r.id);
  }
});

test('resolve monitoring: runbook links stay repository paths, or become absolute under runbookBaseUrl', (t) => {
  const plain = resolveMonitoringDefinitions(defs, context());
  t.deepEqual(find(plain, 'policies', 'infer-5xx-ratio').resource.documentation.links, [
    { displayName: 'Runbook', url: 'docs/runbooks/Infer5xxRatioHigh.md' },
  ]);
  const published = resolveMonitoringDefinitions(
    defs,
    context({ runbookBaseUrl: 'https://github.com/o/runwatch/blob/main' }),
  );
  t.deepEqual(find(published, 'policies', 'infer-5xx-ratio').resource.documentation.links, [
    {
      displayName: 'Runbook',
      url: 'https://github.com/o/runwatch/blob/main/docs/runbooks/Infer5xxRatioHigh.md',
    },
  ]);
});

test('resolve monitoring: the definitions are not changed by resolving, and resolving twice gives the same result', (t) => {
  const before = JSON.stringify(defs);
  const a = resolveMonitoringDefinitions(
    defs,
    context({ environment: 'staging', maxInstances: 5 }),
  );
  const b = resolveMonitoringDefinitions(
    defs,
    context({ environment: 'staging', maxInstances: 5 }),
  );
  t.is(JSON.stringify(defs), before);
  t.deepEqual(a, b);
});

test('resolve monitoring: a context the APIs would refuse is refused, every bad value named', (t) => {
  const error = t.throws(
    () =>
      resolveMonitoringDefinitions(defs, {
        project: 'My_Project',
        region: 'europe',
        environment: 'prod' as MonitoringContext['environment'],
        serviceName: 'Emotion-',
        maxInstances: 0,
        runbookBaseUrl: 'github.com/o/runwatch',
      }),
    { instanceOf: MonitoringDefinitionsError },
  );
  t.deepEqual(
    error?.problems.map((p) => [p.code, p.message]),
    [
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: project is "My_Project"; expected a project id: 6 to 30 lowercase letters, digits or hyphens, starting with a letter',
      ],
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: region is "europe"; expected a Cloud Run region such as us-central1',
      ],
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: environment is "prod"; expected one of production, staging, development',
      ],
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: serviceName is "Emotion-"; expected a Cloud Run service name: up to 49 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen',
      ],
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: maxInstances is 0; expected an integer of at least 1 (the MAX_INSTANCES of the environment)',
      ],
      [
        MONITORING_DEFS_ERR_CONTEXT,
        'context: runbookBaseUrl is "github.com/o/runwatch"; expected an http(s) URL of the published repository root, or nothing',
      ],
    ],
  );
});

test("resolve monitoring: the resolved resources are checked again with the environment's values", (t) => {
  // A user label that only a long service name makes longer than Monitoring allows.
  const policy = defs.policies.find((d) => d.id === 'infer-5xx-ratio');
  if (policy === undefined) throw new Error('no policy');
  const tweaked: MonitoringDefinitions = {
    ...defs,
    policies: defs.policies.map((d) =>
      d === policy
        ? {
            ...d,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
            resource: { ...d.resource, userLabels: { pair: '${serviceName}-${serviceName}' } },
          }
        : d,
    ),
  };
  t.notThrows(() => resolveMonitoringDefinitions(tweaked, context()));
  const long = 'emotion-classifier-for-the-production-region';
  const error = t.throws(
    () =>
      resolveMonitoringDefinitions(tweaked, context({ environment: 'staging', serviceName: long })),
    { instanceOf: MonitoringDefinitionsError },
  );
  t.deepEqual(
    error?.problems.map((p) => [p.code, p.message]),
    [
      [
        MONITORING_DEFS_ERR_RULE,
        'alerts/definitions/monitoring/policies/infer-5xx-ratio.yaml: field userLabels.pair is a string of 89 characters; expected lowercase letters, digits, _ or -, at most 63 characters',
      ],
    ],
  );
  t.regex(
    error?.message ?? '',
    /^monitoring definitions resolved for runwatch-prod-1 \(staging\): 1 problem/,
  );
});
