import test from 'ava';
import { loadServiceConfig } from '../../../service/config/index.js';
import { testRefusals } from '../../helpers/service-config.js';

testRefusals('http', [
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
    name: 'a port out of range',
    env: { PORT: '70000' },
    message: 'PORT="70000": expected an integer from 0 to 65535',
  },
]);

test('config http: CORS_ORIGINS is lower-cased, trimmed and deduplicated', (t) => {
  const { config } = loadServiceConfig({
    CORS_ORIGINS: ' https://App.Example.com ,https://app.example.com,http://localhost:* ',
  });
  t.deepEqual(config.http.corsOrigins, ['https://app.example.com', 'http://localhost:*']);
});
