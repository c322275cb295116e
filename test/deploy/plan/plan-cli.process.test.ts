/**
 * `npm run deploy:plan` as a child process (the built CLI): every environment prints its plan
 * and exits 0, the script form is valid bash, the JSON form parses, and bad flags exit 2 naming
 * the flag.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ENVIRONMENTS } from '../../../service/config/index.js';
import { runCli } from '../../helpers/run-cli.js';

const CLI = fileURLToPath(new URL('../../../deploy/cli/plan.js', import.meta.url));
const MONITORING = fileURLToPath(new URL('../../../deploy/monitoring/index.js', import.meta.url));
const FLAGS = [
  '--project',
  'runwatch-prod',
  '--project-number',
  '123456789012',
  '--region',
  'europe-west1',
];

for (const env of ENVIRONMENTS) {
  test(`deploy:plan --env ${env} prints every section and exits 0`, async (t) => {
    const run = await runCli(CLI, ['--env', env, ...FLAGS]);
    t.is(run.code, 0, run.err);
    for (const section of [
      'apis',
      'accounts',
      'secrets',
      'registry',
      'deployer',
      'image',
      'service',
      'functions',
      'apply',
      'iam',
      'scheduler',
    ]) {
      t.true(run.out.includes(`\n== ${section}: `), section);
    }
    t.true(
      run.out.startsWith(
        `deploy plan for ${env}: project runwatch-prod (number 123456789012), region europe-west1`,
      ),
    );
    if (existsSync(MONITORING)) {
      t.false(run.err.includes('is not in this build'));
    } else {
      t.true(
        run.err.includes(
          'note: deploy/monitoring/index.ts (loadMonitoringDefinitions, resolveMonitoringDefinitions) is not in this build',
        ),
      );
    }
  });

  test(`deploy:plan --env ${env} --format sh is a bash script bash can parse`, async (t) => {
    const run = await runCli(CLI, ['--env', env, ...FLAGS, '--format', 'sh']);
    t.is(run.code, 0, run.err);
    t.true(run.out.startsWith('#!/usr/bin/env bash\n'));
    const check = spawnSync('bash', ['-n'], { input: run.out, encoding: 'utf8' });
    t.is(check.status, 0, check.stderr);
    t.true(
      run.out.includes(
        'if gcloud scheduler jobs describe health-sweep --location=europe-west1 --project=runwatch-prod >/dev/null 2>&1; then',
      ),
    );
  });
}

test('deploy:plan --json prints the plan as data', async (t) => {
  const run = await runCli(CLI, ['--env', 'production', '--json']);
  t.is(run.code, 0, run.err);
  const plan = JSON.parse(run.out);
  t.is(plan.target.project, 'my-project');
  t.is(plan.target.projectNumber, 'PROJECT_NUMBER');
  t.is(plan.target.region, 'us-central1');
  t.true(plan.steps.some((s: { id: string }) => s.id === 'service.deploy'));
});

test('deploy:plan --only iam,scheduler --out writes just those sections', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-plan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'rest.sh');
  const run = await runCli(CLI, [
    '--env',
    'staging',
    ...FLAGS,
    '--only',
    'iam,scheduler',
    '--format',
    'sh',
    '--out',
    out,
  ]);
  t.is(run.code, 0, run.err);
  t.is(run.out, `wrote ${out}\n`);
  const script = readFileSync(out, 'utf8');
  t.true(script.includes('# == iam: '));
  t.true(script.includes('# == scheduler: '));
  t.false(script.includes('# == functions: '));
});

const USAGE: readonly [string[], string][] = [
  [[], '--env is required'],
  [['--env', 'prod'], '--env="prod": expected one of production, staging, development'],
  [
    ['--env', 'production', '--project', 'My_Project'],
    '--project="My_Project": expected a project id',
  ],
  [
    ['--env', 'production', '--project-number', 'abc'],
    '--project-number="abc": expected a project number',
  ],
  [['--env', 'production', '--only', 'iam,dns'], '--only: "dns" is not a section'],
  [
    ['--env', 'production', '--invoker', 'alice@example.com'],
    '--invoker="alice@example.com": expected user:',
  ],
  [['--env', 'production', '--format', 'yaml'], '--format="yaml": expected text, sh or json'],
  [['--env', 'production', '--bogus'], "Unknown option '--bogus'"],
];

for (const [args, message] of USAGE) {
  test(`deploy:plan ${args.join(' ') || '(no flags)'} exits 2 with PLAN_ERR_USAGE naming what is wrong`, async (t) => {
    const run = await runCli(CLI, args);
    t.is(run.code, 2);
    t.true(run.err.startsWith('PLAN_ERR_USAGE: '), run.err);
    t.true(run.err.includes(message), run.err);
    t.is(run.out, '');
  });
}
