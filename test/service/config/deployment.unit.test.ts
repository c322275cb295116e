import test from 'ava';
import { loadServiceConfig } from '../../../service/config/index.js';
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
