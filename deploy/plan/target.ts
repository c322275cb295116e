/**
 * The plan's flags and their defaults. The defaults are placeholders (my-project, PROJECT_NUMBER,
 * TAG) that print as they are, so a plan with no flags reads as a template; pass the real values
 * to get commands to run. `my-project` is a valid project id, so everything resolved for a
 * project (the monitoring definitions) resolves for the template too. The service accounts default to the project's runwatch-* accounts (deploy/spec/accounts.ts).
 */
import type { Environment } from '../../service/config/index.js';
import { ACCOUNT_IDS, type AccountRole, accountEmail } from '../spec/accounts.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import type { PlanTarget } from './types.js';

export const TARGET_DEFAULTS = {
  project: 'my-project',
  projectNumber: 'PROJECT_NUMBER',
  region: 'us-central1',
  repository: 'runwatch',
  imageTag: 'TAG',
} as const;

/** Where the plan's commands keep what they produce, under the gitignored .runwatch/. */
export const WORK_DIR = '.runwatch/deploy';

export interface TargetOptions {
  readonly project?: string;
  readonly projectNumber?: string;
  readonly region?: string;
  readonly serviceName?: string;
  readonly repository?: string;
  readonly imageTag?: string;
  readonly runbookBaseUrl?: string;
  readonly accounts?: Partial<Record<AccountRole, string>>;
  readonly invokers?: readonly string[];
}

export function planTarget(environment: Environment, o: TargetOptions = {}): PlanTarget {
  const project = o.project ?? TARGET_DEFAULTS.project;
  const roles = Object.keys(ACCOUNT_IDS) as AccountRole[];
  return {
    environment,
    project,
    projectNumber: o.projectNumber ?? TARGET_DEFAULTS.projectNumber,
    region: o.region ?? TARGET_DEFAULTS.region,
    serviceName: o.serviceName ?? DEPLOY_PROFILES[environment].serviceName,
    repository: o.repository ?? TARGET_DEFAULTS.repository,
    imageTag: o.imageTag ?? TARGET_DEFAULTS.imageTag,
    ...(o.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: o.runbookBaseUrl }),
    accounts: Object.fromEntries(
      roles.map((r) => [r, o.accounts?.[r] ?? accountEmail(r, project)]),
    ) as Record<AccountRole, string>,
    invokers: o.invokers ?? [],
  };
}

/** The service image in the target's Artifact Registry repository. */
export const imageOf = (t: PlanTarget): string =>
  `${t.region}-docker.pkg.dev/${t.project}/${t.repository}/${t.serviceName}:${t.imageTag}`;

/** `--region=R --project=P`, the tail of most gcloud commands here. */
export const at = (t: PlanTarget): string[] => [`--region=${t.region}`, `--project=${t.project}`];

/** The Pub/Sub service agent, which forwards dead letters. */
export const pubsubAgent = (t: PlanTarget): string =>
  `service-${t.projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;

/** The Monitoring notification service agent, which publishes to Pub/Sub channels. */
export const monitoringAgent = (t: PlanTarget): string =>
  `service-${t.projectNumber}@gcp-sa-monitoring-notification.iam.gserviceaccount.com`;
