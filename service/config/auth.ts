/**
 * Who may call the service: the mode for inference routes (none, API keys or Cloud Run IAM), and
 * the client and admin key sets with their sources.
 */
import { anyText, integer, oneOf } from '../../lib/config/formats.js';
import { byEnvironment } from '../../lib/config/presets.js';
import { type ConfigReport, REDACTED } from '../../lib/config/problems.js';
import type { OperatorEnv } from '../../lib/config/read.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';
import type { SecretKeys } from '../../lib/secrets.js';
import type { DeploymentConfig } from './deployment.js';
import { readKeys } from './secret-keys.js';

export const AUTH_MODES = ['none', 'api-key', 'iam'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const authSettings = {
  mode: setting({
    env: 'AUTH_MODE',
    doc: 'Who may call the inference routes: none (anyone), api-key (X-API-Key from API_KEYS) or iam (Cloud Run IAM checks the caller before the request arrives; deploy with --no-allow-unauthenticated). Production refuses none, and iam off Cloud Run.',
    format: oneOf(AUTH_MODES),
    default: byEnvironment<AuthMode>('api-key', 'api-key', 'none'),
  }),
  apiKeys: setting({
    env: 'API_KEYS',
    doc: 'Comma-separated API keys for inference routes. Sensitive: logs show key ids only.',
    format: anyText,
    default: null,
    sensitive: true,
  }),
  apiKeysFile: setting({
    env: 'API_KEYS_FILE',
    doc: 'File holding API keys, one per line or comma-separated (a Secret Manager volume mount).',
    format: anyText,
    default: null,
  }),
  adminApiKeys: setting({
    env: 'ADMIN_API_KEYS',
    doc: 'Comma-separated admin keys for /model_status, /security_status and /metrics. Sensitive.',
    format: anyText,
    default: null,
    sensitive: true,
  }),
  adminApiKey: setting({
    env: 'ADMIN_API_KEY',
    doc: "Deprecated alias of ADMIN_API_KEYS (the SAMO-DL API's name, one key). Sensitive.",
    format: anyText,
    default: null,
    defaultDoc: '(alias)',
    sensitive: true,
  }),
  adminApiKeysFile: setting({
    env: 'ADMIN_API_KEYS_FILE',
    doc: 'File holding admin keys (a Secret Manager volume mount).',
    format: anyText,
    default: null,
  }),
  adminKeyFailuresPerMinute: setting({
    env: 'ADMIN_KEY_FAILURES_PER_MINUTE',
    doc: 'Wrong admin keys one client (address) may send in a minute, per instance, before every admin-key check it makes is refused with 429 for the rest of that minute (the right key included, so /health cannot confirm a guess).',
    format: integer(1, 1000),
    default: 10,
  }),
};

export interface AuthConfig {
  readonly auth: {
    readonly mode: AuthMode;
    readonly apiKeys: SecretKeys;
    readonly adminApiKeys: SecretKeys;
    readonly adminKeyFailuresPerMinute: number;
  };
}

export function authConfig(
  values: ValuesOf<typeof authSettings>,
  report: ConfigReport,
  operator: OperatorEnv,
): AuthConfig {
  const apiKeys = readKeys(
    [
      { variable: 'API_KEYS', value: values.apiKeys },
      { variable: 'API_KEYS_FILE', value: values.apiKeysFile, isFile: true },
    ],
    report,
  );
  const adminApiKeys = readKeys(
    [
      { variable: 'ADMIN_API_KEYS', value: values.adminApiKeys },
      { variable: 'ADMIN_API_KEYS_FILE', value: values.adminApiKeysFile, isFile: true },
      { variable: 'ADMIN_API_KEY', value: values.adminApiKey },
    ],
    report,
  );
  if (operator.has('ADMIN_API_KEY')) {
    report.warn(
      'ADMIN_API_KEY is deprecated; use ADMIN_API_KEYS (comma-separated) or ADMIN_API_KEYS_FILE',
    );
  }
  return {
    auth: {
      mode: values.mode,
      apiKeys,
      adminApiKeys,
      adminKeyFailuresPerMinute: values.adminKeyFailuresPerMinute,
    },
  };
}

export function checkAuth(
  config: AuthConfig & DeploymentConfig,
  report: ConfigReport,
  operator: OperatorEnv,
): void {
  const { mode, apiKeys } = config.auth;
  if (mode === 'none' && config.environment === 'production') {
    report.refuse(
      'AUTH_MODE',
      operator.text('AUTH_MODE') ?? 'none',
      'api-key or iam in production (none lets anyone call the model)',
    );
  }
  // An empty API_KEYS (a secret that was not injected, say) counts as none: refused at start,
  // not found out as a 401 on every request. A source that failed is reported already.
  if (
    mode === 'api-key' &&
    apiKeys.size === 0 &&
    !report.refused('API_KEYS') &&
    !report.refused('API_KEYS_FILE')
  ) {
    const preset = operator.has('AUTH_MODE') ? '' : ` (the ${config.environment} default)`;
    report.refuse(
      'API_KEYS',
      operator.has('API_KEYS') ? REDACTED : undefined,
      `at least one key, because AUTH_MODE is api-key${preset}; or set AUTH_MODE=iam on Cloud Run`,
    );
  }
  if (mode === 'iam' && config.platform !== 'cloud-run') {
    // Only Cloud Run's front end checks IAM; elsewhere iam would let anyone call the model.
    if (config.environment === 'production') {
      report.refuse(
        'AUTH_MODE',
        operator.text('AUTH_MODE') ?? 'iam',
        'api-key off Cloud Run in production (iam is checked only by Cloud Run, so here it would let anyone call the model)',
      );
    } else {
      report.warn(
        'AUTH_MODE=iam outside Cloud Run: nothing in front of this service checks callers',
      );
    }
  }
}
