import test from 'ava';
import { ConfigError } from '../../../lib/config/problems.js';
import { loadServiceConfig } from '../../../service/config/index.js';
import { problemsOf } from '../../helpers/service-config.js';

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
  test(`config: the ${p.environment} preset carries the SAMO-DL API's values`, (t) => {
    const { config } = loadServiceConfig({
      ENVIRONMENT: p.environment,
      AUTH_MODE: 'iam',
      K_SERVICE: 'svc',
    });
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

test('config: production allows no CORS origin and keeps /metrics private by default', (t) => {
  const { config } = loadServiceConfig({
    ENVIRONMENT: 'production',
    AUTH_MODE: 'iam',
    K_SERVICE: 'svc',
  });
  t.deepEqual(config.http.corsOrigins, []);
  t.is(config.metricsPublic, false);
});
