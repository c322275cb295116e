/**
 * What one client may ask of the service: requests per minute (with the shared Redis that makes
 * the limit hold across instances, and the proxies that say who the client is), and how much text
 * one request may carry.
 */
import { defineFormat, Expected, integer, text } from '../../lib/config/formats.js';
import { byEnvironment, byPlatform } from '../../lib/config/presets.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import type { OperatorEnv } from '../../lib/config/read.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';
import type { DeploymentConfig } from './deployment.js';

const REDIS_URL_EXPECTED = 'a redis:// or rediss:// URL, e.g. redis://10.0.0.3:6379';

const redisUrl = defineFormat<string>({
  name: 'redis-url',
  validate: (value) => {
    if (typeof value !== 'string' || !URL.canParse(value)) throw new Expected(REDIS_URL_EXPECTED);
    const { protocol } = new URL(value);
    if (protocol !== 'redis:' && protocol !== 'rediss:') throw new Expected(REDIS_URL_EXPECTED);
  },
});

export const limitsSettings = {
  rateLimit: {
    perMinute: setting({
      env: 'RATE_LIMIT_PER_MINUTE',
      doc: 'Requests per minute per client on inference routes; 0 turns rate limiting off.',
      format: integer(0, 1_000_000),
      default: byEnvironment(1000, 500, 0),
    }),
    trustProxyHops: setting({
      env: 'TRUST_PROXY_HOPS',
      doc: "Proxies in front of the service that append to X-Forwarded-For; the client address is that many entries from the right (the left-most is whatever the client wrote). 1 on Cloud Run (Google's front end), 2 behind an external load balancer, 0 when clients connect directly.",
      format: integer(0, 10),
      default: byPlatform(1, 0, 0),
    }),
    redisUrl: setting({
      env: 'RATE_LIMIT_REDIS_URL',
      doc: 'redis:// URL of a Redis shared by all instances for rate-limit buckets; unset keeps buckets in each instance (the effective limit is then RATE_LIMIT_PER_MINUTE x instances). Sensitive (may hold a password).',
      format: redisUrl,
      default: null,
      defaultDoc: '(none: per instance)',
      sensitive: true,
    }),
    redisTimeoutMs: setting({
      env: 'RATE_LIMIT_REDIS_TIMEOUT_MS',
      doc: 'How long a rate-limit check waits for Redis before it is made in memory instead (and Redis is probed until it answers again); far above an in-region answer, and paid only by the checks in flight when Redis stops answering.',
      format: integer(10, 5000),
      default: 100,
    }),
    namespace: setting({
      env: 'RATE_LIMIT_NAMESPACE',
      doc: 'Key prefix of the rate-limit buckets in Redis, so services can share one Redis.',
      format: text,
      default: 'runwatch-rl:',
    }),
  },
  perMinuteAlias: setting({
    env: 'MAX_REQUESTS_PER_MINUTE',
    doc: "Deprecated alias of RATE_LIMIT_PER_MINUTE (the SAMO-DL API's name); must agree with it when both are set.",
    format: integer(0, 1_000_000),
    default: null,
    defaultDoc: '(alias)',
  }),
  input: {
    maxInputLength: setting({
      env: 'MAX_INPUT_LENGTH',
      doc: 'Longest text accepted, in Unicode code points; longer texts get 400, never truncation.',
      format: integer(1, 100000),
      default: 512,
    }),
    maxBatchSize: setting({
      env: 'MAX_BATCH_SIZE',
      doc: 'Most texts accepted by one /predict_batch request.',
      format: integer(1, 1000),
      default: 100,
    }),
  },
};

type LimitsValues = ValuesOf<typeof limitsSettings>;

export interface LimitsConfig {
  /** The same as `rateLimit.perMinute`. */
  readonly rateLimitPerMinute: number;
  readonly rateLimit: LimitsValues['rateLimit'];
  readonly input: LimitsValues['input'];
}

const ALIAS_WARNING = 'MAX_REQUESTS_PER_MINUTE is deprecated; use RATE_LIMIT_PER_MINUTE';

export function limitsConfig(
  values: LimitsValues,
  report: ConfigReport,
  operator: OperatorEnv,
): LimitsConfig {
  const perMinute = resolveAlias(values, report, operator);
  return {
    rateLimitPerMinute: perMinute,
    rateLimit: { ...values.rateLimit, perMinute },
    input: values.input,
  };
}

/** MAX_REQUESTS_PER_MINUTE stands in for RATE_LIMIT_PER_MINUTE when that is unset. */
function resolveAlias(values: LimitsValues, report: ConfigReport, operator: OperatorEnv): number {
  const current = values.rateLimit.perMinute;
  const alias = values.perMinuteAlias;
  if (alias === null) return current;
  if (!operator.text('RATE_LIMIT_PER_MINUTE')) {
    report.warn(ALIAS_WARNING);
    return alias;
  }
  if (alias !== current) {
    report.refuse(
      'MAX_REQUESTS_PER_MINUTE',
      operator.text('MAX_REQUESTS_PER_MINUTE'),
      `the same value as RATE_LIMIT_PER_MINUTE (${current}), or unset: it is a deprecated alias`,
    );
  } else {
    report.warn(ALIAS_WARNING);
  }
  return current;
}

export function checkLimits(config: LimitsConfig & DeploymentConfig, report: ConfigReport): void {
  const { perMinute, redisUrl } = config.rateLimit;
  if (config.environment === 'production' && perMinute > 0 && redisUrl === null) {
    report.warn(
      `RATE_LIMIT_REDIS_URL is not set: each instance keeps its own buckets, so a client may make up to RATE_LIMIT_PER_MINUTE (${perMinute}) x instances requests a minute`,
    );
  }
}
