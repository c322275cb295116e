/**
 * The deploy plan, built as the CLI builds it (monitoring absent, as before the loader is
 * wired): the service step carries the spec's resources as flags, every function is gen2 with
 * its trigger, every topic the code names is in the plan, the Pub/Sub service agent gets its
 * roles, the Scheduler jobs reach the functions with OIDC, and nobody but named members may call
 * the service under AUTH_MODE=iam.
 */
import test from 'ava';
import { parse } from 'yaml';
import { TOPICS, TOPOLOGY } from '../../../alerts/pubsub/topology.js';
import { PlanError } from '../../../deploy/plan/errors.js';
import {
  checkFunctionSettings,
  functionDeployments,
  JOBS,
} from '../../../deploy/plan/functions.js';
import { buildPlan } from '../../../deploy/plan/plan.js';
import { renderPlanJson, renderPlanText } from '../../../deploy/plan/render.js';
import { planTarget } from '../../../deploy/plan/target.js';
import type { Plan, PlanStep } from '../../../deploy/plan/types.js';
import { DEPLOY_PROFILES } from '../../../deploy/spec/profiles.js';
import { deployServiceYaml } from '../../../deploy/spec/render.js';
import { resolveService } from '../../../deploy/spec/resolve.js';
import { ENVIRONMENTS, type Environment } from '../../../service/config/index.js';

const NO_MONITORING = { available: false, reason: 'not wired in this test' } as const;

const target = (env: Environment) =>
  planTarget(env, {
    project: 'runwatch-prod',
    projectNumber: '123456789012',
    region: 'europe-west1',
  });
const planOf = (env: Environment): Plan => buildPlan(target(env), NO_MONITORING);
const step = (plan: Plan, id: string): PlanStep => {
  const s = plan.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id}`);
  return s;
};
const flag = (argv: readonly string[], name: string): string | undefined =>
  argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

test('deploy plan: production service step has --memory=2Gi --cpu=2 --min-instances=1 --max-instances=10 --concurrency=80 --timeout=300', (t) => {
  const equivalent = step(planOf('production'), 'service.deploy').equivalent ?? [];
  for (const f of [
    '--memory=2Gi',
    '--cpu=2',
    '--min-instances=1',
    '--max-instances=10',
    '--concurrency=80',
    '--timeout=300',
    '--execution-environment=gen2',
    '--no-cpu-throttling',
    '--cpu-boost',
    '--no-allow-unauthenticated',
  ]) {
    t.true(equivalent.includes(f), f);
  }
});

for (const env of ENVIRONMENTS) {
  test(`deploy plan: ${env}'s service flags say what its rendered spec says`, (t) => {
    const plan = planOf(env);
    const deploy = step(plan, 'service.deploy');
    const render = step(plan, 'service.render');
    t.deepEqual(deploy.argv.slice(0, 5), [
      'gcloud',
      'run',
      'services',
      'replace',
      render.argv[render.argv.indexOf('--out') + 1],
    ]);
    const image = render.argv[render.argv.indexOf('--image') + 1] as string;
    const doc = parse(
      deployServiceYaml(env, {
        project: plan.target.project,
        image,
        serviceAccount: plan.target.accounts.service,
      }),
    );
    const c = doc.spec.template.spec.containers[0];
    const a = doc.spec.template.metadata.annotations;
    const eq = deploy.equivalent ?? [];
    t.is(flag(eq, '--image'), c.image);
    t.is(flag(eq, '--memory'), c.resources.limits.memory);
    t.is(flag(eq, '--cpu'), c.resources.limits.cpu);
    t.is(flag(eq, '--min-instances'), a['autoscaling.knative.dev/minScale']);
    t.is(flag(eq, '--max-instances'), a['autoscaling.knative.dev/maxScale']);
    t.is(Number(flag(eq, '--concurrency')), doc.spec.template.spec.containerConcurrency);
    t.is(Number(flag(eq, '--timeout')), doc.spec.template.spec.timeoutSeconds);
    t.is(flag(eq, '--service-account'), doc.spec.template.spec.serviceAccountName);
    t.is(
      flag(eq, '--set-env-vars'),
      c.env.map((e: { name: string; value: string }) => `${e.name}=${e.value}`).join(','),
    );
  });

  test(`deploy plan: ${env} deploys every function gen2 on Node 20, HTTP ones IAM-only, Pub/Sub ones retried`, (t) => {
    const plan = planOf(env);
    const deploys = plan.steps.filter((s) => s.id.startsWith('functions.deploy.'));
    t.deepEqual(
      deploys.map((s) => s.id),
      ['healthSweep', 'healthSweepEvent', 'alertIngest', 'alertTick'].map(
        (f) => `functions.deploy.${f}`,
      ),
    );
    for (const s of deploys) {
      t.deepEqual(s.argv.slice(0, 3), ['gcloud', 'functions', 'deploy']);
      t.true(s.argv.includes('--gen2'), s.id);
      t.is(flag(s.argv, '--runtime'), 'nodejs20');
      t.is(flag(s.argv, '--service-account'), plan.target.accounts.functions);
      t.is(flag(s.argv, '--entry-point'), s.id.split('.').pop());
      t.true(
        flag(s.argv, '--set-secrets')?.includes(
          `STORE_URL=${DEPLOY_PROFILES[env].storeUrlSecret}:latest`,
        ),
      );
      const topic = flag(s.argv, '--trigger-topic');
      if (topic === undefined) {
        t.true(
          s.argv.includes('--trigger-http') && s.argv.includes('--no-allow-unauthenticated'),
          s.id,
        );
      } else {
        t.true(s.argv.includes('--retry'), s.id);
        t.is(flag(s.argv, '--trigger-service-account'), plan.target.accounts.invoker);
      }
    }
    t.is(flag(step(plan, 'functions.deploy.alertIngest').argv, '--trigger-topic'), TOPICS.ingest);
    t.is(
      flag(step(plan, 'functions.deploy.healthSweepEvent').argv, '--trigger-topic'),
      'health-sweeps',
    );
  });

  test(`deploy plan: ${env} lists every topic and subscription of the topology the code imports`, (t) => {
    const ids = new Set(planOf(env).steps.map((s) => s.id));
    for (const topic of Object.values(TOPICS))
      t.true(ids.has(`apply.pubsub.topic.${topic}`), topic);
    for (const schema of TOPOLOGY.schemas) t.true(ids.has(`apply.pubsub.schema.${schema.name}`));
    for (const s of Object.values(TOPOLOGY.subscriptions)) {
      t.true(
        ids.has(
          s.push === null
            ? `apply.pubsub.subscription.${s.name}`
            : `apply.pubsub.trigger-subscription.${s.push.endpoint}`,
        ),
        s.name,
      );
    }
    // The push subscription is the local stack's: deployed, Eventarc's trigger subscription takes its place.
    t.false(ids.has(`apply.pubsub.subscription.${TOPOLOGY.subscriptions.ingestPush.name}`));
  });

  test(`deploy plan: ${env} gives the Pub/Sub service agent publisher on each dead-letter topic and subscriber where it dead-letters`, (t) => {
    const plan = planOf(env);
    const agent = `serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const grants = plan.steps.filter((s) => flag(s.argv, '--member') === agent);
    const dlts = Object.values(TOPOLOGY.topics).flatMap((x) =>
      x.deadLetterTopic === null ? [] : [x.deadLetterTopic],
    );
    for (const dlt of dlts) {
      t.true(
        grants.some(
          (g) =>
            g.argv.includes(dlt) &&
            g.argv.includes('topics') &&
            flag(g.argv, '--role') === 'roles/pubsub.publisher',
        ),
        dlt,
      );
    }
    const subscribe = grants.filter((g) => flag(g.argv, '--role') === 'roles/pubsub.subscriber');
    t.is(subscribe.length, 1);
    t.is(subscribe[0]?.argv[4], '{ingestTriggerSubscription}');
    t.regex(
      subscribe[0]?.refs?.ingestTriggerSubscription?.sh ?? '',
      /gcloud eventarc triggers describe .*alert-ingest/,
    );
  });

  test(`deploy plan: ${env}'s Scheduler jobs POST the HTTP functions with OIDC tokens the functions accept`, (t) => {
    const plan = planOf(env);
    const sweep = step(plan, `scheduler.${JOBS.sweep}`);
    const tick = step(plan, `scheduler.${JOBS.tick}`);
    const sweepFn = step(plan, 'functions.deploy.healthSweep').argv;
    const tickFn = step(plan, 'functions.deploy.alertTick').argv;
    for (const job of [sweep, tick]) {
      t.is(flag(job.argv, '--schedule'), '* * * * *');
      t.is(flag(job.argv, '--oidc-service-account-email'), plan.target.accounts.invoker);
      t.is(flag(job.argv, '--oidc-token-audience'), flag(job.argv, '--uri'));
      t.deepEqual(job.update?.slice(5), job.argv.slice(5));
    }
    t.is(
      flag(sweep.argv, '--uri'),
      'https://europe-west1-runwatch-prod.cloudfunctions.net/health-sweep',
    );
    const vars = new Map(
      (flag(sweepFn, '--set-env-vars') ?? '')
        .split(',')
        .map((kv) => kv.split('=', 2) as [string, string]),
    );
    t.is(vars.get('SWEEP_AUDIENCE'), flag(sweep.argv, '--oidc-token-audience'));
    t.is(vars.get('SWEEP_INVOKER'), flag(sweep.argv, '--oidc-service-account-email'));
    t.true(flag(tickFn, '--set-env-vars')?.includes(`HEARTBEAT_JOB=${JOBS.sweep}`));
    t.is(
      flag(tick.argv, '--uri'),
      'https://europe-west1-runwatch-prod.cloudfunctions.net/alert-tick',
    );
    const timeout = (argv: readonly string[]) => Number.parseInt(flag(argv, '--timeout') ?? '', 10);
    t.true(Number.parseInt(flag(sweep.argv, '--attempt-deadline') ?? '', 10) > timeout(sweepFn));
  });

  test(`deploy plan: ${env}'s functions run with NODE_ENV=production, so a malformed body's 400 carries no stack trace`, (t) => {
    const plan = planOf(env);
    for (const f of functionDeployments(target(env))) {
      const vars = (
        flag(step(plan, `functions.deploy.${f.entryPoint}`).argv, '--set-env-vars') ?? ''
      ).split(',');
      t.true(vars.includes('NODE_ENV=production'), f.entryPoint);
    }
  });

  test(`deploy plan: ${env}'s function settings load as each function will load them on Cloud Run`, (t) => {
    for (const f of functionDeployments(target(env))) t.notThrows(() => checkFunctionSettings(f));
  });
}

test('deploy plan: under AUTH_MODE=iam only named members may call the service, never allUsers', (t) => {
  const plan = buildPlan(
    planTarget('production', {
      project: 'runwatch-prod',
      invokers: ['group:ml-clients@example.com'],
    }),
    NO_MONITORING,
  );
  const members = plan.steps
    .filter((s) => s.id.startsWith('iam.service-invoker.'))
    .map((s) => flag(s.argv, '--member'));
  t.deepEqual(members, [
    `serviceAccount:${plan.target.accounts.functions}`,
    'group:ml-clients@example.com',
  ]);
  t.false(
    plan.steps.some((s) =>
      s.argv.some((a) => a.includes('allUsers') || a.includes('allAuthenticatedUsers')),
    ),
  );
});

test('deploy plan: under AUTH_MODE=api-key (staging) anyone may reach the service, which checks X-API-Key itself', (t) => {
  const members = planOf('staging')
    .steps.filter((s) => s.id.startsWith('iam.service-invoker.'))
    .map((s) => flag(s.argv, '--member'));
  t.deepEqual(members, ['allUsers']);
  t.is(resolveService(DEPLOY_PROFILES.staging, 'p').config.auth.mode, 'api-key');
});

test('deploy plan: the smoke test sends the client key only where the service checks one', (t) => {
  t.is(step(planOf('production'), 'service.smoke').argv.at(-1), '');
  t.is(
    step(planOf('staging'), 'service.smoke').argv.at(-1),
    DEPLOY_PROFILES.staging.keySecrets.apiKeys,
  );
  t.is(
    step(planOf('production'), 'service.smoke').argv[2],
    'https://candidate---runwatch-123456789012.europe-west1.run.app',
  );
});

test("deploy plan: the smoke test calls the candidate's tag URL with a token whose audience is the service's own run.app URL", (t) => {
  const argv = step(planOf('production'), 'service.smoke').argv;
  t.deepEqual(argv.slice(0, 5), [
    'bash',
    'deploy/plan/smoke.sh',
    'https://candidate---runwatch-123456789012.europe-west1.run.app',
    'https://runwatch-123456789012.europe-west1.run.app',
    'runwatch-prod',
  ]);
});

test('deploy plan: a function that would refuse its settings on Cloud Run is PLAN_ERR_FUNCTION_CONFIG', (t) => {
  const sweep = functionDeployments(target('production'))[0];
  if (sweep === undefined) throw new Error('no functions');
  const e = t.throws(
    () =>
      checkFunctionSettings({ ...sweep, env: sweep.env.filter(([k]) => k !== 'SWEEP_INVOKER') }),
    { instanceOf: PlanError },
  );
  t.is(e.code, 'PLAN_ERR_FUNCTION_CONFIG');
  t.regex(
    e.message,
    /healthSweep \(health-sweep\) refuses its deployed settings:\n {2}SWEEP_INVOKER=\(unset\): expected the service-account email/,
  );
});

test('deploy plan: without the monitoring loader the plan says so and lists no monitoring resource', (t) => {
  const plan = planOf('production');
  t.deepEqual(plan.monitoring, NO_MONITORING);
  t.true(plan.notes.includes(NO_MONITORING.reason));
  t.false(plan.steps.some((s) => s.id.startsWith('apply.monitoring.')));
});

test('deploy plan: the text lists the apply command once, then one line per resource it reconciles', (t) => {
  const text = renderPlanText(planOf('production'));
  const command = 'GOOGLE_CLOUD_PROJECT=runwatch-prod npm run deploy:apply -- --env production';
  t.is(text.split(command).length - 1, 1);
  t.true(
    text.includes(
      '  - [apply.pubsub.topic.alert-ingest] Pub/Sub topic alert-ingest (dead letters to alert-ingest-dead-letter)',
    ),
  );
  t.true(
    text.includes(
      "gcloud scheduler jobs create http health-sweep --location=europe-west1 --project=runwatch-prod '--schedule=* * * * *'",
    ),
  );
});

test('deploy plan: --json is the plan itself, steps with id, description and argv', (t) => {
  const plan = planOf('staging');
  const json = JSON.parse(renderPlanJson(plan));
  t.deepEqual(json, JSON.parse(JSON.stringify(plan)));
  for (const s of json.steps) {
    t.is(typeof s.id, 'string');
    t.is(typeof s.description, 'string');
    t.true(Array.isArray(s.argv) && s.argv.length > 0);
  }
});
