/**
 * Connection URLs with their secrets blanked, for messages, logs and printed configuration.
 *
 * Written here rather than with `URL`: WHATWG URL refuses forms operators use (a Cloud SQL socket
 * URL has no host, `postgres://u:p@/db?host=/cloudsql/...`), and a password with an unescaped
 * `@` or `/` must still come out whole. The user info is everything before the last `@` ahead of
 * the query, so such a password is blanked entirely, and `password` (also `pass`, `pwd`) query
 * parameters are blanked too.
 */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const QUERY_SECRET = /([?&](?:password|pass|pwd)=)[^&#]*/gi;

export const REDACTED = '[redacted]';

export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme === undefined) return url;
  const afterScheme = url.slice(scheme.length);
  const queryAt = afterScheme.search(/[?#]/);
  const beforeQuery = queryAt < 0 ? afterScheme : afterScheme.slice(0, queryAt);
  const at = beforeQuery.lastIndexOf('@');
  let redacted = afterScheme;
  if (at >= 0) {
    const userinfo = beforeQuery.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      redacted = `${userinfo.slice(0, colon)}:${REDACTED}${afterScheme.slice(at)}`;
    }
  }
  return scheme + redacted.replace(QUERY_SECRET, `$1${REDACTED}`);
}
