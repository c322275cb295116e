import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import test from 'ava';
import { ConfigError, formatProblem } from '../../../lib/config-kit.js';
import { keyId } from '../../../lib/secrets.js';
import { loadServiceConfig } from '../../../service/config/index.js';

const KEY_A = 'a-very-long-api-key-0001';
const KEY_B = 'a-very-long-api-key-0002';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadServiceConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

test('config: no variables gives the development preset on the local platform', (t) => {
  const { config, warnings } = loadServiceConfig({});
  t.is(config.environment, 'development');
  t.is(config.platform, 'local');
  t.deepEqual(config.resources, {
    memoryLimitMb: 512,
    cpuLimit: 1,
    minInstances: 0,
    maxInstances: 2,
    concurrency: 20,
    timeoutSeconds: 120,
  });
  t.is(config.rateLimitPerMinute, 0);
  t.deepEqual(config.drain, { preCloseDelayMs: 0, timeoutMs: 25000, handlersTimeoutMs: 1000 });
  t.is(config.port, 8080);
  t.is(config.host, '0.0.0.0');
  t.is(config.modelPath, 'models/emotion-ekman');
  t.deepEqual(config.inference, { maxBatchSize: 8, maxBatchDelayMs: 2, maxQueueDepth: 256 });
  t.deepEqual(config.http.corsOrigins, ['http://localhost:*', 'http://127.0.0.1:*']);
  t.is(config.metricsPublic, true);
  t.deepEqual(warnings, []);
});

const presets = [
  {
    environment: 'production',
    memory: 2048,
    cpu: 2,
    min: 1,
    max: 10,
    concurrency: 80,
    timeout: 300,
    rate: 1000,
    log: 'info',
  },
  {
    environment: 'staging',
    memory: 1024,
    cpu: 1,
    min: 0,
    max: 5,
    concurrency: 40,
    timeout: 180,
    rate: 500,
    log: 'debug',
  },
  {
    environment: 'development',
    memory: 512,
    cpu: 1,
    min: 0,
    max: 2,
    concurrency: 20,
    timeout: 120,
    rate: 0,
    log: 'debug',
  },
];
for (const p of presets) {
  test(`config: the ${p.environment} preset carries the seed system's values`, (t) => {
    const { config } = loadServiceConfig({ ENVIRONMENT: p.environment, AUTH_MODE: 'iam' });
    t.deepEqual(config.resources, {
      memoryLimitMb: p.memory,
      cpuLimit: p.cpu,
      minInstances: p.min,
      maxInstances: p.max,
      concurrency: p.concurrency,
      timeoutSeconds: p.timeout,
    });
    t.is(config.rateLimitPerMinute, p.rate);
    t.is(config.logLevel as string, p.log);
  });
}

const platforms = [
  {
    name: 'Cloud Run',
    env: { K_SERVICE: 'svc', ENVIRONMENT: 'production', AUTH_MODE: 'iam' },
    platform: 'cloud-run',
    drain: [0, 8000, 1000],
  },
  {
    name: 'Kubernetes',
    env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
    platform: 'kubernetes',
    drain: [5000, 23000, 1000],
  },
  { name: 'elsewhere', env: {}, platform: 'local', drain: [0, 25000, 1000] },
];
for (const p of platforms) {
  test(`config: drain defaults on ${p.name} are ${p.drain.join(' / ')}`, (t) => {
    const { config } = loadServiceConfig(p.env);
    t.is(config.platform as string, p.platform);
    t.deepEqual(
      [config.drain.preCloseDelayMs, config.drain.timeoutMs, config.drain.handlersTimeoutMs],
      p.drain,
    );
  });
}

/** Each bad value with its own message: the variable, the value, and what was expected. */
const bad: { name: string; env: Record<string, string>; message: string }[] = [
  {
    name: 'an unknown ENVIRONMENT',
    env: { ENVIRONMENT: 'test' },
    message: 'ENVIRONMENT="test": expected one of production, staging, development',
  },
  {
    name: 'a missing ENVIRONMENT on Cloud Run',
    env: { K_SERVICE: 'svc' },
    message:
      'ENVIRONMENT=(unset): expected one of production, staging, development (required on Cloud Run)',
  },
  {
    name: 'memory below 512 MB',
    env: { MEMORY_LIMIT_MB: '100' },
    message: 'MEMORY_LIMIT_MB="100": expected an integer from 512 to 8192',
  },
  {
    name: 'memory above 8192 MB',
    env: { MEMORY_LIMIT_MB: '16384' },
    message: 'MEMORY_LIMIT_MB="16384": expected an integer from 512 to 8192',
  },
  {
    name: 'non-numeric memory',
    env: { MEMORY_LIMIT_MB: 'lots' },
    message: 'MEMORY_LIMIT_MB="lots": expected an integer from 512 to 8192',
  },
  {
    name: 'CPU above 8',
    env: { CPU_LIMIT: '10' },
    message: 'CPU_LIMIT="10": expected an integer from 1 to 8',
  },
  {
    name: 'CPU of 0',
    env: { CPU_LIMIT: '0' },
    message: 'CPU_LIMIT="0": expected an integer from 1 to 8',
  },
  {
    name: 'max instances of 0',
    env: { MAX_INSTANCES: '0' },
    message: 'MAX_INSTANCES="0": expected an integer from 1 to 100',
  },
  {
    name: 'max instances above 100',
    env: { MAX_INSTANCES: '101' },
    message: 'MAX_INSTANCES="101": expected an integer from 1 to 100',
  },
  {
    name: 'negative min instances',
    env: { MIN_INSTANCES: '-1' },
    message: 'MIN_INSTANCES="-1": expected an integer from 0 to 100',
  },
  {
    name: 'min instances above max',
    env: { MIN_INSTANCES: '5', MAX_INSTANCES: '3' },
    message: 'MIN_INSTANCES="5": expected at most MAX_INSTANCES (3)',
  },
  {
    name: 'max instances below the preset min',
    env: { ENVIRONMENT: 'production', AUTH_MODE: 'iam', MAX_INSTANCES: '1', MIN_INSTANCES: '2' },
    message: 'MIN_INSTANCES="2": expected at most MAX_INSTANCES (1)',
  },
  {
    name: 'AUTH_MODE=none in production',
    env: { ENVIRONMENT: 'production', AUTH_MODE: 'none' },
    message:
      'AUTH_MODE="none": expected api-key or iam in production (none lets anyone call the model)',
  },
  {
    name: 'production without API keys under its default api-key mode',
    env: { ENVIRONMENT: 'production' },
    message:
      'API_KEYS=(unset): expected at least one key, because AUTH_MODE is api-key (the production default); or set AUTH_MODE=iam on Cloud Run',
  },
  {
    name: 'an unknown AUTH_MODE',
    env: { AUTH_MODE: 'oauth' },
    message: 'AUTH_MODE="oauth": expected one of none, api-key, iam',
  },
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
    name: 'fault injection outside development',
    env: { ENVIRONMENT: 'staging', AUTH_MODE: 'iam', ENABLE_FAULT_INJECTION: 'true' },
    message:
      'ENABLE_FAULT_INJECTION="true": expected false outside development (ENVIRONMENT is staging)',
  },
  {
    name: 'a CORS origin with a path',
    env: { CORS_ORIGINS: 'https://app.example.com, https://x.example/api' },
    message:
      'CORS_ORIGINS="https://app.example.com, https://x.example/api": expected origins like https://app.example.com or http://localhost:* (scheme, host, optional port; no path), comma-separated; "https://x.example/api" is not one',
  },
  {
    name: 'a request timeout shorter than the headers timeout',
    env: { HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '15000' },
    message: 'REQUEST_TIMEOUT_MS="15000": expected at least HEADERS_TIMEOUT_MS (20000)',
  },
  {
    name: 'a body limit under 1 KiB',
    env: { BODY_LIMIT_BYTES: '100' },
    message: 'BODY_LIMIT_BYTES="100": expected an integer from 1024 to 10485760',
  },
  {
    name: 'an inference batch of 0',
    env: { MAX_BATCH_SIZE_INFER: '0' },
    message: 'MAX_BATCH_SIZE_INFER="0": expected an integer from 1 to 1024',
  },
  {
    name: 'a batch delay of 1.5 ms',
    env: { MAX_BATCH_DELAY_MS: '1.5' },
    message: 'MAX_BATCH_DELAY_MS="1.5": expected an integer from 0 to 1000',
  },
  {
    name: 'a queue shallower than one full /predict_batch',
    env: { MAX_QUEUE_DEPTH: '50' },
    message: 'MAX_QUEUE_DEPTH="50": expected at least MAX_BATCH_SIZE (100)',
  },
  {
    name: 'a /predict_batch limit deeper than the queue',
    env: { MAX_BATCH_SIZE: '300' },
    message: 'MAX_BATCH_SIZE="300": expected at most MAX_QUEUE_DEPTH (256)',
  },
  {
    name: 'a request timeout of 5 s',
    env: { TIMEOUT_SECONDS: '5' },
    message: 'TIMEOUT_SECONDS="5": expected an integer from 10 to 3600',
  },
  {
    name: "the seed's 900 s cap no longer applies but 3601 s is past Cloud Run's maximum",
    env: { TIMEOUT_SECONDS: '3601' },
    message: 'TIMEOUT_SECONDS="3601": expected an integer from 10 to 3600',
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
    name: 'a drain over the Cloud Run window',
    env: {
      K_SERVICE: 'svc',
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      DRAIN_TIMEOUT_MS: '9000',
    },
    message:
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS="0 + 9000 + 1000 = 10000": expected a sum below 9500 ms, the Cloud Run SIGTERM-to-SIGKILL window (10 s) less a margin',
  },
  {
    name: "the seed's 30 s shutdown on Cloud Run",
    env: {
      K_SERVICE: 'svc',
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      DRAIN_TIMEOUT_MS: '30000',
    },
    message:
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS="0 + 30000 + 1000 = 31000": expected a sum below 9500 ms, the Cloud Run SIGTERM-to-SIGKILL window (10 s) less a margin',
  },
  {
    name: 'a drain over the Kubernetes grace period',
    env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', DRAIN_PRE_CLOSE_DELAY_MS: '10000' },
    message:
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS="10000 + 23000 + 1000 = 34000": expected a sum below 30000 ms, the Kubernetes default termination grace period (30 s)',
  },
  {
    name: 'a non-numeric drain timeout',
    env: { DRAIN_TIMEOUT_MS: '8s' },
    message: 'DRAIN_TIMEOUT_MS="8s": expected an integer from 0 to 600000',
  },
  {
    name: 'a port out of range',
    env: { PORT: '70000' },
    message: 'PORT="70000": expected an integer from 0 to 65535',
  },
  {
    name: 'an unknown log level',
    env: { LOG_LEVEL: 'loud' },
    message: 'LOG_LEVEL="loud": expected one of trace, debug, info, warn, error, fatal, silent',
  },
  {
    name: 'a zero input length',
    env: { MAX_INPUT_LENGTH: '0' },
    message: 'MAX_INPUT_LENGTH="0": expected an integer from 1 to 100000',
  },
  {
    name: 'memory thresholds inverted',
    env: { MEMORY_DEGRADED_RATIO: '0.95' },
    message: 'MEMORY_DEGRADED_RATIO="0.95": expected less than MEMORY_UNHEALTHY_RATIO (0.9)',
  },
  {
    name: 'event-loop thresholds inverted',
    env: { EVENT_LOOP_DELAY_DEGRADED_MS: '2000' },
    message:
      'EVENT_LOOP_DELAY_DEGRADED_MS="2000": expected less than EVENT_LOOP_DELAY_UNHEALTHY_MS (1000)',
  },
  {
    name: 'a shedding queue depth past MAX_QUEUE_DEPTH',
    env: { MAX_QUEUE_DEPTH: '200', SHED_QUEUE_DEPTH: '300' },
    message: 'SHED_QUEUE_DEPTH="300": expected at most MAX_QUEUE_DEPTH (200), or 0 (off)',
  },
  {
    name: 'a shedding delay past the unhealthy event-loop delay',
    env: { SHED_EVENT_LOOP_DELAY_MS: '1500' },
    message:
      'SHED_EVENT_LOOP_DELAY_MS="1500": expected at most EVENT_LOOP_DELAY_UNHEALTHY_MS (1000), or 0 (off)',
  },
  {
    name: "an unhealthy event-loop delay below production's shedding delay",
    env: {
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      EVENT_LOOP_DELAY_DEGRADED_MS: '100',
      EVENT_LOOP_DELAY_UNHEALTHY_MS: '150',
    },
    message:
      'EVENT_LOOP_DELAY_UNHEALTHY_MS="150": expected at least SHED_EVENT_LOOP_DELAY_MS (200), or SHED_EVENT_LOOP_DELAY_MS=0',
  },
  {
    name: 'an event-loop utilization limit over 1',
    env: { SHED_EVENT_LOOP_UTILIZATION: '1.5' },
    message: 'SHED_EVENT_LOOP_UTILIZATION="1.5": expected a number from 0 to 1',
  },
  {
    name: 'a 5 ms shedding sample interval',
    env: { SHED_SAMPLE_INTERVAL_MS: '5' },
    message: 'SHED_SAMPLE_INTERVAL_MS="5": expected an integer from 10 to 1000',
  },
  {
    name: 'a short API key',
    env: { API_KEYS: 'short' },
    message: 'API_KEYS="[redacted]": expected keys of at least 16 characters (1 shorter)',
  },
  {
    name: 'an empty key list',
    env: { API_KEYS: ' , ' },
    message: 'API_KEYS="[redacted]": expected at least one key',
  },
  {
    name: 'both API_KEYS and API_KEYS_FILE',
    env: { API_KEYS: KEY_A, API_KEYS_FILE: '/run/secrets/keys' },
    message:
      'API_KEYS_FILE="/run/secrets/keys": expected unset when API_KEYS is set (use one source)',
  },
  {
    name: 'an unreadable key file',
    env: { ADMIN_API_KEYS_FILE: '/nonexistent/admin-keys' },
    message: 'ADMIN_API_KEYS_FILE="/nonexistent/admin-keys": expected a readable file (ENOENT)',
  },
  {
    name: 'ADMIN_API_KEY beside ADMIN_API_KEYS',
    env: { ADMIN_API_KEYS: KEY_A, ADMIN_API_KEY: KEY_B },
    message:
      'ADMIN_API_KEY="[redacted]": expected unset when ADMIN_API_KEYS is set (use one source)',
  },
  {
    name: 'a non-boolean LOG_PRETTY',
    env: { LOG_PRETTY: 'maybe' },
    message: 'LOG_PRETTY="maybe": expected true or false',
  },
];
for (const b of bad) {
  test(`config: ${b.name} is rejected with its own message`, (t) => {
    t.deepEqual(problemsOf(b.env), [b.message]);
  });
}

test('config: shedding is on in production and staging (200 ms loop delay, 64 queued texts; utilization off) and off in development but for the queue', (t) => {
  for (const environment of ['production', 'staging']) {
    t.deepEqual(loadServiceConfig({ ENVIRONMENT: environment, AUTH_MODE: 'iam' }).config.shedding, {
      eventLoopDelayMs: 200,
      eventLoopUtilization: 0,
      queueDepth: 64,
      sampleIntervalMs: 100,
      holdMs: 2000,
    });
  }
  t.deepEqual(loadServiceConfig({}).config.shedding, {
    eventLoopDelayMs: 0,
    eventLoopUtilization: 0,
    queueDepth: 64,
    sampleIntervalMs: 100,
    holdMs: 2000,
  });
  const tuned = loadServiceConfig({
    MAX_QUEUE_DEPTH: '128',
    SHED_QUEUE_DEPTH: '0',
    SHED_EVENT_LOOP_DELAY_MS: '1000',
  }).config.shedding;
  t.like(
    tuned,
    { queueDepth: 0, eventLoopDelayMs: 1000 },
    '0 is off; the unhealthy delay is allowed',
  );
  t.is(loadServiceConfig({ MAX_QUEUE_DEPTH: '128' }).config.shedding.queueDepth, 64);
  t.is(
    loadServiceConfig({ MAX_BATCH_SIZE: '10', MAX_QUEUE_DEPTH: '32' }).config.shedding.queueDepth,
    32,
    'capped at MAX_QUEUE_DEPTH',
  );
});

test('config: every problem is reported at once, one line each', (t) => {
  const problems = problemsOf({
    ENVIRONMENT: 'qa',
    MEMORY_LIMIT_MB: '1',
    CPU_LIMIT: '99',
    PORT: 'x',
  });
  t.is(problems.length, 4);
  t.true(problems.every((p) => !p.includes('\n')));
});

test('config: the error message lists each problem on its own line', (t) => {
  const error = t.throws(() => loadServiceConfig({ MEMORY_LIMIT_MB: '1', CPU_LIMIT: '99' }), {
    instanceOf: ConfigError,
  });
  t.is(error?.code, 'CFG_ERR_INVALID');
  t.is(error?.message.split('\n').length, 3);
});

test('config: MAX_REQUESTS_PER_MINUTE alone is honoured with a deprecation warning', (t) => {
  const { config, warnings } = loadServiceConfig({
    ENVIRONMENT: 'production',
    API_KEYS: 'client-key-0123456789abcdef',
    RATE_LIMIT_REDIS_URL: 'redis://10.0.0.3:6379',
    MAX_REQUESTS_PER_MINUTE: '300',
  });
  t.is(config.rateLimitPerMinute, 300);
  t.deepEqual(warnings, ['MAX_REQUESTS_PER_MINUTE is deprecated; use RATE_LIMIT_PER_MINUTE']);
});

test('config: MAX_REQUESTS_PER_MINUTE agreeing with RATE_LIMIT_PER_MINUTE only warns', (t) => {
  const { config, warnings } = loadServiceConfig({
    RATE_LIMIT_PER_MINUTE: '250',
    MAX_REQUESTS_PER_MINUTE: '250',
  });
  t.is(config.rateLimitPerMinute, 250);
  t.is(warnings.length, 1);
});

const retired = [
  ['TARGET_CPU_UTILIZATION', '0.7', 'CONCURRENCY'],
  ['TARGET_MEMORY_UTILIZATION', '0.8', 'MEMORY_LIMIT_MB'],
  ['SCALE_UP_COOLDOWN_SECONDS', '60', 'MIN_INSTANCES'],
  ['SCALE_DOWN_COOLDOWN_SECONDS', '300', 'MIN_INSTANCES'],
  ['GRACEFUL_SHUTDOWN_TIMEOUT', '30', 'DRAIN_TIMEOUT_MS'],
] as const;
for (const [variable, value, replacement] of retired) {
  test(`config: setting the retired ${variable} warns and names ${replacement}`, (t) => {
    const { warnings } = loadServiceConfig({ [variable]: value });
    t.is(warnings.length, 1);
    t.true(warnings[0]?.startsWith(`${variable} is no longer read; use `));
    t.true(warnings[0]?.includes(replacement));
  });
}

test('config: ADMIN_API_KEY is an alias of ADMIN_API_KEYS, with a warning', (t) => {
  const { config, warnings } = loadServiceConfig({ ADMIN_API_KEY: KEY_A });
  t.is(config.auth.adminApiKeys.matches(KEY_A), keyId(KEY_A));
  t.true(warnings.some((w) => w.startsWith('ADMIN_API_KEY is deprecated')));
});

test('config: keys load from a *_FILE (Secret Manager volume), one per line or comma-separated', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-keys-'));
  const file = join(dir, 'keys');
  writeFileSync(file, `${KEY_A}\n${KEY_B},\n`);
  const { config } = loadServiceConfig({ API_KEYS_FILE: file });
  t.is(config.auth.apiKeys.size, 2);
  t.is(config.auth.apiKeys.matches(KEY_B), keyId(KEY_B));
  t.is(config.auth.apiKeys.matches('not-a-key-at-all-xxxx'), null);
  t.deepEqual(config.auth.apiKeys.reference, {
    variable: 'API_KEYS_FILE',
    path: file,
    ids: [keyId(KEY_A), keyId(KEY_B)],
  });
});

test('config: secrets never appear in JSON, inspect or string output; key ids do', (t) => {
  const { config } = loadServiceConfig({ API_KEYS: `${KEY_A},${KEY_B}`, ADMIN_API_KEYS: KEY_B });
  const outputs = [
    JSON.stringify(config),
    inspect(config, { depth: 10 }),
    String(config.auth.apiKeys),
  ];
  for (const out of outputs) {
    t.false(out.includes(KEY_A));
    t.false(out.includes(KEY_B));
    t.true(out.includes(keyId(KEY_A)));
  }
  t.regex(keyId(KEY_A), /^[0-9a-f]{8}$/);
});

test('config: production allows no CORS origin and keeps /metrics private by default', (t) => {
  const { config } = loadServiceConfig({ ENVIRONMENT: 'production', AUTH_MODE: 'iam' });
  t.deepEqual(config.http.corsOrigins, []);
  t.is(config.metricsPublic, false);
});

test('config: CORS_ORIGINS is lower-cased, trimmed and deduplicated', (t) => {
  const { config } = loadServiceConfig({
    CORS_ORIGINS: ' https://App.Example.com ,https://app.example.com,http://localhost:* ',
  });
  t.deepEqual(config.http.corsOrigins, ['https://app.example.com', 'http://localhost:*']);
});

test('config: AUTH_MODE=iam outside Cloud Run starts, with a warning that nothing checks callers', (t) => {
  const { config, warnings } = loadServiceConfig({
    ENVIRONMENT: 'production',
    AUTH_MODE: 'iam',
    RATE_LIMIT_REDIS_URL: 'redis://10.0.0.3:6379',
  });
  t.is(config.auth.mode, 'iam');
  t.deepEqual(warnings, [
    'AUTH_MODE=iam outside Cloud Run: nothing in front of this service checks callers',
  ]);
});

test('config: development defaults to AUTH_MODE=none; staging and production to api-key', (t) => {
  t.is(loadServiceConfig({}).config.auth.mode, 'none');
  const key = { API_KEYS: 'client-key-0123456789abcdef' };
  t.is(loadServiceConfig({ ENVIRONMENT: 'staging', ...key }).config.auth.mode, 'api-key');
  t.is(loadServiceConfig({ ENVIRONMENT: 'production', ...key }).config.auth.mode, 'api-key');
});

test('config: production without RATE_LIMIT_REDIS_URL warns that the limit is per instance', (t) => {
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

test('config: TRUST_PROXY_HOPS is 1 on Cloud Run and 0 elsewhere', (t) => {
  t.is(
    loadServiceConfig({ K_SERVICE: 'svc', ENVIRONMENT: 'development' }).config.rateLimit
      .trustProxyHops,
    1,
  );
  t.is(loadServiceConfig({}).config.rateLimit.trustProxyHops, 0);
  t.is(
    loadServiceConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }).config.rateLimit.trustProxyHops,
    0,
  );
});

test('config: a K_REVISION that could not go into a response header is refused, naming the variable', (t) => {
  for (const revision of ['runwatch-00042\r\nx-injected: 1', 'rev with spaces', 'r'.repeat(101)]) {
    const problems = problemsOf({ K_REVISION: revision });
    t.is(problems.length, 1, revision);
    t.regex(problems[0] ?? '', /K_REVISION.*expected a revision name/);
  }
  t.deepEqual(problemsOf({ K_REVISION: 'runwatch-00042-abc' }), []);
});

test('config: SHED_HOLD_MS within 1 s of KEEP_ALIVE_TIMEOUT_MS is refused: Node could close a held connection as idle, its request unread', (t) => {
  for (const hold of ['6000', '5500', '5001']) {
    const problems = problemsOf({ SHED_HOLD_MS: hold, KEEP_ALIVE_TIMEOUT_MS: '6000' });
    t.is(problems.length, 1, hold);
    t.regex(problems[0] ?? '', /SHED_HOLD_MS.*at most KEEP_ALIVE_TIMEOUT_MS \(6000\) less 1000 ms/);
  }
  t.deepEqual(problemsOf({ SHED_HOLD_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '6000' }), []);
  t.deepEqual(problemsOf({ SHED_HOLD_MS: '0', KEEP_ALIVE_TIMEOUT_MS: '1000' }), []);
});

test('config: AUTH_MODE=api-key with an empty API_KEYS is refused at start, the value redacted', (t) => {
  for (const keys of ['', ' , ,']) {
    const problems = problemsOf({ AUTH_MODE: 'api-key', API_KEYS: keys });
    t.is(problems.length, 1, JSON.stringify(keys));
    t.regex(problems[0] ?? '', /API_KEYS.*at least one key/);
  }
});
