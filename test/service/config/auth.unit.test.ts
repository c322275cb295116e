import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import test from 'ava';
import { keyId } from '../../../lib/secrets.js';
import { loadServiceConfig } from '../../../service/config/index.js';
import { problemsOf, testRefusals } from '../../helpers/service-config.js';

const KEY_A = 'a-very-long-api-key-0001';
const KEY_B = 'a-very-long-api-key-0002';

testRefusals('auth', [
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
]);

test('config auth: ADMIN_API_KEY is an alias of ADMIN_API_KEYS, with a warning', (t) => {
  const { config, warnings } = loadServiceConfig({ ADMIN_API_KEY: KEY_A });
  t.is(config.auth.adminApiKeys.matches(KEY_A), keyId(KEY_A));
  t.true(warnings.some((w) => w.startsWith('ADMIN_API_KEY is deprecated')));
});

test('config auth: keys load from a *_FILE (Secret Manager volume), one per line or comma-separated', (t) => {
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

test('config auth: secrets never appear in JSON, inspect or string output; key ids do', (t) => {
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

test('config auth: production refuses AUTH_MODE=iam off Cloud Run, where nothing in front of the service checks callers, as it refuses none', (t) => {
  for (const platform of [{}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }]) {
    const problems = problemsOf({
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      RATE_LIMIT_REDIS_URL: 'redis://10.0.0.3:6379',
      ...platform,
    });
    t.is(problems.length, 1, problems.join('\n'));
    t.regex(problems[0] ?? '', /^AUTH_MODE="iam": expected api-key off Cloud Run/);
  }
  const onCloudRun = loadServiceConfig({
    ENVIRONMENT: 'production',
    AUTH_MODE: 'iam',
    K_SERVICE: 'emotion',
    RATE_LIMIT_REDIS_URL: 'redis://10.0.0.3:6379',
  });
  t.is(onCloudRun.config.auth.mode, 'iam');
});

test('config auth: AUTH_MODE=iam off Cloud Run outside production starts, with a warning that nothing checks callers', (t) => {
  const { config, warnings } = loadServiceConfig({ ENVIRONMENT: 'staging', AUTH_MODE: 'iam' });
  t.is(config.auth.mode, 'iam');
  t.deepEqual(warnings, [
    'AUTH_MODE=iam outside Cloud Run: nothing in front of this service checks callers',
  ]);
});

test('config auth: development defaults to AUTH_MODE=none; staging and production to api-key', (t) => {
  t.is(loadServiceConfig({}).config.auth.mode, 'none');
  const key = { API_KEYS: 'client-key-0123456789abcdef' };
  t.is(loadServiceConfig({ ENVIRONMENT: 'staging', ...key }).config.auth.mode, 'api-key');
  t.is(loadServiceConfig({ ENVIRONMENT: 'production', ...key }).config.auth.mode, 'api-key');
});

test('config auth: AUTH_MODE=api-key with an empty API_KEYS is refused at start, the value redacted', (t) => {
  for (const keys of ['', ' , ,']) {
    const problems = problemsOf({ AUTH_MODE: 'api-key', API_KEYS: keys });
    t.is(problems.length, 1, JSON.stringify(keys));
    t.regex(problems[0] ?? '', /API_KEYS.*at least one key/);
  }
});
