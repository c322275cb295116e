import test from 'ava';
import { loadFunctionsConfig } from '../../../functions/shared/config.js';
import { ConfigError } from '../../../lib/config/problems.js';

test('functions config: only defaults without variables (the SQLite store, the targets file, info logs)', (t) => {
  t.deepEqual(loadFunctionsConfig({}), {
    storeUrl: 'sqlite:.runwatch/runwatch.db',
    retentionDays: 30,
    platform: 'local',
    targetsFile: 'alerts/definitions/targets.yaml',
    sweepTargets: undefined,
    rulesDir: 'alerts/definitions/trend-rules',
    alertingFile: 'alerts/definitions/alerting.yaml',
    deliveryMaxAgeMs: 3_600_000,
    heartbeatJob: undefined,
    heartbeatMaxSilenceMs: 300_000,
    sweepConcurrency: 8,
    logLevel: 'info',
    sweepAudience: undefined,
    sweepInvokers: [],
    iamGuarded: false,
    pubsub: false,
    findingsTopic: 'alert-ingest',
    publishTimeoutMs: 2000,
    ingest: { maxDataBytes: 1_048_576, leaseMs: 10_000, publishTimeoutMs: 2000 },
    projectId: undefined,
    pubsubEmulatorHost: undefined,
    pruneBatch: 5000,
  });
});

test('functions config: ALERTS_PUBSUB=auto turns Pub/Sub on on Cloud Run, with an emulator or a findings topic, and on/off force it', (t) => {
  const cloudRun = { K_SERVICE: 'fn', SWEEP_IAM_GUARDED: 'true' };
  const cases: [Record<string, string>, boolean][] = [
    [{}, false],
    [cloudRun, true],
    [{ ...cloudRun, ALERTS_PUBSUB: 'off' }, false],
    [{ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }, true],
    [{ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', ALERTS_PUBSUB: 'off' }, false],
    [{ SWEEP_FINDINGS_TOPIC: 'mine' }, true],
    [{ ALERTS_PUBSUB: 'on' }, true],
  ];
  for (const [env, on] of cases) {
    t.is(
      loadFunctionsConfig({ STORE_URL: 'postgres://h/db', ...env }).pubsub,
      on,
      JSON.stringify(env),
    );
  }
});

test('functions config: LOG_LEVEL is checked as the service and the stack check it', (t) => {
  const e = t.throws(() => loadFunctionsConfig({ LOG_LEVEL: 'loud' }), { instanceOf: ConfigError });
  t.deepEqual(e?.problems, [
    {
      variable: 'LOG_LEVEL',
      value: 'loud',
      expected: 'one of trace, debug, info, warn, error, fatal, silent',
    },
  ]);
});

test('functions config: every bad value is reported at once, STORE_URL redacted', (t) => {
  const e = t.throws(
    () =>
      loadFunctionsConfig({
        STORE_URL: ' ',
        STORE_RETENTION_DAYS: '0',
        SWEEP_CONCURRENCY: 'x',
        SWEEP_PUBLISH_TIMEOUT_MS: '10',
        PUBSUB_EMULATOR_HOST: 'x',
        SWEEP_PRUNE_BATCH: '-1',
      }),
    { instanceOf: ConfigError },
  );
  t.deepEqual(
    e?.problems.map((p) => [p.variable, p.value]),
    [
      ['STORE_URL', '[redacted]'],
      ['STORE_RETENTION_DAYS', '0'],
      ['SWEEP_PRUNE_BATCH', '-1'],
      ['SWEEP_CONCURRENCY', 'x'],
      ['SWEEP_PUBLISH_TIMEOUT_MS', '10'],
      ['PUBSUB_EMULATOR_HOST', 'x'],
    ],
  );
});

test('functions config: K_SERVICE selects Cloud Run; SWEEP_TARGETS and the emulator host are kept as given', (t) => {
  const c = loadFunctionsConfig({
    K_SERVICE: 'health-sweep',
    SWEEP_IAM_GUARDED: 'true',
    STORE_URL: 'postgres://u:p@db/runwatch',
    SWEEP_TARGETS: '[{"name":"a","url":"http://x"}]',
    PUBSUB_EMULATOR_HOST: ' localhost:8085 ',
  });
  t.like(c, {
    platform: 'cloud-run',
    storeUrl: 'postgres://u:p@db/runwatch',
    sweepTargets: '[{"name":"a","url":"http://x"}]',
    pubsubEmulatorHost: 'localhost:8085',
  });
});

test('functions config: on Cloud Run without SWEEP_AUDIENCE or SWEEP_IAM_GUARDED=true the functions refuse to start, naming both ways out', (t) => {
  const e = t.throws(() => loadFunctionsConfig({ K_SERVICE: 'health-sweep' }), {
    instanceOf: ConfigError,
  });
  t.is(e?.problems.length, 1);
  t.like(e?.problems[0], { variable: 'SWEEP_AUDIENCE', value: undefined });
  t.regex(e?.problems[0]?.expected ?? '', /SWEEP_INVOKER.*SWEEP_IAM_GUARDED=true/);
  t.like(loadFunctionsConfig({ K_SERVICE: 'health-sweep', SWEEP_IAM_GUARDED: 'true' }), {
    iamGuarded: true,
    sweepAudience: undefined,
  });
  t.like(
    loadFunctionsConfig({
      K_SERVICE: 'health-sweep',
      SWEEP_AUDIENCE: 'https://sweep.example.run.app',
      SWEEP_INVOKER: 'scheduler@p.iam.gserviceaccount.com',
    }),
    { iamGuarded: false, sweepAudience: 'https://sweep.example.run.app' },
  );
  t.false(loadFunctionsConfig({}).iamGuarded, 'off Cloud Run neither is needed');
});
