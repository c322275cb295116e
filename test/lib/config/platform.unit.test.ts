import test from 'ava';
import { detectPlatform } from '../../../lib/config/platform.js';

test('config platform: K_SERVICE means Cloud Run, KUBERNETES_SERVICE_HOST Kubernetes, neither local', (t) => {
  t.is(detectPlatform({ K_SERVICE: 'svc', KUBERNETES_SERVICE_HOST: '10.0.0.1' }), 'cloud-run');
  t.is(detectPlatform({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }), 'kubernetes');
  t.is(detectPlatform({ K_SERVICE: '' }), 'local');
  t.is(detectPlatform({}), 'local');
});
