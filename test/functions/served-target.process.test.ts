/**
 * The functions' source as a deployment loads it, in a child process with only the variables a
 * Cloud Run function gets: the served target's configuration is checked at load (an invalid one
 * refuses to start), and another target's is not (alertIngest runs on Cloud Run with only
 * STORE_URL, without healthSweep's OIDC settings).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { servedTarget } from '../../functions/shared/config.js';

const SOURCE = fileURLToPath(new URL('../../functions/index.js', import.meta.url));

function load(env: Record<string, string>) {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(SOURCE)}); console.log('loaded');`,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        K_SERVICE: 'fn',
        METADATA_SERVER_DETECTION: 'none',
        STORE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        ...env,
      },
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('functions source: on Cloud Run alertIngest loads with only STORE_URL, without healthSweep’s OIDC settings', (t) => {
  const r = load({ FUNCTION_TARGET: 'alertIngest' });
  t.is(r.status, 0, r.err);
  t.regex(r.out, /loaded/);
});

test('functions source: on Cloud Run healthSweep without SWEEP_AUDIENCE or SWEEP_IAM_GUARDED refuses to load, naming SWEEP_AUDIENCE', (t) => {
  const r = load({ FUNCTION_TARGET: 'healthSweep' });
  t.not(r.status, 0);
  t.regex(r.err, /SWEEP_AUDIENCE/);
});

test('functions source: the served target is --target (either spelling), else FUNCTION_TARGET, else unknown', (t) => {
  t.is(servedTarget({}, ['node', 'ff', '--target=alertIngest']), 'alertIngest');
  t.is(servedTarget({}, ['node', 'ff', '--target', 'healthSweep']), 'healthSweep');
  t.is(servedTarget({ FUNCTION_TARGET: 'healthSweepEvent' }, ['node']), 'healthSweepEvent');
  t.is(servedTarget({ FUNCTION_TARGET: 'x' }, ['node', '--target=y']), 'y');
  t.is(servedTarget({}, ['node']), undefined);
});
