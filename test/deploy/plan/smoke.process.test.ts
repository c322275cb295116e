/**
 * deploy/plan/smoke.sh against the real service (buildApp and the tiny model on a real port).
 * gcloud cannot run here, so a stand-in `gcloud` script on PATH answers the calls the smoke test
 * makes (the active account; an identity token; the key secret's value) and records their
 * arguments. The service's URL stands in for the candidate's tag URL; the audience is the
 * service's run.app URL, which only the token carries.
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
const AUDIENCE = 'https://runwatch-123456789012.europe-west1.run.app';
const DEPLOYER = 'runwatch-deployer@runwatch-stg.iam.gserviceaccount.com';

interface StandIn {
  /** What `gcloud config get-value account` prints; empty: no active account. */
  readonly account?: string;
  readonly secretValue?: string;
  /** The token call fails, as it does for an account that may not mint one. */
  readonly tokenFails?: boolean;
}

/** A stand-in gcloud (test double: the real one needs Google) that logs each call to `log`. */
function standInGcloud(dir: string, o: StandIn = {}): string {
  const log = join(dir, 'gcloud.log');
  const bin = join(dir, 'gcloud');
  writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> '${log}'
case "$1 $2" in
  "config get-value") printf '%s\\n' '${o.account ?? DEPLOYER}' ;;
  "auth print-identity-token") ${o.tokenFails === true ? `echo "ERROR: (gcloud.auth.print-identity-token) denied" >&2; exit 1` : 'echo stand-in-identity-token'} ;;
  "secrets versions") printf '%s\\n' '${o.secretValue ?? 'unused'}' ;;
  *) echo "stand-in gcloud: unexpected $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(bin, 0o755);
  return log;
}

const calls = (log: string): string[] => readFileSync(log, 'utf8').trim().split('\n');

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

test('deploy smoke: as a service account, passes against a ready service, calling the URL with a token minted for the service URL and the first key of the secret', async (t) => {
  const { dir, url } = await setup(t, {
    AUTH_MODE: 'api-key',
    API_KEYS: `${KEY},second-key-of-sixteen`,
  });
  const log = standInGcloud(dir, { secretValue: ` ${KEY} , second-key-of-sixteen` });
  const run = await smoke([url, AUDIENCE, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 0, run.err);
  t.true(run.out.includes('smoke: GET /health/startup 200'));
  t.true(run.out.includes('smoke: GET /health/ready 200'));
  t.regex(run.out, /smoke: POST \/predict 200 \{.*"emotions"/);
  t.deepEqual(calls(log), [
    'config get-value account',
    `auth print-identity-token --audiences=${AUDIENCE}`,
    'secrets versions access latest --secret=runwatch-api-keys --project=runwatch-stg',
  ]);
});

test('deploy smoke: as a service account that cannot mint the token, fails naming the account and the audience, and never falls back to a token with no audience', async (t) => {
  const { dir, url } = await setup(t, {});
  const log = standInGcloud(dir, { tokenFails: true });
  const run = await smoke([url, AUDIENCE, 'runwatch-prod', ''], dir);
  t.is(run.code, 1);
  t.true(
    run.err.includes(`smoke: ${DEPLOYER} could not mint an identity token for ${AUDIENCE}`),
    run.err,
  );
  t.deepEqual(calls(log), [
    'config get-value account',
    `auth print-identity-token --audiences=${AUDIENCE}`,
  ]);
  t.false(run.out.includes('smoke: GET'));
});

test("deploy smoke: as a user (gcloud cannot choose a user token's audience), sends the user's own identity token", async (t) => {
  const { dir, url } = await setup(t, {});
  const log = standInGcloud(dir, { account: 'alice@example.com' });
  const run = await smoke([url, AUDIENCE, 'runwatch-prod', ''], dir);
  t.is(run.code, 0, run.err);
  t.deepEqual(calls(log), ['config get-value account', 'auth print-identity-token']);
});

test('deploy smoke: with no active gcloud account, fails before any request', async (t) => {
  const { dir, url } = await setup(t, {});
  standInGcloud(dir, { account: '' });
  const run = await smoke([url, AUDIENCE, 'runwatch-prod', ''], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: gcloud has no active account'), run.err);
});

test('deploy smoke: fails when the key it sends is not one the service accepts', async (t) => {
  const { dir, url } = await setup(t, { AUTH_MODE: 'api-key', API_KEYS: KEY });
  standInGcloud(dir, { secretValue: 'not-the-right-key-at-all' });
  const run = await smoke([url, AUDIENCE, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: POST /predict failed'), run.err);
});

test('deploy smoke: without a key secret it sends only the identity token (AUTH_MODE=iam leaves the check to Cloud Run)', async (t) => {
  const { dir, url } = await setup(t, {});
  const log = standInGcloud(dir);
  const run = await smoke([url, AUDIENCE, 'runwatch-prod', ''], dir);
  t.is(run.code, 0, run.err);
  t.deepEqual(calls(log), [
    'config get-value account',
    `auth print-identity-token --audiences=${AUDIENCE}`,
  ]);
});

test('deploy smoke: fails while the revision is still starting (startup probe 503)', async (t) => {
  const { dir, url } = await setup(t, {}, false);
  standInGcloud(dir);
  const run = await smoke([url, AUDIENCE, 'runwatch-prod', ''], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: GET /health/startup 503 (attempt 2 of 2)'), run.err);
  t.true(run.err.includes('smoke: GET /health/startup never answered 200'));
});

test('deploy smoke: a secret with no key in it is refused by name', async (t) => {
  const { dir, url } = await setup(t, { AUTH_MODE: 'api-key', API_KEYS: KEY });
  standInGcloud(dir, { secretValue: ' , ' });
  const run = await smoke([url, AUDIENCE, 'runwatch-stg', 'runwatch-api-keys'], dir);
  t.is(run.code, 1);
  t.true(run.err.includes('smoke: secret runwatch-api-keys holds no key'), run.err);
});
