/**
 * What a project needs once, before the first deploy, run by a person who administers it: the
 * APIs, the service accounts (the three runtime ones, the deployer and the function builder) and
 * the one project-level role a runtime account needs, the secrets (created empty: their values
 * are the operator's to add) with read access for the accounts that mount them, and the Artifact
 * Registry repository. Each create is skipped when its describe succeeds, so the script form
 * reruns safely. deployer.ts adds what the pipeline's own accounts may do.
 */
import { ACCOUNT_IDS, type AccountRole } from '../spec/accounts.js';
import { DEPLOY_PROFILES, KEY_SETS } from '../spec/profiles.js';
import type { PlanStep, PlanTarget } from './types.js';

/**
 * Every API a step calls. cloudresourcemanager: `gcloud projects add-iam-policy-binding`;
 * iamcredentials: the identity token the deployer mints inside Cloud Build (smoke test); storage:
 * the sources `gcloud builds submit` and function deploys upload.
 */
export const APIS = [
  'run.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudbuild.googleapis.com',
  'artifactregistry.googleapis.com',
  'eventarc.googleapis.com',
  'pubsub.googleapis.com',
  'cloudscheduler.googleapis.com',
  'secretmanager.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'storage.googleapis.com',
] as const;

const ACCOUNT_NAMES: Readonly<Record<AccountRole, string>> = {
  service: 'runwatch service (Cloud Run)',
  functions: 'runwatch functions',
  invoker: 'runwatch invoker (Scheduler, Eventarc)',
  deployer: 'runwatch deployer (Cloud Build)',
  builder: 'runwatch function builder (Cloud Build)',
};

/** Each secret with the accounts that read it. */
export function secretReaders(t: PlanTarget): Map<string, AccountRole[]> {
  const profile = DEPLOY_PROFILES[t.environment];
  const readers = new Map<string, AccountRole[]>();
  const add = (secret: string, role: AccountRole) =>
    readers.set(secret, [...(readers.get(secret) ?? []), role]);
  for (const k of KEY_SETS) {
    const secret = profile.keySecrets[k];
    if (secret !== undefined) add(secret, 'service');
  }
  add(profile.storeUrlSecret, 'functions');
  // The sweep reads the admin key for the service's /metrics (deploy/spec/sweep-targets.ts).
  if (profile.keySecrets.adminApiKeys !== undefined)
    add(profile.keySecrets.adminApiKeys, 'functions');
  return readers;
}

const SECRET_VALUES: Readonly<Record<string, string>> = {
  'runwatch-api-keys': 'client API keys, comma- or line-separated, each at least 16 characters',
  'runwatch-admin-api-keys': 'admin keys, comma- or line-separated, each at least 16 characters',
  'runwatch-store-url': 'the trend store, postgres://USER:PASSWORD@HOST:5432/DATABASE',
};

export function setupSteps(t: PlanTarget): PlanStep[] {
  const steps: PlanStep[] = [
    {
      id: 'apis.enable',
      section: 'apis',
      description: 'enable the APIs the deployment uses',
      argv: ['gcloud', 'services', 'enable', ...APIS, `--project=${t.project}`],
    },
  ];
  for (const role of Object.keys(ACCOUNT_IDS) as AccountRole[]) {
    const email = t.accounts[role];
    const id = email.split('@')[0] as string;
    if (email !== `${id}@${t.project}.iam.gserviceaccount.com`) continue;
    steps.push({
      id: `accounts.${role}`,
      section: 'accounts',
      description: `the ${role} account, ${email}`,
      argv: [
        'gcloud',
        'iam',
        'service-accounts',
        'create',
        id,
        `--display-name=${ACCOUNT_NAMES[role]}`,
        `--project=${t.project}`,
      ],
      exists: ['gcloud', 'iam', 'service-accounts', 'describe', email, `--project=${t.project}`],
    });
  }
  // The one project-level role of a runtime account: here, once, so the pipeline never needs to
  // change the project's IAM policy.
  steps.push({
    id: 'accounts.event-receiver',
    section: 'accounts',
    description: `${t.accounts.invoker} may receive the Eventarc triggers' events (project-level, so granted here and not by the pipeline)`,
    argv: [
      'gcloud',
      'projects',
      'add-iam-policy-binding',
      t.project,
      `--member=serviceAccount:${t.accounts.invoker}`,
      '--role=roles/eventarc.eventReceiver',
      '--condition=None',
    ],
  });
  for (const [secret, roles] of secretReaders(t)) {
    steps.push({
      id: `secrets.create.${secret}`,
      section: 'secrets',
      description: `secret ${secret}; then add its value (${SECRET_VALUES[secret] ?? 'see docs/deploy.md'}) with \`gcloud secrets versions add ${secret} --data-file=FILE --project=${t.project}\``,
      argv: [
        'gcloud',
        'secrets',
        'create',
        secret,
        '--replication-policy=automatic',
        `--project=${t.project}`,
      ],
      exists: ['gcloud', 'secrets', 'describe', secret, `--project=${t.project}`],
    });
    for (const role of roles) {
      steps.push({
        id: `secrets.access.${secret}.${role}`,
        section: 'secrets',
        description: `the ${role} account reads ${secret}`,
        argv: [
          'gcloud',
          'secrets',
          'add-iam-policy-binding',
          secret,
          `--member=serviceAccount:${t.accounts[role]}`,
          '--role=roles/secretmanager.secretAccessor',
          `--project=${t.project}`,
        ],
      });
    }
  }
  steps.push(
    {
      id: 'registry.create',
      section: 'registry',
      description: `the Docker repository ${t.repository} in ${t.region}`,
      argv: [
        'gcloud',
        'artifacts',
        'repositories',
        'create',
        t.repository,
        '--repository-format=docker',
        `--location=${t.region}`,
        `--project=${t.project}`,
      ],
      exists: [
        'gcloud',
        'artifacts',
        'repositories',
        'describe',
        t.repository,
        `--location=${t.region}`,
        `--project=${t.project}`,
      ],
    },
    {
      id: 'registry.auth',
      section: 'registry',
      description: `let docker push to ${t.region}-docker.pkg.dev with your gcloud credentials`,
      argv: ['gcloud', 'auth', 'configure-docker', `${t.region}-docker.pkg.dev`, '--quiet'],
    },
  );
  return steps;
}
