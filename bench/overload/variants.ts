/**
 * The two service variants the overload bench compares, and the environment each server starts
 * with. Both get the same requests (same bodies, same Origin header).
 */

export const VARIANT_NAMES = ['full-stack', 'bare-stack'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/** Every request carries this Origin; the full stack allows it, so CORS headers are sent. */
export const ORIGIN = 'https://app.example.com';
/** Only for reading requests_shed_total and /model_status around a pass. */
export const ADMIN_KEY = 'bench-admin-key-overload';

interface Variant {
  readonly env: Readonly<Record<string, string>>;
  /** Whether its rounds include the overload passes. */
  readonly overload: boolean;
}

export const VARIANTS: Readonly<Record<VariantName, Variant>> = {
  // RATE_LIMIT_PER_MINUTE=1e6 is the config's maximum: the check runs, and a server lives for
  // fewer requests than that.
  'full-stack': {
    env: { METRICS_ENABLED: 'true', CORS_ORIGINS: ORIGIN, RATE_LIMIT_PER_MINUTE: '1000000' },
    overload: true,
  },
  'bare-stack': {
    env: { METRICS_ENABLED: 'false', CORS_ORIGINS: '', RATE_LIMIT_PER_MINUTE: '0' },
    overload: false,
  },
};

/** The service's environment for `variant`: production preset, logs to a file, no PORT. */
export function serviceEnv(
  variant: VariantName,
  modelPath: string,
  path: string,
): Record<string, string> {
  return {
    PATH: path,
    HOST: '127.0.0.1',
    ENVIRONMENT: 'production',
    // Cloud Run IAM authenticates in front of the service (production refuses AUTH_MODE=none, and
    // iam off Cloud Run, so the service runs with Cloud Run's platform presets).
    AUTH_MODE: 'iam',
    K_SERVICE: 'runwatch-bench',
    ADMIN_API_KEYS: ADMIN_KEY,
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    MODEL_PATH: modelPath,
    ...VARIANTS[variant].env,
  };
}
