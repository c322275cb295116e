/**
 * What each environment deploys beyond its preset: the service settings it sets (everything else
 * is the preset's default, resolved by the service's own config loader), the Secret Manager
 * secrets it mounts, and how Cloud Run allocates its CPU. One project per environment: the
 * topics, functions and jobs have the same names in each, so two environments cannot share one.
 *
 * - production: Cloud Run IAM checks every caller (AUTH_MODE=iam), so there are no client keys
 *   to leak or rotate; CPU stays allocated between requests, so the health checks and the
 *   shedding monitor keep sampling on the instance that min-instances holds warm.
 * - staging: the production preset's shape at half size, with API keys (the SAMO-DL clients'
 *   X-API-Key) so external testers need no Google identity.
 * - development: API keys as well, and /metrics behind the admin key, unlike the laptop preset:
 *   a deployed development service is on the internet.
 */
import type { Environment } from '../../service/config/index.js';

/**
 * The service's key sets that a file can hold (service/config/auth.ts, secret-keys.ts): the file
 * variable the service reads, the variable of the same setting in its value form, and the
 * directory Cloud Run mounts the secret in (one secret per directory, a file `keys` inside).
 */
export const KEY_FILE_SETTINGS = {
  apiKeys: {
    fileVariable: 'API_KEYS_FILE',
    valueVariable: 'API_KEYS',
    mountPath: '/secrets/api-keys',
  },
  adminApiKeys: {
    fileVariable: 'ADMIN_API_KEYS_FILE',
    valueVariable: 'ADMIN_API_KEYS',
    mountPath: '/secrets/admin-api-keys',
  },
} as const;

export type KeySet = keyof typeof KEY_FILE_SETTINGS;
export const KEY_SETS = Object.keys(KEY_FILE_SETTINGS) as KeySet[];

/** The file inside a key set's mount directory; the secret's `latest` version is written there. */
export const KEY_FILE_NAME = 'keys';

export const keyFilePath = (set: KeySet): string =>
  `${KEY_FILE_SETTINGS[set].mountPath}/${KEY_FILE_NAME}`;

export interface DeployProfile {
  readonly environment: Environment;
  /** The Cloud Run service (K_SERVICE); also the image's name in Artifact Registry. */
  readonly serviceName: string;
  /**
   * Service settings set on the revision, beyond ENVIRONMENT and GOOGLE_CLOUD_PROJECT (which the
   * generator sets). Literal values only: a sensitive setting comes from `keySecrets`.
   */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /** Key sets mounted from Secret Manager: key set → secret id (in the same project). */
  readonly keySecrets: Readonly<Partial<Record<KeySet, string>>>;
  /** The functions' trend store (STORE_URL, a postgres:// URL): a Secret Manager secret id. */
  readonly storeUrlSecret: string;
  /** Instance-based billing (no CPU throttling): CPU between requests, for background sampling. */
  readonly cpuAlwaysAllocated: boolean;
  /** More CPU while an instance starts (the model load and warm-up inference). */
  readonly startupCpuBoost: boolean;
}

const SERVICE_NAME = 'runwatch';
const SECRETS = {
  apiKeys: 'runwatch-api-keys',
  adminApiKeys: 'runwatch-admin-api-keys',
  storeUrl: 'runwatch-store-url',
} as const;

export const DEPLOY_PROFILES: Readonly<Record<Environment, DeployProfile>> = {
  production: {
    environment: 'production',
    serviceName: SERVICE_NAME,
    serviceEnv: { AUTH_MODE: 'iam' },
    keySecrets: { adminApiKeys: SECRETS.adminApiKeys },
    storeUrlSecret: SECRETS.storeUrl,
    cpuAlwaysAllocated: true,
    startupCpuBoost: true,
  },
  staging: {
    environment: 'staging',
    serviceName: SERVICE_NAME,
    serviceEnv: {},
    keySecrets: { apiKeys: SECRETS.apiKeys, adminApiKeys: SECRETS.adminApiKeys },
    storeUrlSecret: SECRETS.storeUrl,
    cpuAlwaysAllocated: false,
    startupCpuBoost: true,
  },
  development: {
    environment: 'development',
    serviceName: SERVICE_NAME,
    serviceEnv: { AUTH_MODE: 'api-key', METRICS_PUBLIC: 'false' },
    keySecrets: { apiKeys: SECRETS.apiKeys, adminApiKeys: SECRETS.adminApiKeys },
    storeUrlSecret: SECRETS.storeUrl,
    cpuAlwaysAllocated: false,
    startupCpuBoost: true,
  },
};
