/**
 * `npm run deploy:apply` as a child process: Pub/Sub on the real emulator, Logging and
 * Monitoring on the local gRPC test doubles (test/helpers/fake-gcp/), the definitions a resolved
 * set written by the test (--definitions) or the committed ones. Each test has its own project
 * and doubles.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import type { PubSub } from '@google-cloud/pubsub';
import grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import { TOPICS } from '../../../alerts/pubsub/topology.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { type LoggingDouble, startLoggingDouble } from '../../helpers/fake-gcp/logging.js';
import { type MonitoringDouble, startMonitoringDouble } from '../../helpers/fake-gcp/monitoring.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../../helpers/pubsub-emulator.js';
import { type CliRun, runCli } from '../../helpers/run-cli.js';
import { changed, logMatchPolicy, resolvedFixture, thresholdPolicy } from './fixtures.js';
import { type LogMetricVisibility, MUTATING } from './harness.js';

test.after.always(stopPubSubEmulator);

const CLI = fileURLToPath(new URL('../../../deploy/cli/apply.js', import.meta.url));

interface Stage {
  readonly projectId: string;
  readonly pubsub: PubSub;
  readonly logging: LoggingDouble;
  readonly monitoring: MonitoringDouble;
  /** Writes `set` as the definitions file the next runs read. */
  define(set: ResolvedMonitoring): void;
  /** A run on the definitions file. */
  run(...extra: string[]): Promise<CliRun>;
  /** A run on the committed definitions (no --definitions), with `env` added. */
  runCommitted(env: Record<string, string>, ...extra: string[]): Promise<CliRun>;
}

async function withStage(
  t: ExecutionContext,
  fn: (s: Stage) => Promise<void>,
  options: { readonly logMetrics?: LogMetricVisibility } = {},
): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('cli');
  const dir = mkdtempSync(join(tmpdir(), 'deploy-apply-'));
  const file = join(dir, 'resolved.json');
  const pubsub = emulatorClient(emulator, projectId);
  const logging = await startLoggingDouble();
  const monitoring = await startMonitoringDouble(
    options.logMetrics === undefined
      ? {}
      : { logMetricVisibility: { metrics: logging.metrics, ...options.logMetrics } },
  );
  const cli = (args: readonly string[], env: Record<string, string> = {}) =>
    runCli(
      CLI,
      [
        '--env',
        'production',
        '--project',
        projectId,
        '--logging-endpoint',
        logging.host,
        '--monitoring-endpoint',
        monitoring.host,
        '--timeout-ms',
        '5000',
        ...args,
      ],
      { PUBSUB_EMULATOR_HOST: emulator.host, ...env },
    );
  const stage: Stage = {
    projectId,
    pubsub,
    logging,
    monitoring,
    define: (set) => writeFileSync(file, JSON.stringify(set)),
    run: (...extra) => cli(['--definitions', file, ...extra]),
    runCommitted: (env, ...extra) => cli(extra, env),
  };
  stage.define(resolvedFixture(projectId));
  try {
    await fn(stage);
  } finally {
    await pubsub.close();
    await Promise.all([logging.stop(), monitoring.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (r: CliRun) => r.out.trim().split('\n').at(-1);
const mutations = (s: Stage) =>
  [...s.logging.calls, ...s.monitoring.calls].filter((c) => MUTATING.test(c.method)).length;

test('deploy apply CLI (Pub/Sub emulator, local gRPC test doubles for Logging and Monitoring): a dry run shows creates, apply makes them, and a dry run after shows nothing', (t) =>
  withStage(t, async (s) => {
    const dry = await s.run('--dry-run');
    t.is(dry.code, 0, dry.err);
    t.regex(
      dry.out,
      /^deploy:apply dry run for production: project cli-[0-9a-f]+, region us-central1 \(nothing is changed\)$/m,
    );
    t.regex(dry.out, /^ {2}topic +create +ingest +projects\/cli-[0-9a-f]+\/topics\/alert-ingest$/m);
    t.regex(dry.out, /^ {2}policy +create +service-5xx-ratio +\(named by Monitoring on create\)$/m);
    t.is(
      summary(dry),
      'dry run: 12 to create, 0 to update, 0 unchanged, 0 not touched, 1 waiting, 0 failed',
    );
    t.is(mutations(s), 0);
    t.deepEqual((await s.pubsub.getTopics())[0], []);

    const applied = await s.run();
    t.is(applied.code, 0, applied.err);
    t.is(
      summary(applied),
      '12 created, 0 updated, 0 unchanged, 0 not touched, 1 waiting, 0 failed',
    );
    t.regex(
      applied.out,
      /no Eventarc trigger subscription on projects\/.*\/topics\/alert-ingest yet/,
    );

    const after = await s.run('--dry-run');
    t.is(after.code, 0, after.err);
    t.is(
      summary(after),
      'dry run: 0 to create, 0 to update, 12 unchanged, 0 not touched, 1 waiting, 0 failed',
    );
    t.is(s.monitoring.policies.size, 2);
    t.is(s.monitoring.channels.size, 1);
  }));

test("deploy apply CLI (Pub/Sub emulator, a subscription named like an Eventarc trigger's as its stand-in, local gRPC test doubles): once the function is deployed, apply wires its subscription and then changes nothing", (t) =>
  withStage(t, async (s) => {
    t.is((await s.run()).code, 0);
    const trigger = `projects/${s.projectId}/subscriptions/eventarc-us-central1-alert-ingest-trigger-417-sub-902`;
    await s.pubsub.createSubscription(`projects/${s.projectId}/topics/${TOPICS.ingest}`, trigger, {
      pushConfig: { pushEndpoint: 'http://127.0.0.1:9/' },
    });
    const dry = await s.run('--dry-run');
    t.is(
      summary(dry),
      'dry run: 0 to create, 1 to update, 12 unchanged, 0 not touched, 0 waiting, 0 failed',
    );
    t.regex(
      dry.out,
      new RegExp(`^ {2}subscription +update +ingestPush \\(Eventarc trigger\\) +${trigger}$`, 'm'),
    );
    t.regex(
      dry.out,
      /^ +deadLetterPolicy: none → to projects\/.*\/topics\/alert-ingest-dead-letter after 5 attempts$/m,
    );
    t.is((await s.run()).code, 0);
    const after = await s.run('--dry-run');
    t.is(
      summary(after),
      'dry run: 0 to create, 0 to update, 13 unchanged, 0 not touched, 0 waiting, 0 failed',
    );
  }));

test('deploy apply CLI (local gRPC test double for Monitoring): a changed definition shows exactly that update, and applies it', (t) =>
  withStage(t, async (s) => {
    t.is((await s.run()).code, 0);
    s.define({
      ...resolvedFixture(s.projectId),
      policies: [
        logMatchPolicy(),
        changed(thresholdPolicy(), (r) => {
          const c = (r.conditions as { conditionThreshold: { thresholdValue: number } }[])[0];
          if (c !== undefined) c.conditionThreshold.thresholdValue = 0.1;
        }),
      ],
    });
    const dry = await s.run('--dry-run');
    t.is(
      summary(dry),
      'dry run: 0 to create, 1 to update, 11 unchanged, 0 not touched, 1 waiting, 0 failed',
    );
    const lines = dry.out.split('\n');
    const row = lines.findIndex((l) =>
      /^ {2}policy +update +service-5xx-ratio +projects\//.test(l),
    );
    t.not(row, -1, dry.out);
    t.is(lines[row + 1]?.trim(), 'conditions[0].conditionThreshold.thresholdValue: 0.05 → 0.1');
    t.regex(lines[row + 2] ?? '', /^( {2}\S|$)/, 'one change, then the next row or the end');
    const applied = await s.run();
    t.is(
      summary(applied),
      '0 created, 1 updated, 11 unchanged, 0 not touched, 1 waiting, 0 failed',
    );
    const update = s.monitoring.calls.filter((c) => c.method === 'updateAlertPolicy');
    t.deepEqual(
      update.map((c) => c.request.updateMask),
      [{ paths: ['conditions'] }],
    );
  }));

test('deploy apply CLI (local gRPC test double for Monitoring): a policy created outside runwatch is reported not touched, and the run succeeds', (t) =>
  withStage(t, async (s) => {
    s.define({ ...resolvedFixture(s.projectId), policies: [thresholdPolicy()] });
    t.is((await s.run()).code, 0);
    s.define({ ...resolvedFixture(s.projectId), policies: [logMatchPolicy(), thresholdPolicy()] });
    // Someone made a policy of the same name by hand (no runwatch labels).
    const policies = new AlertPolicyServiceClient(s.monitoring.clientOptions());
    const [foreign] = await policies.createAlertPolicy({
      name: `projects/${s.projectId}`,
      alertPolicy: {
        displayName: 'runwatch service ERROR logs',
        combiner: 'OR',
        conditions: [
          { displayName: 'by hand', conditionMatchedLog: { filter: 'severity>=ERROR' } },
        ],
        alertStrategy: { notificationRateLimit: { period: { seconds: 3600 } } },
      },
    });
    await policies.close();
    const r = await s.run();
    t.is(r.code, 0, r.err);
    t.regex(
      r.out,
      new RegExp(`^ {2}policy +not touched +service-error-logs +${foreign.name}$`, 'm'),
    );
    t.regex(
      r.out,
      /note: one exists with displayName "runwatch service ERROR logs" without the managed-by: runwatch label \(created outside runwatch\); not touched, and none created beside it/,
    );
    t.is(summary(r), '0 created, 0 updated, 11 unchanged, 1 not touched, 1 waiting, 0 failed');
    t.like(s.monitoring.policies.get(foreign.name ?? ''), { userLabels: undefined });
  }));

test('deploy apply CLI (local gRPC test double for Logging): PERMISSION_DENIED on one resource is reported with the resource and the API error, the others apply, and the exit code is 1', (t) =>
  withStage(t, async (s) => {
    s.logging.inject({
      method: 'createLogMetric',
      code: grpc.status.PERMISSION_DENIED,
      details: "Permission 'logging.logMetrics.create' denied on resource (or it may not exist).",
    });
    const r = await s.run();
    t.is(r.code, 1);
    const message = `creating log metric projects/${s.projectId}/metrics/runwatch_sweep_probe_failures failed (gRPC 7 PERMISSION_DENIED): Permission 'logging.logMetrics.create' denied on resource (or it may not exist).`;
    t.is(r.err, `DEPLOY_APPLY_ERR_CALL_FAILED: logMetric sweep-probe-failures: ${message}\n`);
    t.regex(
      r.out,
      /^ {2}logMetric +failed +sweep-probe-failures +projects\/.*\/metrics\/runwatch_sweep_probe_failures$/m,
    );
    t.true(r.out.includes(`DEPLOY_APPLY_ERR_CALL_FAILED: ${message}`));
    t.is(summary(r), '11 created, 0 updated, 0 unchanged, 0 not touched, 1 waiting, 1 failed');
    t.is(s.logging.sinks.size, 1);
    t.is(s.monitoring.policies.size, 2);
  }));

test('deploy apply CLI: --json prints every result with its action and the counts', (t) =>
  withStage(t, async (s) => {
    const r = await s.run('--dry-run', '--json');
    t.is(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as {
      dryRun: boolean;
      counts: Record<string, number>;
      results: { kind: string; id: string; action: string }[];
    };
    t.true(doc.dryRun);
    t.like(doc.counts, { create: 12, update: 0, waiting: 1, failed: 0 });
    t.deepEqual(
      doc.results.filter((x) => x.kind === 'policy').map((x) => `${x.id} ${x.action}`),
      ['service-error-logs create', 'service-5xx-ratio create'],
    );
  }));

test('deploy apply CLI: a definition problem stops the run before any call, exit 1; a usage error exits 2', (t) =>
  withStage(t, async (s) => {
    s.define({
      ...resolvedFixture(s.projectId),
      policies: [
        changed(thresholdPolicy(), (r) => {
          r.severity = 'URGENT';
        }),
      ],
    });
    const bad = await s.run();
    t.is(bad.code, 1);
    t.regex(
      bad.err,
      /^DEPLOY_APPLY_ERR_DEFINITIONS_INVALID: 1 definition problem; nothing was applied:\n {2}alerts\/definitions\/monitoring\/policies\/service-5xx-ratio\.yaml: field severity is "URGENT"/,
    );
    t.is(s.logging.calls.length + s.monitoring.calls.length, 0);
    t.deepEqual((await s.pubsub.getTopics())[0], []);
    const usage = await runCli(CLI, ['--env', 'qa', '--project', s.projectId]);
    t.is(usage.code, 2);
    t.regex(
      usage.err,
      /^DEPLOY_APPLY_ERR_USAGE: --env is "qa"; expected production, staging, development\nusage: npm run deploy:apply/,
    );
  }));

const policyLinks = (s: Stage) =>
  [...s.monitoring.policies.values()].flatMap((p) =>
    ((p.documentation as { links?: { url: string }[] } | undefined)?.links ?? []).map((l) => l.url),
  );

test('deploy apply CLI (Pub/Sub emulator, local gRPC test doubles, the committed definitions): without --runbook-base-url one warning says the runbook links stay repository paths; with it the created policies link absolute URLs', (t) =>
  withStage(t, async (s) => {
    const dry = await s.runCommitted({}, '--dry-run');
    t.is(dry.code, 0, dry.err);
    t.deepEqual(
      dry.err.split('\n').filter((l) => l.startsWith('warning:')),
      [
        "warning: no --runbook-base-url (or DEPLOY_APPLY_RUNBOOK_BASE_URL): the alert policies' runbook links stay repository paths (docs/runbooks/<alertname>.md), which do not open from an incident",
      ],
    );
    const bad = await s.runCommitted(
      {},
      '--runbook-base-url',
      'https://github.com/o/runwatch/blob/main',
    );
    t.is(bad.code, 2);
    t.regex(
      bad.err,
      /^DEPLOY_APPLY_ERR_USAGE: --runbook-base-url is "https:\/\/github.com\/o\/runwatch\/blob\/main"; expected an absolute https URL ending in '\/'/,
    );
    const base = 'https://github.com/o/runwatch/blob/main/';
    const applied = await s.runCommitted({}, '--runbook-base-url', base);
    t.is(applied.code, 0, applied.err);
    t.false(applied.err.includes('warning:'));
    const links = policyLinks(s);
    t.true(links.length >= 9, links.join(', '));
    for (const url of links)
      t.regex(
        url,
        /^https:\/\/github\.com\/o\/runwatch\/blob\/main\/docs\/runbooks\/[A-Za-z0-9]+\.md$/,
      );
    t.true(links.includes(`${base}docs/runbooks/SweeperHeartbeatMissing.md`));
  }));

test('deploy apply CLI (Pub/Sub emulator, local gRPC test doubles, the committed definitions): DEPLOY_APPLY_RUNBOOK_BASE_URL is the runbook base when no flag is given, empty means none, and a bad one is refused by name', (t) =>
  withStage(t, async (s) => {
    const empty = await s.runCommitted({ DEPLOY_APPLY_RUNBOOK_BASE_URL: '' }, '--dry-run');
    t.is(empty.code, 0, empty.err);
    t.true(empty.err.includes('warning: no --runbook-base-url'));
    const bad = await s.runCommitted(
      { DEPLOY_APPLY_RUNBOOK_BASE_URL: 'http://example.com/' },
      '--dry-run',
    );
    t.not(bad.code, 0);
    t.regex(
      bad.err,
      /DEPLOY_APPLY_RUNBOOK_BASE_URL is "http:\/\/example\.com\/"; expected an absolute https URL/,
    );
    const base = 'https://example.com/runwatch/';
    const applied = await s.runCommitted({ DEPLOY_APPLY_RUNBOOK_BASE_URL: base });
    t.is(applied.code, 0, applied.err);
    t.false(applied.err.includes('warning:'));
    t.true(policyLinks(s).includes(`${base}docs/runbooks/SweeperHeartbeatMissing.md`));
  }));

const WAIT_LINE =
  /^waiting for log metric (sweep-completed|sweep-probe-failures) to become visible to Monitoring, retry in \d+ms \(creating alert policy "[A-Za-z0-9]+"\)$/;

test('deploy apply CLI (Pub/Sub emulator, local gRPC test doubles with Monitoring seeing a new log metric after refusing two calls on it, the committed definitions): a first apply waits for its log metrics, one stderr line per wait, and exits 0', (t) =>
  withStage(
    t,
    async (s) => {
      const r = await s.runCommitted({}, '--metric-wait-ms', '20000');
      t.is(r.code, 0, r.err);
      t.regex(summary(r) ?? '', / 0 failed$/);
      const waits = r.err.split('\n').filter((l) => l.startsWith('waiting'));
      // Two metrics, each refused twice: the policy on each waits twice.
      t.is(waits.length, 4, r.err);
      for (const line of waits) t.regex(line, WAIT_LINE);
      t.is(waits.filter((l) => l.includes('"SweeperHeartbeatMissing"')).length, 2);
      t.is(s.monitoring.policies.size, 9);
    },
    { logMetrics: { refusals: 2 } },
  ));

test('deploy apply CLI (Pub/Sub emulator, local gRPC test doubles with Monitoring not seeing the log metrics in time, the committed definitions): DEPLOY_APPLY_METRIC_WAIT_MS=50 spent, the policies on them fail DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE and the exit code is 1', (t) =>
  withStage(
    t,
    async (s) => {
      const r = await s.runCommitted({ DEPLOY_APPLY_METRIC_WAIT_MS: '50' });
      t.is(r.code, 1);
      const failures = r.err.split('\n').filter((l) => l.startsWith('DEPLOY_APPLY_ERR_'));
      t.deepEqual(
        failures.map((l) => l.split(': ').slice(0, 2).join(': ')),
        [
          'DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE: policy sweep-probe-failures',
          'DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE: policy sweeper-heartbeat-missing',
        ],
      );
      t.regex(
        r.err,
        /Monitoring still cannot find log metric sweep-completed after 50ms of waiting in this run/,
      );
      t.is(s.monitoring.policies.size, 7);
    },
    { logMetrics: { delayMs: 600_000 } },
  ));
