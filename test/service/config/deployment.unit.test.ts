import test from 'ava';
import { ConfigError } from '../../../lib/config/problems.js';
import { DEVELOPER_HOST, loadServiceConfig } from '../../../service/config/index.js';
import { problemsOf, testRefusals } from '../../helpers/service-config.js';

testRefusals('deployment', [
  {
    name: 'an unknown ENVIRONMENT',
    env: { ENVIRONMENT: 'test' },
    message: 'ENVIRONMENT="test": expected one of production, staging, development',
  },
  {
    name: 'a missing ENVIRONMENT on Cloud Run',
    env: { K_SERVICE: 'svc' },
    message:
      "ENVIRONMENT=(unset): expected one of production, staging, development (on Cloud Run, on Kubernetes and in a container without a terminal: development's defaults need no API key and serve /metrics to anyone)",
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
    env: {
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      K_SERVICE: 'svc',
      MAX_INSTANCES: '1',
      MIN_INSTANCES: '2',
    },
    message: 'MIN_INSTANCES="2": expected at most MAX_INSTANCES (1)',
  },
  {
    name: 'a request timeout of 5 s',
    env: { TIMEOUT_SECONDS: '5' },
    message: 'TIMEOUT_SECONDS="5": expected an integer from 10 to 3600',
  },
  {
    name: "the SAMO-DL API's 900 s cap no longer applies but 3601 s is past Cloud Run's maximum",
    env: { TIMEOUT_SECONDS: '3601' },
    message: 'TIMEOUT_SECONDS="3601": expected an integer from 10 to 3600',
  },
]);

const retired = [
  ['TARGET_CPU_UTILIZATION', '0.7', 'CONCURRENCY'],
  ['TARGET_MEMORY_UTILIZATION', '0.8', 'MEMORY_LIMIT_MB'],
  ['SCALE_UP_COOLDOWN_SECONDS', '60', 'MIN_INSTANCES'],
  ['SCALE_DOWN_COOLDOWN_SECONDS', '300', 'MIN_INSTANCES'],
  ['GRACEFUL_SHUTDOWN_TIMEOUT', '30', 'DRAIN_TIMEOUT_MS'],
] as const;
for (const [variable, value, replacement] of retired) {
  test(`config deployment: setting the retired ${variable} warns and names ${replacement}`, (t) => {
    const { warnings } = loadServiceConfig({ [variable]: value });
    t.is(warnings.length, 1);
    t.true(warnings[0]?.startsWith(`${variable} is no longer read; use `));
    t.true(warnings[0]?.includes(replacement));
  });
}

test('config deployment: a K_REVISION that could not go into a response header is refused, naming the variable', (t) => {
  for (const revision of ['runwatch-00042\r\nx-injected: 1', 'rev with spaces', 'r'.repeat(101)]) {
    const problems = problemsOf({ K_REVISION: revision });
    t.is(problems.length, 1, revision);
    t.regex(problems[0] ?? '', /K_REVISION.*expected a revision name/);
  }
  t.deepEqual(problemsOf({ K_REVISION: 'runwatch-00042-abc' }), []);
});

test('config deployment: without ENVIRONMENT, Kubernetes and a container with no terminal are refused, not given development defaults', (t) => {
  const container = { container: true, tty: false };
  const refusals = [
    { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, host: DEVELOPER_HOST },
    { env: { K_SERVICE: 'emotion' }, host: DEVELOPER_HOST },
    { env: {}, host: container },
  ];
  for (const { env, host } of refusals) {
    const e = t.throws(() => loadServiceConfig(env, host), { instanceOf: ConfigError });
    t.like(e?.problems[0], { variable: 'ENVIRONMENT', value: undefined });
    t.regex(e?.problems[0]?.expected ?? '', /Kubernetes and in a container without a terminal/);
  }
  t.is(loadServiceConfig({}, { container: true, tty: true }).config.environment, 'development');
  t.is(loadServiceConfig({}, { container: false, tty: false }).config.environment, 'development');
  t.is(
    loadServiceConfig({ ENVIRONMENT: 'development' }, container).config.environment,
    'development',
    'an explicit development is always allowed',
  );
});
