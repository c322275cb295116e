/**
 * Where an alert's runbook is. Every alertname runwatch can raise has one runbook,
 * `docs/runbooks/<alertname>.md`, and its definition (a trend rule's `runbook_url`, the constant
 * beside a finding built in code) carries that repository path as the finding's
 * `annotations.runbook_url`. runwatch has no published documentation site, so the path is the
 * reference that resolves in any checkout; a deployment that publishes the repository (a Git
 * host's file view, a docs site) turns it into a link with `absoluteRunbookUrl` and its own base
 * URL, which its configuration supplies. A definition may also name an `https://` runbook
 * elsewhere, which is kept as it is.
 */

/** The folder of the runbooks, relative to the repository root. */
export const RUNBOOK_DIR = 'docs/runbooks';

/**
 * What a definition's `runbook_url` may be: an http(s) URL, or the repository path of a runbook
 * (`docs/runbooks/<alertname>.md`, an alertname as the rule schema spells one).
 */
export const RUNBOOK_URL_PATTERN = '^(https?://[^\\s]+|docs/runbooks/[A-Za-z_][A-Za-z0-9_]*\\.md)$';

/** The repository path of an alert's runbook: `InferDown` → `docs/runbooks/InferDown.md`. */
export function runbookPath(alertname: string): string {
  return `${RUNBOOK_DIR}/${alertname}.md`;
}

/**
 * A runbook reference as a link: an http(s) URL is returned as it is; a repository path is
 * resolved against `baseUrl`, the URL of the repository root as published (a trailing `/` is
 * added when missing), e.g. `https://github.com/o/runwatch/blob/main` + `docs/runbooks/InferDown.md`.
 * Without a base the path is returned unchanged.
 */
export function absoluteRunbookUrl(ref: string, baseUrl?: string): string {
  if (/^https?:\/\//.test(ref) || baseUrl === undefined) return ref;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(ref, base).href;
}
