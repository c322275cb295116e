/** deploy:apply's command line and environment, parsed strictly. */
import test from 'ava';
import {
  DEFAULT_METRIC_WAIT_MS,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT_MS,
  loadApplyEnv,
  parseApplyArgs,
} from '../../../deploy/apply/config.js';
import { DEPLOY_APPLY_ERR_USAGE } from '../../../deploy/apply/errors.js';
import { ConfigError } from '../../../lib/config/problems.js';

const BASE = ['--env', 'production', '--project', 'runwatch-prod'];

test('deploy apply args: --env and --project alone give the defaults', (t) => {
  t.deepEqual(parseApplyArgs(BASE), {
    environment: 'production',
    projectId: 'runwatch-prod',
    region: DEFAULT_REGION,
    serviceName: 'runwatch',
    dryRun: false,
    adopt: false,
    json: false,
    definitionsFile: null,
    loggingEndpoint: null,
    monitoringEndpoint: null,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    metricWaitMs: null,
    runbookBaseUrl: null,
  });
});

test('deploy apply args: every option is read', (t) => {
  const args = parseApplyArgs([
    ...BASE,
    '--region',
    'europe-west1',
    '--service-name',
    'infer',
    '--dry-run',
    '--adopt',
    '--json',
    '--definitions',
    'set.json',
    '--logging-endpoint',
    '127.0.0.1:4001',
    '--monitoring-endpoint',
    'localhost:4002',
    '--timeout-ms',
    '2500',
    '--metric-wait-ms',
    '0',
  ]);
  t.like(args, {
    region: 'europe-west1',
    serviceName: 'infer',
    dryRun: true,
    adopt: true,
    json: true,
    definitionsFile: 'set.json',
    loggingEndpoint: { host: '127.0.0.1', port: 4001 },
    monitoringEndpoint: { host: 'localhost', port: 4002 },
    timeoutMs: 2500,
    metricWaitMs: 0,
  });
});

test('deploy apply args: --runbook-base-url is read, for the committed definitions', (t) => {
  t.like(
    parseApplyArgs([...BASE, '--runbook-base-url', 'https://github.com/o/runwatch/blob/main/']),
    {
      runbookBaseUrl: 'https://github.com/o/runwatch/blob/main/',
      definitionsFile: null,
    },
  );
});

test('deploy apply args: --help asks for the usage', (t) => {
  t.deepEqual(parseApplyArgs(['--help']), { help: true });
});

const refused = [
  [[], '--env', /--env is missing; expected production, staging, development/],
  [['--env', 'prod', '--project', 'runwatch-prod'], '--env', /--env is "prod"/],
  [['--env', 'staging'], '--project', /--project is missing/],
  [
    ['--env', 'staging', '--project', 'Bad_Project'],
    '--project',
    /--project is "Bad_Project"; expected a project id/,
  ],
  [
    [...BASE, '--region', 'mars'],
    '--region',
    /--region is "mars"; expected a region such as us-central1/,
  ],
  [[...BASE, '--logging-endpoint', 'localhost'], '--logging-endpoint', /expected host:port/],
  [[...BASE, '--monitoring-endpoint', 'h:99999'], '--monitoring-endpoint', /expected host:port/],
  [[...BASE, '--timeout-ms', '50'], '--timeout-ms', /expected an integer from 100 to 120000/],
  [
    [...BASE, '--metric-wait-ms=-5'],
    '--metric-wait-ms',
    /--metric-wait-ms is "-5"; expected an integer from 0 to 3600000/,
  ],
  [[...BASE, '--metric-wait-ms', '1.5'], '--metric-wait-ms', /expected an integer from 0/],
  [
    [...BASE, '--runbook-base-url', 'http://github.com/o/runwatch/blob/main/'],
    '--runbook-base-url',
    /--runbook-base-url is "http:\/\/github.com\/o\/runwatch\/blob\/main\/"; expected an absolute https URL ending in '\/'/,
  ],
  [
    [...BASE, '--runbook-base-url', 'https://github.com/o/runwatch/blob/main'],
    '--runbook-base-url',
    /--runbook-base-url is "https:\/\/github.com\/o\/runwatch\/blob\/main"; expected an absolute https URL ending in '\/'/,
  ],
  [
    [...BASE, '--runbook-base-url', 'docs/runbooks/'],
    '--runbook-base-url',
    /--runbook-base-url is "docs\/runbooks\/"; expected an absolute https URL/,
  ],
  [
    [...BASE, '--runbook-base-url', 'https://h/x/?ref=main/'],
    '--runbook-base-url',
    /expected an absolute https URL ending in '\/'/,
  ],
  [
    [...BASE, '--definitions', 'set.json', '--runbook-base-url', 'https://h/o/'],
    '--runbook-base-url',
    /--runbook-base-url resolves the committed definitions; a --definitions set is resolved already/,
  ],
  [[...BASE, '--force'], 'argv', /Unknown option '--force'/],
] as const;

for (const [argv, field, message] of refused) {
  test(`deploy apply args: ${argv.join(' ') || '(none)'} is DEPLOY_APPLY_ERR_USAGE naming ${field}`, (t) => {
    const e = t.throws(() => parseApplyArgs(argv));
    t.like(e, { code: DEPLOY_APPLY_ERR_USAGE, field });
    t.regex(e?.message ?? '', message);
  });
}

test('deploy apply env: PUBSUB_EMULATOR_HOST points Pub/Sub at the emulator; unset, at Google', (t) => {
  t.like(loadApplyEnv({ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }), {
    pubsubEmulatorHost: '127.0.0.1:8085',
  });
  t.like(loadApplyEnv({}), { pubsubEmulatorHost: undefined });
});

test('deploy apply env: DEPLOY_APPLY_METRIC_WAIT_MS is the log-metric wait budget; unset, ten minutes', (t) => {
  t.is(DEFAULT_METRIC_WAIT_MS, 600_000);
  t.deepEqual(loadApplyEnv({}), {
    pubsubEmulatorHost: undefined,
    metricWaitMs: DEFAULT_METRIC_WAIT_MS,
    runbookBaseUrl: undefined,
  });
  t.is(loadApplyEnv({ DEPLOY_APPLY_METRIC_WAIT_MS: '30000' }).metricWaitMs, 30_000);
  const e = t.throws(() => loadApplyEnv({ DEPLOY_APPLY_METRIC_WAIT_MS: '10m' }), {
    instanceOf: ConfigError,
  });
  t.deepEqual(
    (e as ConfigError).problems.map((p) => [p.variable, p.value]),
    [['DEPLOY_APPLY_METRIC_WAIT_MS', '10m']],
  );
});

test('deploy apply env: a PUBSUB_EMULATOR_HOST without a port is CFG_ERR_INVALID naming it', (t) => {
  const e = t.throws(() => loadApplyEnv({ PUBSUB_EMULATOR_HOST: 'localhost' }), {
    instanceOf: ConfigError,
  });
  t.deepEqual(
    (e as ConfigError).problems.map((p) => [p.variable, p.value]),
    [['PUBSUB_EMULATOR_HOST', 'localhost']],
  );
});

test('deploy apply env: DEPLOY_APPLY_RUNBOOK_BASE_URL is read as set, empty as unset (Cloud Build passes an empty substitution)', (t) => {
  t.is(loadApplyEnv({ DEPLOY_APPLY_RUNBOOK_BASE_URL: '' }).runbookBaseUrl, undefined);
  t.is(
    loadApplyEnv({ DEPLOY_APPLY_RUNBOOK_BASE_URL: 'https://example.com/r/' }).runbookBaseUrl,
    'https://example.com/r/',
  );
});
