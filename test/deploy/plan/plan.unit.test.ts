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
import { type Plan, type PlanStep, SECTIONS } from '../../../deploy/plan/types.js';
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

/** `gcloud GROUP … add-iam-policy-binding RESOURCE --member=M --role=R`, as data. */
interface Grant {
  readonly step: PlanStep;
  readonly on: string;
  readonly resource: string;
  readonly member: string;
  readonly role: string;
}
const grants = (steps: readonly PlanStep[]): Grant[] =>
  steps.flatMap((s) => {
    const at = s.argv.indexOf('add-iam-policy-binding');
    if (s.argv[0] !== 'gcloud' || at < 0) return [];
    return [
      {
        step: s,
        on: s.argv.slice(1, at).join(' '),
        resource: s.argv[at + 1] as string,
        member: flag(s.argv, '--member') ?? '',
        role: flag(s.argv, '--role') ?? '',
      },
    ];
  });
const inSections = (plan: Plan, from: string, to?: string): PlanStep[] =>
  plan.steps.filter((s) => {
    const i = (SECTIONS as readonly string[]).indexOf(s.section);
    return (
      i >= (SECTIONS as readonly string[]).indexOf(from) &&
      (to === undefined || i <= (SECTIONS as readonly string[]).indexOf(to))
    );
  });

/** The deployer's project-level roles: each one a step of the pipeline needs (docs/deploy.md). */
const DEPLOYER_PROJECT_ROLES = [
  'roles/run.admin',
  'roles/cloudfunctions.developer',
  'roles/eventarc.admin',
  'roles/pubsub.admin',
  'roles/cloudscheduler.admin',
  'roles/logging.configWriter',
  'roles/monitoring.alertPolicyEditor',
  'roles/monitoring.notificationChannelEditor',
  'roles/logging.logWriter',
];
/** Roles that let their holder change who may do what, or do anything: never the pipeline's. */
const NEVER = [
  'roles/owner',
  'roles/editor',
  'roles/resourcemanager.projectIamAdmin',
  'roles/iam.securityAdmin',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.serviceAccountKeyAdmin',
  'roles/iam.roleAdmin',
  'roles/secretmanager.admin',
];

for (const env of ENVIRONMENTS) {
  test(`deploy plan: ${env}: nothing the pipeline runs (image onwards) changes the project's IAM policy; the invoker's project-level role is granted once, in the setup`, (t) => {
    const plan = planOf(env);
    const projectLevel = grants(inSections(plan, 'image')).filter((g) => g.on === 'projects');
    t.deepEqual(
      projectLevel.map((g) => g.step.id),
      [],
    );
    const receiver = grants(plan.steps).find((g) => g.role === 'roles/eventarc.eventReceiver');
    t.is(receiver?.step.section, 'accounts');
    t.is(receiver?.on, 'projects');
    t.is(receiver?.member, `serviceAccount:${plan.target.accounts.invoker}`);
  });

  test(`deploy plan: ${env}: the deployer section grants runwatch-deployer exactly its project roles, each a predefined roles/x.y, none that administers IAM`, (t) => {
    const plan = planOf(env);
    const deployer = `serviceAccount:${plan.target.accounts.deployer}`;
    t.is(plan.target.accounts.deployer, 'runwatch-deployer@runwatch-prod.iam.gserviceaccount.com');
    const section = plan.steps.filter((s) => s.section === 'deployer');
    t.true(section.length > 0);
    const all = grants(section);
    t.true(all.length > 0);
    for (const g of all) {
      t.regex(g.role, /^roles\/[a-z]+(\.[A-Za-z]+)+$/, g.step.id);
      t.false(NEVER.includes(g.role), `${g.step.id}: ${g.role}`);
    }
    t.deepEqual(
      all.filter((g) => g.on === 'projects' && g.member === deployer).map((g) => g.role),
      DEPLOYER_PROJECT_ROLES,
    );
    t.deepEqual(
      all
        .filter((g) => g.on === 'projects' && g.member !== deployer)
        .map((g) => `${g.member} ${g.role}`),
      [`serviceAccount:${plan.target.accounts.builder} roles/cloudbuild.builds.builder`],
    );
    // Every grant in the plan is on one resource or one of these project roles; none at project
    // level lets its holder act as, mint tokens for, or read the secrets of, any account.
    for (const g of grants(plan.steps).filter((x) => x.on === 'projects')) {
      t.false(
        [
          'roles/iam.serviceAccountUser',
          'roles/iam.serviceAccountTokenCreator',
          'roles/secretmanager.secretAccessor',
        ].includes(g.role),
        `${g.step.id}: ${g.role} project-wide`,
      );
    }
    t.false(
      plan.steps.some((s) => s.argv.some((a) => a.includes('@cloudbuild.gserviceaccount.com'))),
    );
  });

  test(`deploy plan: ${env}: the deployer may act as exactly the accounts the pipeline deploys with, and mint tokens only for itself`, (t) => {
    const plan = planOf(env);
    const deployer = `serviceAccount:${plan.target.accounts.deployer}`;
    const EMAIL_FLAGS = [
      '--service-account',
      '--trigger-service-account',
      '--oidc-service-account-email',
    ];
    const used = new Set<string>();
    for (const s of inSections(plan, 'image')) {
      for (const f of EMAIL_FLAGS) {
        const v = flag(s.argv, f);
        if (v !== undefined) used.add(v);
      }
      const build = flag(s.argv, '--build-service-account');
      if (build !== undefined) used.add(build.split('/serviceAccounts/')[1] ?? build);
      const i = s.argv.indexOf('--service-account');
      if (i > 0 && s.argv[i + 1] !== undefined) used.add(s.argv[i + 1] as string);
    }
    t.deepEqual(
      [...used].sort(),
      [
        plan.target.accounts.builder,
        plan.target.accounts.functions,
        plan.target.accounts.invoker,
        plan.target.accounts.service,
      ].sort(),
    );
    const actsAs = grants(plan.steps).filter((g) => g.role === 'roles/iam.serviceAccountUser');
    t.true(actsAs.every((g) => g.on === 'iam service-accounts' && g.member === deployer));
    t.deepEqual(actsAs.map((g) => g.resource).sort(), [...used].sort());
    const tokens = grants(plan.steps).filter(
      (g) => g.role === 'roles/iam.serviceAccountTokenCreator',
    );
    t.deepEqual(
      tokens.map((g) => [g.on, g.resource, g.member]),
      [['iam service-accounts', plan.target.accounts.deployer, deployer]],
    );
  });

  test(`deploy plan: ${env}: the deployer reads only the secret the smoke test sends, only where it sends one, and pushes only to the runwatch repository`, (t) => {
    const plan = planOf(env);
    const deployer = `serviceAccount:${plan.target.accounts.deployer}`;
    const reads = grants(plan.steps).filter(
      (g) => g.member === deployer && g.role === 'roles/secretmanager.secretAccessor',
    );
    const smoke = step(plan, 'service.smoke').argv.at(-1) as string;
    t.deepEqual(
      reads.map((g) => [g.on, g.resource]),
      smoke === '' ? [] : [['secrets', smoke]],
    );
    t.is(smoke === '', env === 'production');
    const pushes = grants(plan.steps).filter(
      (g) => g.member === deployer && g.role === 'roles/artifactregistry.writer',
    );
    t.deepEqual(
      pushes.map((g) => [g.on, g.resource]),
      [['artifacts repositories', plan.target.repository]],
    );
    const source = grants(plan.steps).filter(
      (g) => g.member === deployer && g.role === 'roles/storage.objectViewer',
    );
    t.deepEqual(
      source.map((g) => [g.on, g.resource]),
      [['storage buckets', 'gs://runwatch-prod_cloudbuild']],
    );
    t.is(step(plan, 'deployer.source-bucket').section, 'deployer');
  });

  test(`deploy plan: ${env}: every function is built as runwatch-builder, not the project's default build account`, (t) => {
    const plan = planOf(env);
    for (const s of plan.steps.filter((x) => x.id.startsWith('functions.deploy.'))) {
      t.is(
        flag(s.argv, '--build-service-account'),
        `projects/runwatch-prod/serviceAccounts/${plan.target.accounts.builder}`,
        s.id,
      );
    }
  });

  test(`deploy plan: ${env}: the setup enables the API behind every gcloud command group the plan runs, and the IAM credentials API`, (t) => {
    const plan = planOf(env);
    const apis = step(plan, 'apis.enable').argv.filter((a) => a.endsWith('.googleapis.com'));
    const API_OF: Readonly<Record<string, string>> = {
      services: 'serviceusage.googleapis.com',
      projects: 'cloudresourcemanager.googleapis.com',
      iam: 'iam.googleapis.com',
      secrets: 'secretmanager.googleapis.com',
      artifacts: 'artifactregistry.googleapis.com',
      storage: 'storage.googleapis.com',
      run: 'run.googleapis.com',
      functions: 'cloudfunctions.googleapis.com',
      pubsub: 'pubsub.googleapis.com',
      scheduler: 'cloudscheduler.googleapis.com',
      logging: 'logging.googleapis.com',
      eventarc: 'eventarc.googleapis.com',
    };
    const groups = new Set(
      plan.steps
        .flatMap((s) => [s.argv, ...(s.exists === undefined ? [] : [s.exists])])
        .flatMap((argv) => (argv[0] === 'gcloud' && argv[1] !== 'auth' ? [argv[1] as string] : [])),
    );
    for (const g of groups) {
      const api = API_OF[g];
      t.not(api, undefined, `gcloud ${g}: which API?`);
      // Service Usage is on in every project: it is what enables the others.
      if (api !== undefined && g !== 'services') t.true(apis.includes(api), `gcloud ${g}: ${api}`);
    }
    t.true(groups.has('projects'));
    // The smoke test mints an identity token as the deployer inside Cloud Build (IAM Service
    // Account Credentials); the apply step calls Monitoring.
    for (const api of ['iamcredentials.googleapis.com', 'monitoring.googleapis.com'])
      t.true(apis.includes(api), api);
  });
}
