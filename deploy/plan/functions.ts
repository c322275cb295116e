/**
 * The four functions as deployed (gen2, Node 20), each from its own packaged directory
 * (`npm run deploy:package`), as its own identity, built by Cloud Build as runwatch-builder
 * (deployer.ts), with the settings functions/shared/config.ts
 * reads; every function's settings are loaded by that module, as on Cloud Run, before a step is
 * planned, so a deploy never ships a function that refuses to start.
 *
 * | function | trigger | who calls it |
 * |---|---|---|
 * | healthSweep | HTTP, `--no-allow-unauthenticated` | the `health-sweep` Scheduler job (OIDC); the function also checks the token (SWEEP_AUDIENCE, SWEEP_INVOKER) |
 * | healthSweepEvent | Eventarc Pub/Sub trigger on `health-sweeps`, `--retry` | a Scheduler Pub/Sub target, when one is wanted instead of the HTTP job (none is created: two schedules would sweep twice) |
 * | alertIngest | Eventarc Pub/Sub trigger on `alert-ingest`, `--retry` | Eventarc, binary-mode CloudEvents; the push subscription `alert-ingest-push` is the local stack's only |
 * | alertTick | HTTP, `--no-allow-unauthenticated` | the `alert-tick` Scheduler job (OIDC), and operators with roles/run.invoker (admin API), so Cloud Run IAM is its guard |
 *
 * The trend store is PostgreSQL (STORE_URL from Secret Manager; SQLite is refused on Cloud Run).
 */
import { TOPICS } from '../../alerts/pubsub/topology.js';
import { type FunctionRole, loadFunctionsConfig } from '../../functions/shared/config.js';
import { ConfigError, formatProblem } from '../../lib/config/problems.js';
import { DEPLOY_PROFILES, keyFilePath } from '../spec/profiles.js';
import { gcloudList } from '../spec/run-deploy-flags.js';
import { SWEEP_TARGETS_FILE } from '../spec/sweep-targets.js';
import { functionUrl } from '../spec/urls.js';
import { builderResource } from './deployer.js';
import { PlanError } from './errors.js';
import { at, WORK_DIR } from './target.js';
import type { PlanStep, PlanTarget } from './types.js';

/** healthSweepEvent's topic: Cloud Scheduler's Pub/Sub target publishes here (gcp-formats.md §8). */
export const SWEEP_EVENTS_TOPIC = 'health-sweeps';

/** The Scheduler job names; the heartbeat (HEARTBEAT_JOB) watches the sweep's. */
export const JOBS = { sweep: 'health-sweep', tick: 'alert-tick' } as const;

export interface FunctionDeployment {
  /** The deployed name (lower case: it names the function's Cloud Run service too). */
  readonly name: string;
  /** The registered target in functions/index.ts. */
  readonly entryPoint: string;
  /** null: HTTP; else the Pub/Sub topic of its Eventarc trigger. */
  readonly topic: string | null;
  readonly role: FunctionRole;
  readonly memory: string;
  readonly timeoutSeconds: number;
  readonly maxInstances: number;
  readonly env: readonly (readonly [string, string])[];
  /** gcloud `--set-secrets` items: `VARIABLE=SECRET:VERSION` or `/mount/path=SECRET:VERSION`. */
  readonly secrets: readonly string[];
  /** Carries the deployed sweep targets file. */
  readonly sweeps: boolean;
}

/** Where `npm run deploy:package -- --out DIR TARGET` writes: one directory per target in DIR. */
export const PACKAGES_DIR = `${WORK_DIR}/functions`;

/** A packaged function's directory. */
export const packagedDir = (f: Pick<FunctionDeployment, 'entryPoint'>): string =>
  `${PACKAGES_DIR}/${f.entryPoint}`;

/** Stands in for the store URL while the settings are checked; never deployed. */
const STAND_IN_STORE_URL = 'postgres://stand-in@127.0.0.1:5432/runwatch';

export function functionDeployments(t: PlanTarget): FunctionDeployment[] {
  const profile = DEPLOY_PROFILES[t.environment];
  const store = `STORE_URL=${profile.storeUrlSecret}:latest`;
  const adminKey =
    profile.keySecrets.adminApiKeys === undefined
      ? []
      : [`${keyFilePath('adminApiKeys')}=${profile.keySecrets.adminApiKeys}:latest`];
  // NODE_ENV=production: the Functions Framework's Express answers a body it cannot parse (bad
  // JSON, too large) before our handler runs, and outside production it sends the stack trace.
  const base: [string, string][] = [
    ['GOOGLE_CLOUD_PROJECT', t.project],
    ['NODE_ENV', 'production'],
  ];
  const targetsFile: [string, string] = ['SWEEP_TARGETS_FILE', SWEEP_TARGETS_FILE];
  const guarded: [string, string] = ['SWEEP_IAM_GUARDED', 'true'];
  const sweepUrl = functionUrl(JOBS.sweep, t.region, t.project);
  return [
    {
      name: 'health-sweep',
      entryPoint: 'healthSweep',
      topic: null,
      role: 'sweep',
      memory: '512Mi',
      timeoutSeconds: 120,
      maxInstances: 2,
      env: [
        ...base,
        targetsFile,
        ['SWEEP_AUDIENCE', sweepUrl],
        ['SWEEP_INVOKER', t.accounts.invoker],
      ],
      secrets: [store, ...adminKey],
      sweeps: true,
    },
    {
      name: 'health-sweep-event',
      entryPoint: 'healthSweepEvent',
      topic: SWEEP_EVENTS_TOPIC,
      role: 'sweep',
      memory: '512Mi',
      timeoutSeconds: 120,
      maxInstances: 2,
      env: [...base, targetsFile, guarded],
      secrets: [store, ...adminKey],
      sweeps: true,
    },
    {
      name: 'alert-ingest',
      entryPoint: 'alertIngest',
      topic: TOPICS.ingest,
      role: 'ingest',
      memory: '256Mi',
      timeoutSeconds: 60,
      maxInstances: 10,
      env: base,
      secrets: [store],
      sweeps: false,
    },
    {
      name: 'alert-tick',
      entryPoint: 'alertTick',
      topic: null,
      role: 'sweep',
      memory: '256Mi',
      timeoutSeconds: 120,
      maxInstances: 2,
      env: [...base, guarded, ['HEARTBEAT_JOB', JOBS.sweep]],
      secrets: [store],
      sweeps: false,
    },
  ];
}

/** PLAN_ERR_FUNCTION_CONFIG unless `f` loads its settings as it will on Cloud Run. */
export function checkFunctionSettings(f: FunctionDeployment): void {
  const env: Record<string, string> = {
    ...Object.fromEntries(f.env),
    STORE_URL: STAND_IN_STORE_URL,
    K_SERVICE: f.name,
    FUNCTION_TARGET: f.entryPoint,
  };
  try {
    loadFunctionsConfig(env, f.role);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new PlanError(
      'PLAN_ERR_FUNCTION_CONFIG',
      `${f.entryPoint} (${f.name}) refuses its deployed settings:\n${e.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      { cause: e },
    );
  }
}

export function deployArgv(f: FunctionDeployment, t: PlanTarget): string[] {
  const trigger =
    f.topic === null
      ? ['--trigger-http', '--no-allow-unauthenticated']
      : [
          `--trigger-topic=${f.topic}`,
          '--retry',
          `--trigger-service-account=${t.accounts.invoker}`,
        ];
  return [
    'gcloud',
    'functions',
    'deploy',
    f.name,
    '--gen2',
    '--runtime=nodejs20',
    ...at(t),
    `--source=${packagedDir(f)}`,
    `--entry-point=${f.entryPoint}`,
    ...trigger,
    `--service-account=${t.accounts.functions}`,
    `--build-service-account=${builderResource(t)}`,
    `--memory=${f.memory}`,
    `--timeout=${f.timeoutSeconds}s`,
    `--max-instances=${f.maxInstances}`,
    gcloudList(
      '--set-env-vars',
      f.env.map(([k, v]) => `${k}=${v}`),
    ),
    gcloudList('--set-secrets', f.secrets),
  ];
}

export function functionSteps(t: PlanTarget): PlanStep[] {
  const fns = functionDeployments(t);
  for (const f of fns) checkFunctionSettings(f);
  const packaging: PlanStep[] = fns.map((f) => ({
    id: `functions.package.${f.entryPoint}`,
    section: 'functions',
    description: `package ${f.entryPoint}: its modules and its own package.json, without the model or onnxruntime`,
    argv: ['npm', 'run', 'deploy:package', '--', '--out', PACKAGES_DIR, f.entryPoint],
  }));
  const sweeping = fns.filter((f) => f.sweeps);
  const targets: PlanStep = {
    id: 'functions.sweep-targets',
    section: 'functions',
    description: `write the deployed sweep targets (the service at its run.app URL) into ${sweeping.map((f) => f.entryPoint).join(' and ')}`,
    argv: [
      'npm',
      'run',
      'deploy:generate',
      '--',
      'sweep-targets',
      '--env',
      t.environment,
      '--project-number',
      t.projectNumber,
      '--region',
      t.region,
      '--service',
      t.serviceName,
      ...sweeping.flatMap((f) => ['--out', `${packagedDir(f)}/${SWEEP_TARGETS_FILE}`]),
    ],
  };
  const deploys: PlanStep[] = fns.map((f) => ({
    id: `functions.deploy.${f.entryPoint}`,
    section: 'functions',
    description:
      f.topic === null
        ? `deploy ${f.entryPoint} as ${f.name}: HTTP, IAM-guarded`
        : `deploy ${f.entryPoint} as ${f.name}: an Eventarc trigger on ${f.topic} (created when missing), retried on failure`,
    argv: deployArgv(f, t),
  }));
  return [...packaging, targets, ...deploys];
}
