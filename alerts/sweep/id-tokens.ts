/**
 * ID tokens for IAM-protected targets (`iam: true`): Cloud Run with `--no-allow-unauthenticated`
 * admits a request only with `Authorization: Bearer <Google ID token>` whose audience is the
 * service's URL, from an identity holding `roles/run.invoker`.
 *
 * The production source is google-auth-library's `GoogleAuth.getIdTokenClient(audience)`: on
 * Cloud Run it asks the metadata server for a token of the function's service account, and the
 * IdTokenClient keeps that token until shortly before it expires, so one client is kept per
 * audience (in the source, not in module state). Tests pass their own `IdTokenSource`, because
 * the metadata server exists only on GCP.
 */
import { GoogleAuth } from 'google-auth-library';
import type { SweepTarget } from './targets.js';

/** An ID token (the bare JWT) for an audience. Rejects when none can be had. */
export type IdTokenSource = (audience: string) => Promise<string>;

export function googleIdTokens(auth?: GoogleAuth): IdTokenSource {
  let googleAuth = auth;
  const clients = new Map<string, ReturnType<GoogleAuth['getIdTokenClient']>>();
  return async (audience) => {
    googleAuth ??= new GoogleAuth();
    let client = clients.get(audience);
    if (client === undefined) {
      client = googleAuth.getIdTokenClient(audience);
      clients.set(audience, client);
      // A failed client is not kept: the next sweep tries again.
      client.catch(() => clients.delete(audience));
    }
    const headers = await (await client).getRequestHeaders();
    const value = headers.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(value)?.[1];
    if (token === undefined) throw new Error('the ID token client returned no bearer token');
    return token;
  };
}

/**
 * The probe's per-target headers: an IAM target gets a bearer ID token for its base URL as
 * audience; other targets get none. The audience is the URL's origin (scheme and host), which is
 * the service URL Cloud Run checks even when the target's base URL has a path. A token failure
 * rejects, and the probe marks that target down with the reason.
 */
export function iamHeaders(
  tokens: IdTokenSource,
): (target: SweepTarget) => Promise<Record<string, string>> {
  return async (target) => {
    if (!target.iam) return {};
    const audience = new URL(target.url).origin;
    try {
      return { authorization: `Bearer ${await tokens(audience)}` };
    } catch (e) {
      throw new Error(
        `no ID token for audience ${audience}: ${(e as Error).message ?? String(e)}`,
        {
          cause: e,
        },
      );
    }
  };
}
