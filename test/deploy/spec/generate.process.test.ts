/**
 * `npm run deploy:generate -- service|sweep-targets` as a child process: the spec a deploy
 * replaces the service with (real image and project, the candidate without traffic), the deployed
 * sweep targets (which the sweep's own loader accepts), and its refusals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { loadTargets } from '../../../alerts/sweep/targets.js';
import { runCli } from '../../helpers/run-cli.js';

const CLI = fileURLToPath(new URL('../../../deploy/cli/generate.js', import.meta.url));

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-generate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const IMAGE = 'europe-west1-docker.pkg.dev/runwatch-prod/runwatch/runwatch:b1';

test('deploy:generate service renders the spec with the image and project, the candidate tagged with no traffic', async (t) => {
  const dir = tempDir(t);
  const current = join(dir, 'current.json');
  writeFileSync(
    current,
    JSON.stringify([
      { status: { traffic: [{ revisionName: 'runwatch-00003-abc', percent: 100 }] } },
    ]),
  );
  const out = join(dir, 'service.yaml');
  const run = await runCli(CLI, [
    'service',
    '--env',
    'production',
    '--project',
    'runwatch-prod',
    '--image',
    IMAGE,
    '--current-service',
    current,
    '--tag',
    'candidate',
    '--out',
    out,
  ]);
  t.is(run.code, 0, run.err);
  t.is(run.out, `wrote ${out}\n`);
  const text = readFileSync(out, 'utf8');
  t.false(text.includes('${'));
  const doc = parse(text);
  const pod = doc.spec.template.spec;
  t.is(pod.containers[0].image, IMAGE);
  t.is(pod.serviceAccountName, 'runwatch-service@runwatch-prod.iam.gserviceaccount.com');
  t.deepEqual(
    pod.containers[0].env.find((e: { name: string }) => e.name === 'GOOGLE_CLOUD_PROJECT'),
    { name: 'GOOGLE_CLOUD_PROJECT', value: 'runwatch-prod' },
  );
  t.deepEqual(doc.spec.traffic, [
    { revisionName: 'runwatch-00003-abc', percent: 100 },
    { tag: 'candidate', latestRevision: true, percent: 0 },
  ]);
});

test('deploy:generate sweep-targets writes the run.app target the sweep loader accepts, with IAM under AUTH_MODE=iam', async (t) => {
  const dir = tempDir(t);
  const outs = [join(dir, 'a', 'sweep-targets.yaml'), join(dir, 'b', 'sweep-targets.yaml')];
  const run = await runCli(CLI, [
    'sweep-targets',
    '--env',
    'production',
    '--project-number',
    '123456789012',
    '--region',
    'europe-west1',
    '--out',
    outs[0] as string,
    '--out',
    outs[1] as string,
  ]);
  t.is(run.code, 0, run.err);
  const text = readFileSync(outs[0] as string, 'utf8');
  t.is(readFileSync(outs[1] as string, 'utf8'), text);
  const [target] = loadTargets(text, 'sweep-targets.yaml');
  t.is(target?.url, 'https://runwatch-123456789012.europe-west1.run.app');
  t.is(target?.iam, true);
  t.deepEqual(target?.adminKey, { file: '/secrets/admin-api-keys/keys' });
  t.is(target?.probes.live, '/health/live');
});

test('deploy:generate sweep-targets for staging (api-key) sends no ID token', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sweep-targets.yaml');
  const run = await runCli(CLI, [
    'sweep-targets',
    '--env',
    'staging',
    '--project-number',
    '1',
    '--region',
    'us-central1',
    '--out',
    out,
  ]);
  t.is(run.code, 0, run.err);
  t.is(loadTargets(readFileSync(out, 'utf8'), out)[0]?.iam, false);
});

test('deploy:generate service with a current-service file that is not the list is SPEC_ERR_CURRENT_SERVICE, exit 1', async (t) => {
  const dir = tempDir(t);
  const current = join(dir, 'current.json');
  writeFileSync(current, '{"kind":"Service"}');
  const run = await runCli(CLI, [
    'service',
    '--env',
    'staging',
    '--project',
    'runwatch-stg',
    '--image',
    IMAGE,
    '--current-service',
    current,
    '--out',
    join(dir, 'service.yaml'),
  ]);
  t.is(run.code, 1);
  t.true(run.err.startsWith(`SPEC_ERR_CURRENT_SERVICE: ${current}: not an array`), run.err);
});

const USAGE: readonly [string[], string][] = [
  [['service', '--project', 'p', '--image', 'i', '--out', 'o'], '--env is required'],
  [
    ['service', '--env', 'qa', '--out', 'o'],
    '--env="qa": expected one of production, staging, development',
  ],
  [['service', '--env', 'staging', '--image', 'i', '--out', 'o'], '--project is required'],
  [
    ['service', '--env', 'staging', '--project', 'p', '--image', 'i', '--tag', 'x', '--out', 'o'],
    '--tag needs --current-service',
  ],
  [
    ['sweep-targets', '--env', 'staging', '--region', 'r', '--out', 'o'],
    '--project-number is required',
  ],
  [['--env', 'staging'], 'options without a subcommand'],
  [['render', '--env', 'staging', '--out', 'o'], 'unknown subcommand "render"'],
  [['service', '--nope'], "Unknown option '--nope'"],
];

for (const [args, message] of USAGE) {
  test(`deploy:generate ${args.join(' ')} exits 2 with SPEC_ERR_USAGE`, async (t) => {
    const run = await runCli(CLI, args);
    t.is(run.code, 2);
    t.true(run.err.startsWith('SPEC_ERR_USAGE: '), run.err);
    t.true(run.err.includes(message), run.err);
  });
}
