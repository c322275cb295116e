import test from 'ava';
import { loadServiceConfig } from '../../../service/config/index.js';
import { testRefusals } from '../../helpers/service-config.js';

testRefusals('limits', [
  {
    name: 'a Redis URL of another scheme',
    env: { RATE_LIMIT_REDIS_URL: 'http://10.0.0.3:6379' },
    message:
      'RATE_LIMIT_REDIS_URL="[redacted]": expected a redis:// or rediss:// URL, e.g. redis://10.0.0.3:6379',
  },
  {
    name: 'eleven proxy hops',
    env: { TRUST_PROXY_HOPS: '11' },
    message: 'TRUST_PROXY_HOPS="11": expected an integer from 0 to 10',
  },
  {
    name: 'a negative rate limit',
    env: { RATE_LIMIT_PER_MINUTE: '-5' },
    message: 'RATE_LIMIT_PER_MINUTE="-5": expected an integer from 0 to 1000000',
  },
  {
    name: 'rate limit and its alias disagreeing',
    env: { RATE_LIMIT_PER_MINUTE: '100', MAX_REQUESTS_PER_MINUTE: '200' },
    message:
      'MAX_REQUESTS_PER_MINUTE="200": expected the same value as RATE_LIMIT_PER_MINUTE (100), or unset: it is a deprecated alias',
  },
  {
    name: 'a zero input length',
    env: { MAX_INPUT_LENGTH: '0' },
    message: 'MAX_INPUT_LENGTH="0": expected an integer from 1 to 100000',
  },
]);

test('config limits: MAX_REQUESTS_PER_MINUTE alone is honoured with a deprecation warning', (t) => {
  const { config, warnings } = loadServiceConfig({
    ENVIRONMENT: 'production',
    API_KEYS: 'client-key-0123456789abcdef',
    RATE_LIMIT_REDIS_URL: 'redis://10.0.0.3:6379',
    MAX_REQUESTS_PER_MINUTE: '300',
  });
  t.is(config.rateLimitPerMinute, 300);
  t.deepEqual(warnings, ['MAX_REQUESTS_PER_MINUTE is deprecated; use RATE_LIMIT_PER_MINUTE']);
});

test('config limits: MAX_REQUESTS_PER_MINUTE agreeing with RATE_LIMIT_PER_MINUTE only warns', (t) => {
  const { config, warnings } = loadServiceConfig({
    RATE_LIMIT_PER_MINUTE: '250',
    MAX_REQUESTS_PER_MINUTE: '250',
  });
  t.is(config.rateLimitPerMinute, 250);
  t.is(warnings.length, 1);
});

test('config limits: production without RATE_LIMIT_REDIS_URL warns that the limit is per instance', (t) => {
  const { config, warnings } = loadServiceConfig({
    ENVIRONMENT: 'production',
    AUTH_MODE: 'iam',
    K_SERVICE: 'svc',
  });
  t.is(config.rateLimit.redisUrl, null);
  t.deepEqual(warnings, [
    'RATE_LIMIT_REDIS_URL is not set: each instance keeps its own buckets, so a client may make up to RATE_LIMIT_PER_MINUTE (1000) x instances requests a minute',
  ]);
});

test('config limits: TRUST_PROXY_HOPS is 1 on Cloud Run and 0 elsewhere', (t) => {
  t.is(
    loadServiceConfig({ K_SERVICE: 'svc', ENVIRONMENT: 'development' }).config.rateLimit
      .trustProxyHops,
    1,
  );
  t.is(loadServiceConfig({}).config.rateLimit.trustProxyHops, 0);
  t.is(
    loadServiceConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', ENVIRONMENT: 'development' }).config
      .rateLimit.trustProxyHops,
    0,
  );
});
