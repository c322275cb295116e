import test from 'ava';
import { ConfigError } from '../../lib/config/problems.js';
import { loadPubSubEnsureConfig } from '../../tools/pubsub-config.js';

test('pubsub:ensure config: with the emulator, only INGEST_PUSH_ENDPOINT is needed and the project is runwatch-local', (t) => {
  t.deepEqual(
    loadPubSubEnsureConfig({
      PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
      INGEST_PUSH_ENDPOINT: 'http://127.0.0.1:8090/alert-ingest',
    }),
    {
      emulatorHost: '127.0.0.1:8085',
      projectId: 'runwatch-local',
      endpoints: { alertIngest: { url: 'http://127.0.0.1:8090/alert-ingest' } },
      timeoutMs: 10_000,
    },
  );
});

test('pubsub:ensure config: PUBSUB_PROJECT_ID wins over GOOGLE_CLOUD_PROJECT, and the OIDC identity goes with the endpoint', (t) => {
  const c = loadPubSubEnsureConfig({
    PUBSUB_PROJECT_ID: 'runwatch-prod',
    GOOGLE_CLOUD_PROJECT: 'other-proj',
    INGEST_PUSH_ENDPOINT: 'https://alertingest-abc-uc.a.run.app/',
    INGEST_PUSH_SERVICE_ACCOUNT: 'pusher@runwatch-prod.iam.gserviceaccount.com',
    INGEST_PUSH_AUDIENCE: 'https://alertingest-abc-uc.a.run.app',
    PUBSUB_ENSURE_TIMEOUT_MS: '30000',
  });
  t.is(c.projectId, 'runwatch-prod');
  t.is(c.emulatorHost, undefined);
  t.is(c.timeoutMs, 30_000);
  t.deepEqual(c.endpoints.alertIngest, {
    url: 'https://alertingest-abc-uc.a.run.app/',
    oidc: {
      serviceAccountEmail: 'pusher@runwatch-prod.iam.gserviceaccount.com',
      audience: 'https://alertingest-abc-uc.a.run.app',
    },
  });
});

const bad = [
  {
    name: 'no push endpoint',
    env: { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' },
    variable: 'INGEST_PUSH_ENDPOINT',
  },
  {
    name: 'a push endpoint that is not a URL',
    env: { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', INGEST_PUSH_ENDPOINT: 'localhost:8090' },
    variable: 'INGEST_PUSH_ENDPOINT',
  },
  {
    name: 'a plain-http endpoint on a real project',
    env: { PUBSUB_PROJECT_ID: 'runwatch-prod', INGEST_PUSH_ENDPOINT: 'http://x.example/' },
    variable: 'INGEST_PUSH_ENDPOINT',
  },
  {
    name: 'a real project without a project id',
    env: { INGEST_PUSH_ENDPOINT: 'https://x.example/' },
    variable: 'PUBSUB_PROJECT_ID',
  },
  {
    name: 'an emulator host without a port',
    env: { PUBSUB_EMULATOR_HOST: 'localhost', INGEST_PUSH_ENDPOINT: 'http://127.0.0.1:9/' },
    variable: 'PUBSUB_EMULATOR_HOST',
  },
  {
    name: 'an audience without a service account',
    env: {
      PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
      INGEST_PUSH_ENDPOINT: 'http://x/',
      INGEST_PUSH_AUDIENCE: 'aud',
    },
    variable: 'INGEST_PUSH_AUDIENCE',
  },
  {
    name: 'a service account that is not an email',
    env: {
      PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
      INGEST_PUSH_ENDPOINT: 'http://x/',
      INGEST_PUSH_SERVICE_ACCOUNT: 'pusher',
    },
    variable: 'INGEST_PUSH_SERVICE_ACCOUNT',
  },
];

for (const row of bad) {
  test(`pubsub:ensure config: ${row.name} is CFG_ERR_INVALID naming ${row.variable}`, (t) => {
    const e = t.throws(() => loadPubSubEnsureConfig(row.env), { instanceOf: ConfigError });
    t.deepEqual(
      e?.problems.map((p) => p.variable),
      [row.variable],
    );
  });
}
