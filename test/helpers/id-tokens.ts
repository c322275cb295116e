/**
 * Test double for Google's ID-token issuer: a local RSA key pair signs RS256 JWTs shaped like
 * the tokens Cloud Scheduler sends (iss, aud, email, email_verified, iat, exp), and `certs()`
 * serves the public key by kid in place of Google's published certificates (which come from the
 * network). The verifier under test is the real google-auth-library code.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestIssuer {
  readonly kid: string;
  /** kid → PEM public key, as `CertsProvider` returns Google's. */
  certs(): Promise<Record<string, string>>;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(
  privateKey: KeyObject,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): string {
  const signed = `${b64url(header)}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(signed).sign(privateKey, 'base64url');
  return `${signed}.${signature}`;
}

export function testIssuer(kid = 'test-kid-1'): TestIssuer & { readonly privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    kid,
    privateKey,
    certs: async () => ({ [kid]: pem }),
    sign: (claims, header = {}) =>
      signJwt(privateKey, { alg: 'RS256', typ: 'JWT', kid, ...header }, claims),
  };
}

/** Claims of a valid Scheduler token for `audience` and `email`, issued now, valid 1 h. */
export function schedulerClaims(audience: string, email: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: '111111111111111111111',
    sub: '111111111111111111111',
    email,
    email_verified: true,
    iat: now,
    exp: now + 3600,
  };
}
