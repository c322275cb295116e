/**
 * The production ID-token source over google-auth-library's real GoogleAuth and IdTokenClient.
 * The credential that mints tokens (the metadata server on Cloud Run) cannot run here, so it is
 * an OAuth2Client with a `fetchIdToken` that counts calls (test double: token-minting credential).
 */
import test from 'ava';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { googleIdTokens, iamHeaders } from '../../../alerts/sweep/id-tokens.js';
import { type SweepTarget, TARGET_DEFAULTS } from '../../../alerts/sweep/targets.js';

process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GOOGLE_CLOUD_PROJECT = 'runwatch-local';

class MintingCredential extends OAuth2Client {
  readonly minted: string[] = [];
  async fetchIdToken(audience: string): Promise<string> {
    this.minted.push(audience);
    const payload = { aud: audience, exp: Math.floor(Date.now() / 1000) + 3600 };
    return `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig${this.minted.length}`;
  }
}

function target(name: string, url: string, iam: boolean): SweepTarget {
  return {
    name,
    url,
    iam,
    timeoutMs: 1000,
    probes: { ...TARGET_DEFAULTS.probes },
    limits: { ...TARGET_DEFAULTS.limits },
    slo: { ...TARGET_DEFAULTS.slo },
  };
}

test('id tokens: one token per audience, minted once and then reused by the IdTokenClient until it expires (test double: token-minting credential)', async (t) => {
  const credential = new MintingCredential();
  const tokens = googleIdTokens(new GoogleAuth({ authClient: credential }));
  const a1 = await tokens('https://a.run.app');
  const [a2, a3] = await Promise.all([tokens('https://a.run.app'), tokens('https://a.run.app')]);
  const b = await tokens('https://b.run.app');
  t.is(a2, a1);
  t.is(a3, a1);
  t.not(b, a1);
  t.deepEqual(credential.minted, ['https://a.run.app', 'https://b.run.app']);
});

test('id tokens: the header goes to iam targets only, with the URL origin as audience (test double: token-minting credential)', async (t) => {
  const credential = new MintingCredential();
  const headers = iamHeaders(googleIdTokens(new GoogleAuth({ authClient: credential })));
  t.deepEqual(await headers(target('plain', 'https://plain.run.app', false)), {});
  const h = await headers(target('locked', 'https://locked-abc-uc.a.run.app/api', true));
  t.regex(h.authorization ?? '', /^Bearer eyJ/);
  t.deepEqual(credential.minted, ['https://locked-abc-uc.a.run.app']);
});

test('id tokens: without Google credentials (no metadata server) the token fails with the library reason, and the next call tries again', async (t) => {
  const headers = iamHeaders(googleIdTokens(new GoogleAuth()));
  const locked = target('locked', 'https://locked.run.app', true);
  const first = await t.throwsAsync(headers(locked));
  t.regex(first?.message ?? '', /^no ID token for audience https:\/\/locked.run.app: /);
  t.log(first?.message);
  await t.throwsAsync(headers(locked), { message: /^no ID token for audience/ });
});
