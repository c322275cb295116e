/**
 * What the pipeline's two accounts may do, granted once by a person who administers the project
 * (the `deployer` section; cloudbuild.yaml runs as runwatch-deployer and never changes project
 * IAM itself):
 *
 * - runwatch-deployer gets one project role per kind of resource the pipeline deploys or
 *   reconciles (DEPLOYER_ROLES), and everything else on one resource only: it may act as the
 *   four accounts the pipeline deploys with (roles/iam.serviceAccountUser on each, never
 *   project-wide), mint identity tokens for itself (the smoke test), push to the runwatch
 *   repository, read the sources `gcloud builds submit` uploads, and read the one secret the smoke
 *   test sends (the client keys, where AUTH_MODE=api-key). It cannot change the project's IAM
 *   policy (it grants roles only on the resources it deploys), create accounts or keys, or read
 *   the store URL.
 * - runwatch-builder is what Cloud Build runs as when it builds a function's source
 *   (`gcloud functions deploy --build-service-account`): roles/cloudbuild.builds.builder, the
 *   role Cloud Run functions documents for a custom build account, and nothing else. New projects
 *   run those builds as the Compute Engine default account otherwise, which may have no roles.
 *
 * Whoever may submit a build as runwatch-deployer (roles/cloudbuild.builds.editor and
 * roles/iam.serviceAccountUser on it) may deploy code that runs as the runtime accounts: keep
 * that list short.
 */
import type { AccountRole } from '../spec/accounts.js';
import type { PlanStep, PlanTarget } from './types.js';

export interface RoleGrant {
  readonly role: string;
  /** What in the pipeline needs it. */
  readonly why: string;
}

/** runwatch-deployer's project-level roles. */
export const DEPLOYER_ROLES: readonly RoleGrant[] = [
  {
    role: 'roles/run.admin',
    why: 'replace the service, move its traffic, grant run.invoker on it and on the functions, and call the IAM-guarded candidate (smoke test)',
  },
  { role: 'roles/cloudfunctions.developer', why: 'deploy the four gen2 functions' },
  {
    role: 'roles/eventarc.admin',
    why: "create the functions' Eventarc triggers with the invoker account, and read the trigger's subscription",
  },
  {
    role: 'roles/pubsub.admin',
    why: 'reconcile the schema, topics and subscriptions (deploy:apply) and grant publish/subscribe on them',
  },
  { role: 'roles/cloudscheduler.admin', why: 'create and update the Scheduler jobs' },
  { role: 'roles/logging.configWriter', why: 'reconcile the log sinks and log-based metrics' },
  { role: 'roles/monitoring.alertPolicyEditor', why: 'reconcile the alert policies' },
  {
    role: 'roles/monitoring.notificationChannelEditor',
    why: 'reconcile the notification channel',
  },
  {
    role: 'roles/logging.logWriter',
    why: "write the build's own logs (cloudbuild.yaml: logging CLOUD_LOGGING_ONLY)",
  },
];

/** runwatch-builder's project-level roles. */
export const BUILDER_ROLES: readonly RoleGrant[] = [
  {
    role: 'roles/cloudbuild.builds.builder',
    why: "fetch a function's uploaded source, build it, push its image, write the build's logs",
  },
];

/** The accounts the pipeline deploys with, so the deployer must be able to act as each. */
export const ACTS_AS: readonly { readonly role: AccountRole; readonly why: string }[] = [
  { role: 'service', why: "the Cloud Run service's identity (the spec's serviceAccountName)" },
  { role: 'functions', why: "the functions' runtime identity (--service-account)" },
  {
    role: 'invoker',
    why: "the Eventarc triggers' identity (--trigger-service-account) and the Scheduler jobs' OIDC identity",
  },
  { role: 'builder', why: "the functions' build identity (--build-service-account)" },
];

/** The bucket `gcloud builds submit` stages the sources in, which the build then reads. */
export const cloudBuildBucket = (t: PlanTarget): string => `gs://${t.project}_cloudbuild`;

const projectGrant = (t: PlanTarget, member: string, role: string): string[] => [
  'gcloud',
  'projects',
  'add-iam-policy-binding',
  t.project,
  `--member=${member}`,
  `--role=${role}`,
  '--condition=None',
];

const accountGrant = (t: PlanTarget, account: string, member: string, role: string): string[] => [
  'gcloud',
  'iam',
  'service-accounts',
  'add-iam-policy-binding',
  account,
  `--member=${member}`,
  `--role=${role}`,
  `--project=${t.project}`,
];

/**
 * The deployer section. `smokeKeySecret` is the secret the smoke test reads its key from
 * (deploy/plan/service.ts smokeApiKeySecret), empty when it reads none.
 */
export function deployerSteps(t: PlanTarget, smokeKeySecret: string): PlanStep[] {
  const deployer = `serviceAccount:${t.accounts.deployer}`;
  const builder = `serviceAccount:${t.accounts.builder}`;
  const bucket = cloudBuildBucket(t);
  const steps: PlanStep[] = DEPLOYER_ROLES.map(({ role, why }) => ({
    id: `deployer.project.${role.slice('roles/'.length)}`,
    section: 'deployer',
    description: `${t.accounts.deployer} gets ${role}: ${why}`,
    argv: projectGrant(t, deployer, role),
  }));
  for (const { role, why } of ACTS_AS) {
    steps.push({
      id: `deployer.acts-as.${role}`,
      section: 'deployer',
      description: `${t.accounts.deployer} may act as ${t.accounts[role]}, ${why}`,
      argv: accountGrant(t, t.accounts[role], deployer, 'roles/iam.serviceAccountUser'),
    });
  }
  steps.push(
    {
      id: 'deployer.token-creator',
      section: 'deployer',
      description: `${t.accounts.deployer} may mint tokens as itself, and so no more than it holds: the smoke test's identity token inside Cloud Build (docs/deploy.md says why)`,
      argv: accountGrant(t, t.accounts.deployer, deployer, 'roles/iam.serviceAccountTokenCreator'),
    },
    {
      id: 'deployer.registry',
      section: 'deployer',
      description: `${t.accounts.deployer} pushes the service image to the ${t.repository} repository, and to no other`,
      argv: [
        'gcloud',
        'artifacts',
        'repositories',
        'add-iam-policy-binding',
        t.repository,
        `--location=${t.region}`,
        `--project=${t.project}`,
        `--member=${deployer}`,
        '--role=roles/artifactregistry.writer',
      ],
    },
    {
      id: 'deployer.source-bucket',
      section: 'deployer',
      description: `${bucket}, where \`gcloud builds submit\` uploads the sources: created here, as it would be on the first submit, so the next step can grant on it`,
      argv: [
        'gcloud',
        'storage',
        'buckets',
        'create',
        bucket,
        `--project=${t.project}`,
        '--uniform-bucket-level-access',
      ],
      exists: ['gcloud', 'storage', 'buckets', 'describe', bucket, `--project=${t.project}`],
    },
    {
      id: 'deployer.source-bucket.read',
      section: 'deployer',
      description: `${t.accounts.deployer} reads the uploaded sources in ${bucket}, and no other bucket`,
      argv: [
        'gcloud',
        'storage',
        'buckets',
        'add-iam-policy-binding',
        bucket,
        `--member=${deployer}`,
        '--role=roles/storage.objectViewer',
        `--project=${t.project}`,
      ],
    },
  );
  if (smokeKeySecret !== '') {
    steps.push({
      id: `deployer.smoke-key.${smokeKeySecret}`,
      section: 'deployer',
      description: `${t.accounts.deployer} reads ${smokeKeySecret}, the key the smoke test sends (AUTH_MODE=api-key), and no other secret`,
      argv: [
        'gcloud',
        'secrets',
        'add-iam-policy-binding',
        smokeKeySecret,
        `--member=${deployer}`,
        '--role=roles/secretmanager.secretAccessor',
        `--project=${t.project}`,
      ],
    });
  }
  for (const { role, why } of BUILDER_ROLES) {
    steps.push({
      id: `deployer.builder.${role.slice('roles/'.length)}`,
      section: 'deployer',
      description: `${t.accounts.builder} gets ${role}: ${why}`,
      argv: projectGrant(t, builder, role),
    });
  }
  return steps;
}

/** The full resource name `--build-service-account` takes. */
export const builderResource = (t: PlanTarget): string =>
  `projects/${t.project}/serviceAccounts/${t.accounts.builder}`;
