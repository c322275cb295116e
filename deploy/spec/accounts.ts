/**
 * The service accounts a deployment runs as, by role, and their emails in a project. The deploy
 * plan takes other emails from flags; these are its defaults, and the committed specs name them.
 *
 * - service: the Cloud Run service's identity; reads its key secrets.
 * - functions: the four functions' identity; reads the store URL and the admin key, publishes
 *   findings, dead letters and notifications, and calls the service (the sweep).
 * - invoker: what calls the functions: Cloud Scheduler's OIDC tokens and the Eventarc triggers.
 */
export const ACCOUNT_IDS = {
  service: 'runwatch-service',
  functions: 'runwatch-functions',
  invoker: 'runwatch-invoker',
} as const;

export type AccountRole = keyof typeof ACCOUNT_IDS;

export const accountEmail = (role: AccountRole, project: string): string =>
  `${ACCOUNT_IDS[role]}@${project}.iam.gserviceaccount.com`;
