/**
 * The plan's monitoring part from a resolved set of definitions built here (the shape
 * deploy/monitoring/types.ts fixes): one apply line per resource, channels first, and the grants
 * that let the Pub/Sub channel and the sink publish.
 */
import test from 'ava';
import { parseApplyArgs } from '../../../deploy/apply/config.js';
import { monitoringContext } from '../../../deploy/monitoring/context.js';
import type { ResolvedMonitoring, ResolvedResource } from '../../../deploy/monitoring/types.js';
import {
  channelTopics,
  monitoringSteps,
  sinkGrantSteps,
  topicOf,
} from '../../../deploy/plan/monitoring.js';
import { buildPlan } from '../../../deploy/plan/plan.js';
import { renderPlanScript, renderPlanText } from '../../../deploy/plan/render.js';
import { planTarget } from '../../../deploy/plan/target.js';

const P = 'runwatch-prod';
const target = planTarget('production', { project: P, projectNumber: '42', region: 'us-east1' });

const r = (
  kind: ResolvedResource['kind'],
  id: string,
  resource: Record<string, unknown>,
  channelRefs: string[] = [],
): ResolvedResource => ({
  kind,
  id,
  file: `alerts/definitions/monitoring/${kind}/${id}.yaml`,
  resource,
  channelRefs,
});

const FIXTURE: ResolvedMonitoring = {
  channels: [
    r('channels', 'alert-ingest', {
      type: 'pubsub',
      displayName: 'runwatch alert-ingest',
      labels: { topic: `projects/${P}/topics/alert-ingest` },
    }),
  ],
  logMetrics: [
    r('logMetrics', 'sweep-probe-failures', { name: 'runwatch_sweep_probe_failures', filter: 'x' }),
    r('logMetrics', 'sweep-runs', { name: 'runwatch_sweep_runs', filter: 'y' }),
  ],
  sinks: [
    r('sinks', 'service-errors', {
      name: 'runwatch-service-errors',
      destination: `pubsub.googleapis.com/projects/${P}/topics/alert-ingest`,
      filter: 'severity>=ERROR',
    }),
  ],
  policies: [
    r(
      'policies',
      'service-5xx',
      { displayName: 'runwatch 5xx ratio', conditions: [{ displayName: 'a' }] },
      ['alert-ingest'],
    ),
    r(
      'policies',
      'slo-burn',
      {
        displayName: 'runwatch SLO burn',
        conditions: [{ displayName: 'fast' }, { displayName: 'slow' }],
      },
      ['alert-ingest'],
    ),
  ],
};

test('deploy plan monitoring: one apply step per resource, channels, then log metrics, sinks and policies', (t) => {
  const steps = monitoringSteps(FIXTURE, target);
  t.deepEqual(
    steps.map((s) => s.id),
    [
      'apply.monitoring.channels.alert-ingest',
      'apply.monitoring.logMetrics.sweep-probe-failures',
      'apply.monitoring.logMetrics.sweep-runs',
      'apply.monitoring.sinks.service-errors',
      'apply.monitoring.policies.service-5xx',
      'apply.monitoring.policies.slo-burn',
    ],
  );
  for (const s of steps) {
    t.deepEqual(s.argv, [
      'npm',
      'run',
      'deploy:apply',
      '--',
      '--env',
      'production',
      '--project',
      P,
      '--region',
      'us-east1',
      '--service-name',
      target.serviceName,
    ]);
    t.is(s.appliedBy, 'deploy:apply');
  }
  t.is(
    steps[0]?.description,
    `notification channel "runwatch alert-ingest" (pubsub to projects/${P}/topics/alert-ingest) from alerts/definitions/monitoring/channels/alert-ingest.yaml`,
  );
  t.is(
    steps[1]?.description,
    'log metric runwatch_sweep_probe_failures (logging.googleapis.com/user/runwatch_sweep_probe_failures) from alerts/definitions/monitoring/logMetrics/sweep-probe-failures.yaml',
  );
  t.is(
    steps[5]?.description,
    'alert policy "runwatch SLO burn" (2 conditions) to channels alert-ingest, from alerts/definitions/monitoring/policies/slo-burn.yaml',
  );
});

test('deploy plan monitoring: the Pub/Sub channel topic and the sink writer get publisher on their topics', (t) => {
  t.deepEqual(channelTopics(FIXTURE), ['alert-ingest']);
  const [grant] = sinkGrantSteps(FIXTURE, target);
  t.is(grant?.id, 'iam.sink-writer.runwatch-service-errors');
  t.deepEqual(grant?.argv, [
    'gcloud',
    'pubsub',
    'topics',
    'add-iam-policy-binding',
    'alert-ingest',
    '--member={sinkWriter:runwatch-service-errors}',
    '--role=roles/pubsub.publisher',
    `--project=${P}`,
  ]);
  t.is(
    grant?.refs?.['sinkWriter:runwatch-service-errors']?.sh,
    `gcloud logging sinks describe runwatch-service-errors --project=${P} '--format=value(writerIdentity)'`,
  );
});

test('deploy plan monitoring: topicOf reads a topic path and a sink destination, and nothing else', (t) => {
  t.is(topicOf(`projects/${P}/topics/alert-ingest`), 'alert-ingest');
  t.is(topicOf(`pubsub.googleapis.com/projects/${P}/topics/alerts`), 'alerts');
  t.is(topicOf(`bigquery.googleapis.com/projects/${P}/datasets/logs`), null);
});

test('deploy plan monitoring: with the definitions the plan lists them, grants their topics and has no note about them', (t) => {
  const plan = buildPlan(target, { available: true, resolved: FIXTURE });
  t.deepEqual(plan.monitoring, { available: true });
  t.false(plan.notes.some((n) => n.includes('deploy/monitoring')));
  const ids = plan.steps.map((s) => s.id);
  t.true(ids.includes('apply.monitoring.policies.service-5xx'));
  t.true(ids.includes('iam.monitoring-agent.alert-ingest'));
  t.true(ids.includes('iam.sink-writer.runwatch-service-errors'));
  t.true(
    ids.indexOf('apply.monitoring.channels.alert-ingest') >
      ids.indexOf('functions.deploy.alertIngest'),
  );
  const text = renderPlanText(plan);
  t.true(
    text.includes(
      '  - [apply.monitoring.sinks.service-errors] log sink runwatch-service-errors to ',
    ),
  );
  const script = renderPlanScript(plan);
  t.true(
    script.includes(
      `--member="$(gcloud logging sinks describe runwatch-service-errors --project=${P} '--format=value(writerIdentity)')"`,
    ),
  );
  t.is(script.split('npm run deploy:apply -- --env production').length - 1, 1);
});

test('deploy plan: the apply command it prints is one deploy:apply accepts, for the plan target', (t) => {
  const step = buildPlan(target, { available: true, resolved: FIXTURE }).steps.find(
    (s) => s.appliedBy === 'deploy:apply',
  );
  const argv = step?.argv ?? [];
  const parsed = parseApplyArgs(argv.slice(argv.indexOf('--') + 1));
  t.like(parsed, {
    environment: 'production',
    projectId: P,
    region: 'us-east1',
    serviceName: target.serviceName,
  });
});

test('deploy plan: --runbook-base-url reaches the apply step as DEPLOY_APPLY_RUNBOOK_BASE_URL, and none without it', (t) => {
  const base = 'https://example.com/runwatch/';
  const withBase = buildPlan(planTarget('production', { runbookBaseUrl: base }), {
    available: true,
    resolved: FIXTURE,
  });
  const without = buildPlan(planTarget('production'), { available: true, resolved: FIXTURE });
  const applyOf = (p: typeof withBase) => p.steps.find((s) => s.appliedBy === 'deploy:apply');
  t.is(applyOf(withBase)?.env?.DEPLOY_APPLY_RUNBOOK_BASE_URL, base);
  t.false('DEPLOY_APPLY_RUNBOOK_BASE_URL' in (applyOf(without)?.env ?? {}));
  t.is(monitoringContext(withBase.target).runbookBaseUrl, base);
  t.is(monitoringContext(without.target).runbookBaseUrl, undefined);
});
