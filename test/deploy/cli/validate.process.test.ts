/**
 * `npm run deploy:validate` as a user runs it (the built CLI in a child process): the shipped
 * definitions print one `ok` line per resource and exit 0; a broken copy prints FAIL lines with
 * every problem under its resource and exits 1; a bad argument prints the usage and exits 1.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { DEFAULT_MONITORING_ROOT } from '../../../deploy/monitoring/read.js';
import { runCli } from '../../helpers/run-cli.js';

const CLI = fileURLToPath(new URL('../../../deploy/cli/validate.js', import.meta.url));

test('deploy:validate: the shipped definitions print one ok line per resource and exit 0', async (t) => {
  const run = await runCli(CLI, []);
  t.is(run.code, 0, run.out + run.err);
  const lines = run.out.trimEnd().split('\n');
  t.deepEqual(lines, [
    'ok   channels/alert-ingest "runwatch alert-ingest"',
    'ok   log-metrics/sweep-completed "sweep-completed"',
    'ok   log-metrics/sweep-probe-failures "sweep-probe-failures"',
    'ok   sinks/function-problems "function-problems"',
    'ok   policies/dead-letter-backlog "AlertDeadLetterBacklog"',
    'ok   policies/infer-5xx-ratio "Infer5xxRatioHigh"',
    'ok   policies/infer-budget-burn-fast "InferRequestBudgetBurnFast"',
    'ok   policies/infer-budget-burn-slow "InferRequestBudgetBurnSlow"',
    'ok   policies/infer-error-logged "InferErrorLogged"',
    'ok   policies/infer-instances-near-max "InferInstancesNearMax"',
    'ok   policies/infer-latency-p99-forecast "InferLatencyP99Forecast"',
    'ok   policies/sweep-probe-failures "InferProbeFailures"',
    'ok   policies/sweeper-heartbeat-missing "SweeperHeartbeatMissing"',
    '13 definition(s) valid',
  ]);
  t.is(run.err, '');
});

test('deploy:validate: a broken copy prints FAIL with every problem under its resource and exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-validate-'));
  try {
    cpSync(DEFAULT_MONITORING_ROOT, dir, { recursive: true });
    writeFileSync(
      join(dir, 'log-metrics/sweep-completed.yaml'),
      'name: sweep-completed\nfilter: jsonPayload.event="sweep.done"\nbogus: 1\n',
    );
    writeFileSync(join(dir, 'sinks/notes.txt'), 'not a definition\n');
    const run = await runCli(CLI, ['--root', dir]);
    t.is(run.code, 1, run.out + run.err);
    const lines = run.out.trimEnd().split('\n');
    t.deepEqual(lines.slice(1, 4), [
      'FAIL log-metrics/sweep-completed "sweep-completed"',
      '       MONITORING_DEFS_ERR_FIELD: log-metrics/sweep-completed.yaml: field bogus is unknown; expected a field of google.logging.v2.LogMetric: name, description, filter, bucketName, disabled, metricDescriptor, valueExtractor, labelExtractors, bucketOptions, createTime, updateTime, version',
      'ok   log-metrics/sweep-probe-failures "sweep-probe-failures"',
    ]);
    t.true(
      lines.includes('FAIL sinks/notes.txt') &&
        lines.includes(
          '       MONITORING_DEFS_ERR_UNREADABLE: sinks/notes.txt: is not a definition file; expected <id>.yaml with a kebab-case id',
        ),
      run.out,
    );
    t.is(lines.at(-1), '2 problem(s) in 2 file(s); 13 definition(s) read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deploy:validate: an unknown option prints the usage and exits 1', async (t) => {
  const run = await runCli(CLI, ['--env', 'production']);
  t.is(run.code, 1);
  t.regex(run.err, /Unknown option '--env'/);
  t.regex(run.err, /usage: npm run deploy:validate \[-- --root <definitions directory>\]/);
});
