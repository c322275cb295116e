/**
 * deploy/plan/smoke.sh against the real service (buildApp and the tiny model on a real port).
 * gcloud cannot run here, so a stand-in `gcloud` script on PATH answers the two calls the smoke
 * test makes (an identity token; the key secret's value) and records its arguments.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const SMOKE = join(ROOT, 'deploy/plan/smoke.sh');
const KEY = 'first-key-of-sixteen';

/** A stand-in gcloud (test double: the real one needs Google) that logs each call to `log`. */
function standInGcloud(dir: string, secretValue: string): string {
  const log = join(dir, 'gcloud.log');
  const bin = join(dir, 'gcloud');
  writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> '${log}'
case "$1 $2" in
  "auth print-identity-token") echo stand-in-identity-token ;;
  "secrets versions") printf '%s\\n' '${secretValue}' ;;
  *) echo "stand-in gcloud: unexpected $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(bin, 0o755);
  return log;
}

function smoke(
  args: string[],
  dir: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SMOKE, ...args], {
      env: {
        PATH: `${dir}:${process.env.PATH ?? ''}`,
        SMOKE_ATTEMPTS: '2',
        SMOKE_RETRY_DELAY_S: '0',
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

async function setup(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  loaded = true,
) {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const built = await buildTestApp(env, undefined, { loaded });
  t.teardown(() => built.app.close());
  return { dir, url: await built.listen() };
}

test('deploy smoke: passes against a ready service, with the identity token minted for its URL and the first key of the secret', async (t) => {
  const { dir, url } = await setup(t, {
    AUTH_MODE: 'api-key',
    API_KEYS: `${KEY},second-key-of-sixteen`,
  });
  const log = standInGcloud(dir, ` ${KEY} , second-key-of-sixteen`);
  const run = await smoke([url, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 0, run.err);
  t.true(run.out.includes('smoke: GET /health/startup 200'));
  t.true(run.out.includes('smoke: GET /health/ready 200'));
  t.regex(run.out, /smoke: POST \/predict 200 \{.*"emotions"/);
  t.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
    `auth print-identity-token --audiences=${url}`,
    'secrets versions access latest --secret=runwatch-api-keys --project=runwatch-stg',
  ]);
});

test('deploy smoke: fails when the key it sends is not one the service accepts', async (t) => {
  const { dir, url } = await setup(t, { AUTH_MODE: 'api-key', API_KEYS: KEY });
  standInGcloud(dir, 'not-the-right-key-at-all');
  const run = await smoke([url, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: POST /predict failed'), run.err);
});

test('deploy smoke: without a key secret it sends only the identity token (AUTH_MODE=iam leaves the check to Cloud Run)', async (t) => {
  const { dir, url } = await setup(t, {});
  const log = standInGcloud(dir, 'unused');
  const run = await smoke([url, 'runwatch-prod', ''], dir);
  t.is(run.code, 0, run.err);
  t.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
    `auth print-identity-token --audiences=${url}`,
  ]);
});

test('deploy smoke: fails while the revision is still starting (startup probe 503)', async (t) => {
  const { dir, url } = await setup(t, {}, false);
  standInGcloud(dir, 'unused');
  const run = await smoke([url, 'runwatch-prod', ''], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: GET /health/startup 503 (attempt 2 of 2)'), run.err);
  t.true(run.err.includes('smoke: GET /health/startup never answered 200'));
});

test('deploy smoke: a secret with no key in it is refused by name', async (t) => {
  const { dir, url } = await setup(t, { AUTH_MODE: 'api-key', API_KEYS: KEY });
  standInGcloud(dir, ' , ');
  const run = await smoke([url, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: secret runwatch-api-keys holds no key'), run.err);
});
