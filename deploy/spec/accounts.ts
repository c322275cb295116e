/**
 * The service accounts of a deployment, by role, and their emails in a project. The deploy plan
 * takes other emails for the runtime three from flags; these are its defaults, and the committed
 * specs name them.
 *
 * What runs:
 * - service: the Cloud Run service's identity; reads its key secrets.
 * - functions: the four functions' identity; reads the store URL and the admin key, publishes
 *   findings, dead letters and notifications, and calls the service (the sweep).
 * - invoker: what calls the functions: Cloud Scheduler's OIDC tokens and the Eventarc triggers.
 *
 * What deploys (deploy/plan/deployer.ts grants their roles):
 * - deployer: the identity cloudbuild.yaml runs as; deploys everything, changes no project IAM.
 * - builder: what Cloud Build runs as when it builds a function's source (`--build-service-account`).
 */
export const ACCOUNT_IDS = {
  service: 'runwatch-service',
  functions: 'runwatch-functions',
  invoker: 'runwatch-invoker',
  deployer: 'runwatch-deployer',
  builder: 'runwatch-builder',
} as const;

export type AccountRole = keyof typeof ACCOUNT_IDS;

export const accountEmail = (role: AccountRole, project: string): string =>
  `${ACCOUNT_IDS[role]}@${project}.iam.gserviceaccount.com`;
