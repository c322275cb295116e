/**
 * Verifies the OIDC ID token Cloud Scheduler sends (`Authorization: Bearer <JWT>`, from the
 * job's `oidcToken`), with google-auth-library's OAuth2Client: the RS256 signature against
 * Google's certificates (by `kid`), `iat`/`exp` (with the library's 5-minute clock skew), the
 * issuer (accounts.google.com), the audience, and then the `email` claim, which must be verified
 * and one of the allowed invokers. Any failure is a `SweepAuthError` (401) whose message says
 * what was wrong and never contains the token: the library's own messages embed the token or its
 * payload, so they are classified, not passed on.
 *
 * This is `OAuth2Client.verifyIdToken` in its two steps (fetch the certificates, then
 * `verifySignedJwtWithCertsAsync`), so the certificates can come from an injected provider:
 * Google's come from the network, which tests cannot reach.
 */
import { type Certificates, OAuth2Client } from 'google-auth-library';
import { describeValue } from '../../lib/errors.js';
import { SweepAuthError, SweepAuthUnavailableError } from './errors.js';

/**
 * Certificates by key id (`kid`): PEM certificates or PEM public keys (or JWKs), the shape
 * `verifySignedJwtWithCertsAsync` takes.
 */
export type CertsProvider = () => Promise<Certificates>;

export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'] as const;

export interface OidcVerifierOptions {
  /** The `aud` the token must carry (SWEEP_AUDIENCE). */
  readonly audience: string;
  /** Allowed `email` claims, lower case (SWEEP_INVOKER). */
  readonly invokers: readonly string[];
  /** Default: the OAuth2Client's own `getFederatedSignonCertsAsync` (cached per Cache-Control). */
  readonly certs?: CertsProvider;
}

export interface VerifiedCaller {
  readonly email: string;
  readonly subject: string | undefined;
}

export type OidcVerifier = (authorization: string | undefined) => Promise<VerifiedCaller>;

interface Claims {
  readonly iss?: unknown;
  readonly aud?: unknown;
  readonly exp?: unknown;
  readonly iat?: unknown;
  readonly email?: unknown;
  readonly email_verified?: unknown;
  readonly sub?: unknown;
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const isoOf = (seconds: unknown) =>
  typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : describeValue(seconds);

/** Why the library refused the token, in words that never quote it. */
function reasonOf(libraryMessage: string, claims: Claims, audience: string): string {
  const m = libraryMessage;
  if (m.startsWith('Invalid token signature'))
    return 'the token signature does not verify against that key';
  if (m.startsWith('No issue time')) return 'the token has no iat (issue time) claim';
  if (m.startsWith('No expiration time')) return 'the token has no exp (expiry) claim';
  if (m.startsWith('iat field') || m.startsWith('exp field'))
    return 'the token has a non-numeric iat or exp claim';
  if (m.startsWith('Expiration time too far'))
    return `the token expires at ${isoOf(claims.exp)}; expected at most 24 h after now`;
  if (m.startsWith('Token used too early'))
    return `the token is not valid before ${isoOf(claims.iat)} (issued in the future)`;
  if (m.startsWith('Token used too late'))
    return `the token expired at ${isoOf(claims.exp)}; expected an unexpired token`;
  if (m.startsWith('Invalid issuer'))
    return `the token issuer is ${describeValue(claims.iss)}; expected ${GOOGLE_ISSUERS.join(' or ')}`;
  if (m.startsWith('Wrong recipient'))
    return `the token audience is ${describeValue(claims.aud)}; expected ${JSON.stringify(audience)} (SWEEP_AUDIENCE)`;
  return 'the token failed verification';
}

export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const client = new OAuth2Client();
  const certs: CertsProvider =
    options.certs ?? (async () => (await client.getFederatedSignonCertsAsync()).certs);
  const invokers = new Set(options.invokers.map((e) => e.toLowerCase()));

  return async (authorization) => {
    if (authorization === undefined || authorization.trim() === '') {
      throw new SweepAuthError(
        'the Authorization header is missing; expected "Bearer <Google-signed ID token>"',
      );
    }
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization.trim());
    if (match === null || match[1]?.toLowerCase() !== 'bearer') {
      const scheme = authorization.trim().split(/\s+/)[0] ?? '';
      throw new SweepAuthError(
        `the Authorization header has scheme ${describeValue(scheme.slice(0, 20))}; expected "Bearer <Google-signed ID token>"`,
      );
    }
    const token = match[2] as string;
    const segments = token.split('.');
    const header = segments.length === 3 ? decodeSegment(segments[0] as string) : null;
    const claims = segments.length === 3 ? (decodeSegment(segments[1] as string) as Claims) : null;
    if (header === null || claims === null) {
      throw new SweepAuthError(
        'the bearer token is not a JWT; expected three base64url segments with a JSON header and payload',
      );
    }

    let known: Certificates;
    try {
      known = await certs();
    } catch (cause) {
      throw new SweepAuthUnavailableError(
        `Google's token-signing certificates could not be fetched (${(cause as Error).message}); retry later`,
        { cause },
      );
    }
    if (typeof header.kid !== 'string' || !Object.hasOwn(known, header.kid)) {
      throw new SweepAuthError(
        `the token is signed with key id ${describeValue(header.kid)}, which is not among Google's current certificates; expected a Google-signed ID token`,
      );
    }

    let payload: Claims;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(
        token,
        { ...known },
        options.audience,
        [...GOOGLE_ISSUERS],
      );
      payload = (ticket.getPayload() ?? {}) as Claims;
    } catch (e) {
      throw new SweepAuthError(reasonOf((e as Error).message ?? '', claims, options.audience));
    }

    if (typeof payload.email !== 'string' || payload.email === '') {
      throw new SweepAuthError(
        'the token has no email claim; expected the email of a SWEEP_INVOKER service account',
      );
    }
    const email = payload.email.toLowerCase();
    if (payload.email_verified !== true && payload.email_verified !== 'true') {
      throw new SweepAuthError(
        `the token email ${describeValue(email)} is not verified (email_verified is ${describeValue(payload.email_verified)}); expected a verified service-account email`,
      );
    }
    if (!invokers.has(email)) {
      throw new SweepAuthError(
        `the token email ${describeValue(email)} is not an allowed invoker; expected one of SWEEP_INVOKER`,
      );
    }
    return { email, subject: typeof payload.sub === 'string' ? payload.sub : undefined };
  };
}
