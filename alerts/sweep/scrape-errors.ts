/**
 * What can go wrong when the sweep reads a target's `/health` and `/metrics`: one stable code per
 * kind of problem (docs/errors.md, "Scrapes"). A scrape problem is never thrown past the probe:
 * it is that target's result (`ProbeResult.problems`), its `ScrapeFailed` finding and a field of
 * the sweep's summary, so one target can never stop the sweep for the others.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const SCRAPE_ERR_INVALID = 'SCRAPE_ERR_INVALID';
export const SCRAPE_ERR_TOO_LARGE = 'SCRAPE_ERR_TOO_LARGE';
export const SCRAPE_ERR_TOO_MANY_SAMPLES = 'SCRAPE_ERR_TOO_MANY_SAMPLES';
export const SCRAPE_ERR_TOO_MANY_INSTANCES = 'SCRAPE_ERR_TOO_MANY_INSTANCES';
export const SCRAPE_ERR_SAMPLE_INVALID = 'SCRAPE_ERR_SAMPLE_INVALID';
export const SCRAPE_ERR_HEALTH_UNKNOWN = 'SCRAPE_ERR_HEALTH_UNKNOWN';
export const SCRAPE_ERR_TIMEOUT = 'SCRAPE_ERR_TIMEOUT';
export const SCRAPE_ERR_UNREADABLE = 'SCRAPE_ERR_UNREADABLE';
export const SCRAPE_ERR_CREDENTIAL = 'SCRAPE_ERR_CREDENTIAL';

export type ScrapeErrorCode =
  | typeof SCRAPE_ERR_INVALID
  | typeof SCRAPE_ERR_TOO_LARGE
  | typeof SCRAPE_ERR_TOO_MANY_SAMPLES
  | typeof SCRAPE_ERR_TOO_MANY_INSTANCES
  | typeof SCRAPE_ERR_SAMPLE_INVALID
  | typeof SCRAPE_ERR_HEALTH_UNKNOWN
  | typeof SCRAPE_ERR_TIMEOUT
  | typeof SCRAPE_ERR_UNREADABLE
  | typeof SCRAPE_ERR_CREDENTIAL;

export class ScrapeError extends RunwatchError {
  declare readonly code: ScrapeErrorCode;

  constructor(code: ScrapeErrorCode, message: string, options: { field?: string } = {}) {
    super(code, 502, message, options);
  }
}

const spec = (code: ScrapeErrorCode, meaning: string): ErrorSpec => ({
  code,
  statusCode: 502,
  surface: 'sweep',
  meaning: `${meaning} Recorded as that target's \`ScrapeFailed\` finding (docs/alerts.md).`,
});

export const SCRAPE_ERRORS: readonly ErrorSpec[] = [
  spec(
    SCRAPE_ERR_INVALID,
    "A target's `/metrics` is not Prometheus text format (the message names the line, what it holds and what was expected), or its `/health` is not a JSON object with a string `status`.",
  ),
  spec(
    SCRAPE_ERR_TOO_LARGE,
    "A `/metrics` body past the target's `limits.metrics_bytes` (default 4 MiB), or a `/health` body past 64 KiB: by its Content-Length, or as it streams; reading stops there and the scrape is refused whole.",
  ),
  spec(
    SCRAPE_ERR_TOO_MANY_SAMPLES,
    "A `/metrics` scrape with more samples (or `# TYPE`/`# HELP` families) than the target's `limits.samples` (default 20,000); parsing and reading stop there and the scrape is refused whole.",
  ),
  spec(
    SCRAPE_ERR_TOO_MANY_INSTANCES,
    "A `/metrics` scrape whose `instance` labels name more distinct instances than the target's `limits.instances` (default 64); reading stops there and the scrape is refused whole.",
  ),
  spec(
    SCRAPE_ERR_SAMPLE_INVALID,
    'Samples of a scrape the store cannot take were dropped and counted (`dropped` in the summary and in `sweep.completed`): an `instance` label that is empty, longer than 256 characters or holds a control character (NUL among them), a counter or bucket that is not finite or sums past the largest double, a bad `le`. The rest of the target is recorded.',
  ),
  spec(
    SCRAPE_ERR_HEALTH_UNKNOWN,
    "A target's `/health` `status` is none of the service's states (healthy, degraded, unhealthy, draining): it is recorded as `unknown` (health_status 1, as degraded) with its first 40 characters as a sample.",
  ),
  spec(
    SCRAPE_ERR_TIMEOUT,
    "A target's `/health` or `/metrics` was not answered in full within the target's `timeout_ms` (a body that drips forever ends here).",
  ),
  spec(
    SCRAPE_ERR_UNREADABLE,
    "A target's `/metrics` answered an HTTP status other than 200 (401: it needs the target's `admin_key`, or the key is wrong), or the connection failed while reading `/health` or `/metrics`; the message says which.",
  ),
  spec(
    SCRAPE_ERR_CREDENTIAL,
    "The target's `admin_key` reference could not be resolved (the environment variable is unset or empty, the file is missing, unreadable or empty), so `/metrics` was not asked; the message names the reference, never a value.",
  ),
];
