/**
 * healthSweep's OIDC check through the real Functions Framework server, with the real
 * google-auth-library verifier. Google's signing certificates come from the network, so a
 * local RSA key stands in for them (test double: Google certs): tokens are signed here and the
 * injected certificate provider serves the public key by kid. Sweeps run against a real HTTP
 * target and a real SQLite store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { createHealthSweep } from '../../functions/health-sweep.js';
import { loadFunctionsConfig } from '../../functions/shared/config.js';
import { ConfigError } from '../../lib/config/problems.js';
import { type FunctionServer, serveFunction } from '../helpers/ff-server.js';
import { schedulerClaims, testIssuer } from '../helpers/id-tokens.js';
import { type Sink, sinkLogger } from '../helpers/log-sink.js';
import { type SweepTargetServer, startSweepTarget } from '../helpers/sweep-target.js';

const AUDIENCE = 'https://healthsweep-abc123-uc.a.run.app';
const INVOKER = 'sweeper@runwatch-local.iam.gserviceaccount.com';
const google = testIssuer('google-kid-1');
const impostor = testIssuer('google-kid-1'); // same kid, another key

let target: SweepTargetServer;
let secured: FunctionServer;
let open: FunctionServer;
let sink: Sink;
let handlers: { close(): Promise<void> }[] = [];
let minute = 0;

function baseEnv(): Record<string, string> {
  return {
    STORE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-oidc-')), 'trends.db')}`,
    SWEEP_TARGETS: JSON.stringify([{ name: 'emotion', url: target.url }]),
  };
}

test.before(async () => {
  target = await startSweepTarget();
  sink = sinkLogger('info');
  const securedFn = createHealthSweep({
    env: {
      ...baseEnv(),
      SWEEP_AUDIENCE: AUDIENCE,
      SWEEP_INVOKER: `other@x.iam.gserviceaccount.com, ${INVOKER}`,
    },
    certs: google.certs,
    log: sink.log,
  });
  const openFn = createHealthSweep({ env: baseEnv(), log: sinkLogger('fatal').log });
  handlers = [securedFn, openFn];
  ff.http('healthSweepOidc', securedFn);
  ff.http('healthSweepNoAudience', openFn);
  secured = await serveFunction('healthSweepOidc');
  open = await serveFunction('healthSweepNoAudience');
});

test.after.always(async () => {
  await secured?.close();
  await open?.close();
  for (const h of handlers) await h.close();
  await target?.close();
});

/** A Scheduler call, a new scheduled minute each time so no call is a duplicate. */
function schedulerCall(url: string, authorization?: string) {
  const headers: Record<string, string> = {
    'x-cloudscheduler-jobname': 'oidc-test',
    'x-cloudscheduler-scheduletime': new Date(Date.UTC(2026, 10, 27, 12, minute++)).toISOString(),
  };
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(url, { method: 'POST', headers });
}

test('healthSweep: a valid Scheduler ID token from an allowed invoker sweeps (test double: Google certs)', async (t) => {
  const token = google.sign(schedulerClaims(AUDIENCE, INVOKER));
  const res = await schedulerCall(secured.url, `Bearer ${token}`);
  t.is(res.status, 200);
  const body = (await res.json()) as { sweepId: string; duplicate: boolean; targets: unknown[] };
  t.regex(body.sweepId, /^oidc-test@2026-11-27T12:/);
  t.false(body.duplicate);
  t.like(body.targets[0], { name: 'emotion', up: true });
});

test('healthSweep: the invoker email matches case-insensitively and the scheme is case-insensitive (test double: Google certs)', async (t) => {
  const token = google.sign(schedulerClaims(AUDIENCE, INVOKER.toUpperCase()));
  const res = await schedulerCall(secured.url, `bearer ${token}`);
  t.is(res.status, 200);
});

interface Refusal {
  readonly authorization: () => string | undefined;
  readonly reason: RegExp;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown>) => ({
  ...schedulerClaims(AUDIENCE, INVOKER),
  ...over,
});
const without = (key: string) => {
  const c = schedulerClaims(AUDIENCE, INVOKER);
  delete c[key];
  return c;
};

const refusals: Record<string, Refusal> = {
  'no Authorization header': {
    authorization: () => undefined,
    reason: /Authorization header is missing/,
  },
  'another scheme': {
    authorization: () => 'Basic c3dlZXBlcjpwdw==',
    reason: /scheme "Basic"; expected "Bearer/,
  },
  'a token that is not a JWT': { authorization: () => 'Bearer not-a-jwt', reason: /not a JWT/ },
  'a JWT whose payload is not JSON': {
    authorization: () => `Bearer ${google.sign(claims({})).replace(/\.[^.]+\./, '.bm90IGpzb24.')}`,
    reason: /not a JWT/,
  },
  'an expired token': {
    authorization: () => `Bearer ${google.sign(claims({ iat: now() - 7200, exp: now() - 3600 }))}`,
    reason: /expired at 20\d\d-.*expected an unexpired token/,
  },
  'a token issued in the future': {
    authorization: () => `Bearer ${google.sign(claims({ iat: now() + 3600, exp: now() + 7200 }))}`,
    reason: /not valid before/,
  },
  'a token without exp': {
    authorization: () => `Bearer ${google.sign(without('exp'))}`,
    reason: /no exp/,
  },
  'a token for another audience': {
    authorization: () => `Bearer ${google.sign(claims({ aud: 'https://elsewhere.example' }))}`,
    reason:
      /audience is "https:\/\/elsewhere.example"; expected "https:\/\/healthsweep-abc123-uc.a.run.app" \(SWEEP_AUDIENCE\)/,
  },
  'a token from another issuer': {
    authorization: () => `Bearer ${google.sign(claims({ iss: 'https://issuer.example' }))}`,
    reason:
      /issuer is "https:\/\/issuer.example"; expected accounts.google.com or https:\/\/accounts.google.com/,
  },
  'a token signed by another key under a known kid': {
    authorization: () => `Bearer ${impostor.sign(claims({}))}`,
    reason: /signature does not verify/,
  },
  'a token signed with an unknown kid': {
    authorization: () => `Bearer ${google.sign(claims({}), { kid: 'retired-kid' })}`,
    reason: /key id "retired-kid", which is not among Google's current certificates/,
  },
  'a token without kid': {
    authorization: () => `Bearer ${google.sign(claims({}), { kid: undefined })}`,
    reason: /key id undefined/,
  },
  'an alg "none" token with the signature removed': {
    authorization: () => `Bearer ${google.sign(claims({}), { alg: 'none' }).replace(/[^.]+$/, '')}`,
    reason: /signature does not verify/,
  },
  'a token for another service account': {
    authorization: () =>
      `Bearer ${google.sign(claims({ email: 'intruder@evil.iam.gserviceaccount.com' }))}`,
    reason:
      /email "intruder@evil.iam.gserviceaccount.com" is not an allowed invoker; expected one of SWEEP_INVOKER/,
  },
  'a token whose email is not verified': {
    authorization: () => `Bearer ${google.sign(claims({ email_verified: false }))}`,
    reason: /is not verified \(email_verified is false\)/,
  },
  'a token without an email claim': {
    authorization: () => `Bearer ${google.sign(without('email'))}`,
    reason: /no email claim/,
  },
};

for (const [name, refusal] of Object.entries(refusals)) {
  test(`healthSweep: ${name} gets 401 SWEEP_ERR_UNAUTHENTICATED, saying why without the token (test double: Google certs)`, async (t) => {
    const authorization = refusal.authorization();
    const res = await schedulerCall(secured.url, authorization);
    t.is(res.status, 401);
    t.is(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const body = (await res.json()) as { error: { code: string; message: string } };
    t.is(body.error.code, 'SWEEP_ERR_UNAUTHENTICATED');
    t.regex(body.error.message, refusal.reason);
    const token = authorization?.split(' ')[1];
    if (token !== undefined && token.length > 8) {
      for (const segment of token.split('.').filter((s) => s.length > 8)) {
        t.false(body.error.message.includes(segment), 'no part of the token is echoed');
        t.false(JSON.stringify(sink.lines).includes(segment), 'no part of the token is logged');
      }
    }
    t.true(
      sink.lines.some(
        (l) => l.event === 'sweep.unauthenticated' && l.code === 'SWEEP_ERR_UNAUTHENTICATED',
      ),
    );
  });
}

// Serial: ava runs serial tests before the concurrent ones, so no other test probes the target meanwhile.
test.serial(
  'healthSweep: a refused token sweeps nothing (test double: Google certs)',
  async (t) => {
    const before = target.requests.length;
    const res = await schedulerCall(
      secured.url,
      `Bearer ${google.sign(claims({ aud: 'https://elsewhere.example' }))}`,
    );
    t.is(res.status, 401);
    t.is(target.requests.length, before, 'the target was not probed');
  },
);

test('healthSweep: when Google certificates cannot be fetched it answers 503 SWEEP_ERR_AUTH_UNAVAILABLE (test double: Google certs)', async (t) => {
  const fn = createHealthSweep({
    env: { ...baseEnv(), SWEEP_AUDIENCE: AUDIENCE, SWEEP_INVOKER: INVOKER },
    certs: async () => {
      throw new Error('getaddrinfo ENOTFOUND www.googleapis.com');
    },
    log: sinkLogger('fatal').log,
  });
  ff.http('healthSweepNoCerts', fn);
  const server = await serveFunction('healthSweepNoCerts');
  try {
    const res = await schedulerCall(server.url, `Bearer ${google.sign(claims({}))}`);
    t.is(res.status, 503);
    t.is(res.headers.get('retry-after'), '10');
    const body = (await res.json()) as { error: { code: string; message: string } };
    t.is(body.error.code, 'SWEEP_ERR_AUTH_UNAVAILABLE');
    t.regex(body.error.message, /certificates could not be fetched \(getaddrinfo ENOTFOUND/);
  } finally {
    await server.close();
    await fn.close();
  }
});

test('healthSweep: with SWEEP_AUDIENCE unset no token is needed', async (t) => {
  const res = await schedulerCall(open.url);
  t.is(res.status, 200);
  t.like(((await res.json()) as { targets: unknown[] }).targets[0], { name: 'emotion', up: true });
});

test('healthSweep: on Cloud Run without SWEEP_AUDIENCE or SWEEP_IAM_GUARDED it refuses to start, so it never runs open by accident', (t) => {
  const e = t.throws(() => createHealthSweep({ env: { ...baseEnv(), K_SERVICE: 'healthsweep' } }), {
    instanceOf: ConfigError,
  });
  t.regex(e?.message ?? '', /SWEEP_AUDIENCE=\(unset\): expected an OIDC audience/);
});

test('healthSweep: with SWEEP_IAM_GUARDED=true on Cloud Run it starts and checks no token itself', async (t) => {
  const fn = createHealthSweep({
    env: { ...baseEnv(), K_SERVICE: 'healthsweep', SWEEP_IAM_GUARDED: 'true' },
    log: sinkLogger('fatal').log,
  });
  ff.http('healthSweepIamGuarded', fn);
  const server = await serveFunction('healthSweepIamGuarded');
  try {
    const res = await schedulerCall(server.url);
    // No token needed; SQLite is refused on Cloud Run, so the sweep itself fails, with its code.
    t.is(res.status, 500);
    t.is(
      ((await res.json()) as { error: { code: string } }).error.code,
      'STORE_ERR_REFUSED_ON_CLOUD_RUN',
    );
  } finally {
    await server.close();
    await fn.close();
  }
});

test('healthSweep: SWEEP_INVOKER without SWEEP_AUDIENCE refuses to start (CFG_ERR_INVALID), so no caller ever reads the configuration problem', (t) => {
  const e = t.throws(() => createHealthSweep({ env: { ...baseEnv(), SWEEP_INVOKER: INVOKER } }), {
    instanceOf: ConfigError,
  });
  t.is(e?.code, 'CFG_ERR_INVALID');
  t.regex(e?.message ?? '', /SWEEP_INVOKER=.*expected SWEEP_AUDIENCE to be set as well/);
});

test('functions config: SWEEP_AUDIENCE needs SWEEP_INVOKER, SWEEP_INVOKER needs SWEEP_AUDIENCE, and invokers are emails', (t) => {
  t.throws(() => loadFunctionsConfig({ SWEEP_AUDIENCE: AUDIENCE }), {
    message: /SWEEP_INVOKER=\(unset\): expected the service-account email\(s\) allowed/,
  });
  t.throws(() => loadFunctionsConfig({ SWEEP_INVOKER: INVOKER }), {
    message: /SWEEP_INVOKER=".*": expected SWEEP_AUDIENCE to be set as well/,
  });
  t.throws(() => loadFunctionsConfig({ SWEEP_AUDIENCE: AUDIENCE, SWEEP_INVOKER: 'not an email' }), {
    message: /SWEEP_INVOKER="not an email": expected one or more service-account emails/,
  });
  const config = loadFunctionsConfig({
    SWEEP_AUDIENCE: AUDIENCE,
    SWEEP_INVOKER: ` A@x.iam.gserviceaccount.com ,b@y.iam.gserviceaccount.com`,
  });
  t.deepEqual(config.sweepInvokers, ['a@x.iam.gserviceaccount.com', 'b@y.iam.gserviceaccount.com']);
});
