import test from 'ava';
import { loadServiceConfig } from '../../../service/config/index.js';
import { testRefusals } from '../../helpers/service-config.js';

const platforms = [
  {
    name: 'Cloud Run',
    env: { K_SERVICE: 'svc', ENVIRONMENT: 'production', AUTH_MODE: 'iam' },
    platform: 'cloud-run',
    drain: [0, 8000, 1000],
  },
  {
    name: 'Kubernetes',
    env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', ENVIRONMENT: 'development' },
    platform: 'kubernetes',
    drain: [5000, 23000, 1000],
  },
  { name: 'elsewhere', env: {}, platform: 'local', drain: [0, 25000, 1000] },
];
for (const p of platforms) {
  test(`config drain: the defaults on ${p.name} are ${p.drain.join(' / ')}`, (t) => {
    const { config } = loadServiceConfig(p.env);
    t.is(config.platform as string, p.platform);
    t.deepEqual(
      [config.drain.preCloseDelayMs, config.drain.timeoutMs, config.drain.handlersTimeoutMs],
      p.drain,
    );
  });
}

testRefusals('drain', [
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
    name: "the SAMO-DL API's 30 s shutdown on Cloud Run",
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
    env: {
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      ENVIRONMENT: 'development',
      DRAIN_PRE_CLOSE_DELAY_MS: '10000',
    },
    message:
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS="10000 + 23000 + 1000 = 34000": expected a sum below 30000 ms, the Kubernetes default termination grace period (30 s)',
  },
  {
    name: 'a non-numeric drain timeout',
    env: { DRAIN_TIMEOUT_MS: '8s' },
    message: 'DRAIN_TIMEOUT_MS="8s": expected an integer from 0 to 600000',
  },
]);
