/**
 * cloudbuild.yaml against the plan: its steps run in the order the issue fixes, each deploy step
 * is the plan's step of the same place with the same arguments (for every environment, with the
 * build's substitutions as the plan's target), on an image that has the step's program, and the
 * image is built from the root Dockerfile with the repository as its context; and the build runs
 * as the deployer account the plan's `deployer` section grants its roles to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { buildPlan } from '../../deploy/plan/plan.js';
import { smokeApiKeySecret } from '../../deploy/plan/service.js';
import { planTarget } from '../../deploy/plan/target.js';
import { SECTIONS } from '../../deploy/plan/types.js';
import { DEPLOY_PROFILES } from '../../deploy/spec/profiles.js';
import { resolveService } from '../../deploy/spec/resolve.js';
import { ENVIRONMENTS, type Environment } from '../../service/config/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface BuildStep {
  readonly id: string;
  readonly name: string;
  readonly entrypoint?: string;
  readonly args: readonly string[];
  readonly env?: readonly string[];
}
interface BuildFile {
  readonly substitutions: Record<string, string>;
  readonly serviceAccount?: string;
  readonly options?: { readonly logging?: string };
  readonly steps: readonly BuildStep[];
}

const build = parse(readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8')) as BuildFile;

const IMAGES = {
  node: 'node:20',
  docker: 'gcr.io/cloud-builders/docker',
  gcloud: 'gcr.io/google.com/cloudsdktool/cloud-sdk:slim',
} as const;

/** The program each image starts when the step names no entrypoint. */
const DEFAULT_ENTRYPOINT: Readonly<Record<string, string>> = { [IMAGES.docker]: 'docker' };

/** `${NAME}`, a user substitution as the build file writes it. */
const sub = (name: string): string => `\${${name}}`;

/** The build's own values, as the plan's target: the plan then prints what the build runs. */
const TOKENS = {
  project: '$PROJECT_ID',
  projectNumber: '$PROJECT_NUMBER',
  region: sub('_REGION'),
  serviceName: sub('_SERVICE'),
  repository: sub('_REPOSITORY'),
  imageTag: '$BUILD_ID',
  runbookBaseUrl: sub('_RUNBOOK_BASE_URL'),
};

/** A step's command line for one environment: substituted, `$$` unescaped, built CLIs as npm scripts. */
function commandOf(s: BuildStep, env: Environment): string[] {
  const smoke = smokeApiKeySecret(
    planTarget(env),
    resolveService(DEPLOY_PROFILES[env], 'p').config,
  );
  const program = s.entrypoint ?? DEFAULT_ENTRYPOINT[s.name];
  if (program === undefined) throw new Error(`step ${s.id}: no entrypoint`);
  const argv = [program, ...s.args].map((a) =>
    a
      .replaceAll(sub('_ENV'), env)
      .replaceAll(sub('_SMOKE_API_KEY_SECRET'), smoke)
      .replaceAll('$$', '$'),
  );
  const cli = /^build\/deploy\/cli\/([a-z-]+)\.js$/.exec(argv[1] ?? '');
  return argv[0] === 'node' && cli !== null
    ? ['npm', 'run', `deploy:${cli[1]}`, '--', ...argv.slice(2)]
    : argv;
}

const ids = build.steps.map((s) => s.id);

test('cloudbuild: steps run install, lint, test, build and push the image, deploy a tagged revision, smoke-test, migrate traffic, deploy the functions, apply the rest', (t) => {
  const order = [
    'install',
    'lint',
    'test',
    'build-image',
    'push-image',
    'deploy-candidate',
    'smoke-test',
    'migrate-traffic',
    'deploy-alertIngest',
    'apply',
    'apply-rest',
  ];
  const at = order.map((id) => ids.indexOf(id));
  t.false(at.includes(-1), `missing: ${order.filter((_, i) => at[i] === -1).join(', ')}`);
  t.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
  );
  const functions = ids.filter((id) => id.startsWith('deploy-') && id !== 'deploy-candidate');
  t.true(functions.every((id) => ids.indexOf(id) > ids.indexOf('migrate-traffic')));
  t.true(functions.every((id) => ids.indexOf(id) < ids.indexOf('apply')));
  t.is(new Set(ids).size, ids.length);
});

test('cloudbuild: the image is built from the root Dockerfile with the repository as context, for linux/amd64', (t) => {
  const s = build.steps.find((x) => x.id === 'build-image');
  t.is(s?.name, IMAGES.docker);
  t.is(s?.args.at(-1), '.');
  t.is(s?.args[s.args.indexOf('-f') + 1], 'Dockerfile');
  t.true(s?.args.includes('--platform=linux/amd64'));
});

test('cloudbuild: every substitution a step uses is declared, with the project, region, environment and service among them', (t) => {
  const used = new Set(
    build.steps.flatMap((s) =>
      [...s.args, ...(s.env ?? [])].flatMap((a) =>
        [...a.matchAll(/\$\{?(_[A-Z0-9_]+)\}?/g)].map((m) => m[1]),
      ),
    ),
  );
  t.deepEqual([...used].sort(), Object.keys(build.substitutions).sort());
  for (const key of ['_ENV', '_REGION', '_SERVICE']) t.true(key in build.substitutions, key);
  t.true((ENVIRONMENTS as readonly string[]).includes(build.substitutions._ENV as string));
  const builtins = new Set(
    build.steps.flatMap((s) =>
      [...s.args, ...(s.env ?? [])].flatMap((a) =>
        [...a.replaceAll('$$', '').matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map((m) => m[1]),
      ),
    ),
  );
  t.deepEqual([...builtins].sort(), ['BUILD_ID', 'PROJECT_ID', 'PROJECT_NUMBER']);
});

test("cloudbuild: the default substitutions agree with each other (the default environment's smoke key)", (t) => {
  const env = build.substitutions._ENV as Environment;
  t.is(
    build.substitutions._SMOKE_API_KEY_SECRET,
    smokeApiKeySecret(planTarget(env), resolveService(DEPLOY_PROFILES[env], 'p').config),
  );
  t.is(build.substitutions._SERVICE, DEPLOY_PROFILES[env].serviceName);
});

test("cloudbuild: the build runs as runwatch-deployer, the account the plan's deployer section grants, with its logs in Cloud Logging only (a user-specified account requires it)", (t) => {
  for (const env of ENVIRONMENTS) {
    const plan = buildPlan(planTarget(env, TOKENS), { available: false, reason: 'unused' });
    t.is(
      build.serviceAccount,
      `projects/$PROJECT_ID/serviceAccounts/${plan.target.accounts.deployer}`,
    );
    const granted = plan.steps.filter(
      (s) =>
        s.section === 'deployer' &&
        s.argv.includes(`--member=serviceAccount:${plan.target.accounts.deployer}`),
    );
    t.true(granted.length > 0, env);
  }
  t.is(build.options?.logging, 'CLOUD_LOGGING_ONLY');
});

for (const env of ENVIRONMENTS) {
  test(`cloudbuild: for ${env}, each deploy step is the plan's step in the same place, same image program and arguments`, (t) => {
    const plan = buildPlan(planTarget(env, TOKENS), { available: false, reason: 'unused' });
    const deploySections = ['image', 'service', 'functions'];
    const planned = plan.steps.filter((s) => deploySections.includes(s.section));
    const apply = plan.steps.find((s) => s.appliedBy === 'deploy:apply');
    if (apply === undefined) throw new Error('no apply step');
    const from = ids.indexOf('build-image');
    const to = ids.indexOf('apply');
    const steps = build.steps.slice(from, to + 1);
    t.is(steps.length, planned.length + 1);
    for (const [i, p] of [...planned, apply].entries()) {
      const s = steps[i] as BuildStep;
      t.deepEqual(commandOf(s, env), [...p.argv], `${s.id} is ${p.id}`);
      const program = p.argv[0];
      const image =
        program === 'docker' ? IMAGES.docker : program === 'npm' ? IMAGES.node : IMAGES.gcloud;
      t.is(
        s.name,
        image,
        `${s.id} runs on an image with ${program === 'bash' ? 'gcloud' : program}`,
      );
    }
    const applyStep = steps.at(-1) as BuildStep;
    t.deepEqual(
      Object.fromEntries((applyStep.env ?? []).map((e) => e.split('=', 2))),
      apply.env ?? {},
    );
  });

  test(`cloudbuild: for ${env}, the rest is the plan's sections after apply, for the build's project, region and service`, (t) => {
    const render = build.steps.find((s) => s.id === 'render-rest') as BuildStep;
    const run = build.steps.find((s) => s.id === 'apply-rest') as BuildStep;
    const argv = commandOf(render, env);
    const value = (name: string) => argv[argv.indexOf(name) + 1];
    t.deepEqual(argv.slice(0, 4), ['npm', 'run', 'deploy:plan', '--']);
    t.is(value('--env'), env);
    t.is(value('--project'), TOKENS.project);
    t.is(value('--project-number'), TOKENS.projectNumber);
    t.is(value('--region'), TOKENS.region);
    t.is(value('--service'), TOKENS.serviceName);
    t.is(value('--format'), 'sh');
    t.deepEqual(value('--only')?.split(','), SECTIONS.slice(SECTIONS.indexOf('apply') + 1));
    t.is(run.name, IMAGES.gcloud);
    t.deepEqual(commandOf(run, env), ['bash', value('--out')]);
  });
}
