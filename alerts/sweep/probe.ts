/**
 * Probing the sweep's targets over HTTP with undici. Each request has its own deadline (the
 * target's `timeoutMs`, through an AbortSignal, which also covers reading the body), and targets
 * are probed concurrently up to a bound, so one dead target never delays the others past its own
 * timeout.
 *
 * Per target: GET the liveness path (up, status, latency), GET the health path (its JSON status
 * and each check's value), and GET the metrics path (parsed Prometheus text, plus the
 * `X-Instance-Id` that answered). A failed step is recorded, never thrown; that includes
 * `options.headers` (an IAM target's ID token), whose failure marks only that target down, and
 * `options.metricsHeaders` (its admin key, on the metrics request only), whose failure costs only
 * that target its metrics (`SCRAPE_ERR_CREDENTIAL`).
 *
 * Every body is read as a stream against a byte bound and the undici body is destroyed the
 * moment it is passed, so a hostile target costs at most its bound in memory (issue 16): the
 * liveness body is drained up to `HEALTH_BODY_LIMIT_BYTES` and ignored; /health is parsed only
 * within that bound; /metrics is parsed chunk by chunk as it arrives, within the target's
 * `limits` (bytes, samples, distinct instances). Whatever goes wrong reading /health or /metrics
 * is a `ScrapeProblem` with a code from scrape-errors.ts.
 */
import { request } from 'undici';
import { createPrometheusParser, type Exposition } from './prometheus-text.js';
import {
  SCRAPE_ERR_CREDENTIAL,
  SCRAPE_ERR_HEALTH_UNKNOWN,
  SCRAPE_ERR_INVALID,
  SCRAPE_ERR_TIMEOUT,
  SCRAPE_ERR_TOO_LARGE,
  SCRAPE_ERR_TOO_MANY_INSTANCES,
  SCRAPE_ERR_UNREADABLE,
  ScrapeError,
  type ScrapeErrorCode,
} from './scrape-errors.js';
import type { SweepTarget } from './targets.js';

/** The most bytes read of a liveness or /health body. The service's /health is under 2 KB. */
export const HEALTH_BODY_LIMIT_BYTES = 64 * 1024;
/** How much of a /health status outside `HEALTH_STATES` is kept, as a sample of what it said. */
export const HEALTH_SAMPLE_CHARS = 40;
/** The /health states the service reports (service/routes/probes.ts): the only ones kept as they are. */
export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'draining'] as const;
export type HealthState = (typeof HEALTH_STATES)[number] | 'unknown';

const KNOWN_STATES: ReadonlySet<string> = new Set(HEALTH_STATES);

/** One thing that went wrong reading a target's /health or /metrics. */
export interface ScrapeProblem {
  readonly probe: 'health' | 'metrics';
  readonly code: ScrapeErrorCode;
  /** Bounded: never more than a short sample of what the target sent. */
  readonly message: string;
}

export interface ProbeResult {
  readonly target: string;
  readonly up: boolean;
  /** HTTP status of the liveness probe, or null when no response came. */
  readonly status: number | null;
  readonly latencyMs: number;
  /** Why the target is down (timeout, connection refused, HTTP status), else null. */
  readonly error: string | null;
  /** The /health verdict and check values, when it answered a JSON status. */
  readonly health: {
    readonly status: HealthState;
    /** For `unknown`: the status's first `HEALTH_SAMPLE_CHARS` characters. */
    readonly sample?: string;
    readonly checks: Readonly<Record<string, number | null>>;
  } | null;
  /** The parsed /metrics and the instance that served it, when the target exposes metrics. */
  readonly metrics: { readonly exposition: Exposition; readonly instance: string | null } | null;
  /** Problems reading /health and /metrics, in that order; empty when both read cleanly. */
  readonly problems: readonly ScrapeProblem[];
}

export interface ProbeOptions {
  /** Headers for every request, e.g. an ID token for IAM-protected targets. */
  readonly headers?: (target: SweepTarget) => Promise<Record<string, string>>;
  /**
   * Extra headers for the metrics request only (a target's admin key). A throw is that target's
   * `SCRAPE_ERR_CREDENTIAL` problem, with the error's message: metrics are then not asked.
   */
  readonly metricsHeaders?: (target: SweepTarget) => Record<string, string>;
  readonly now?: () => number;
}

type Response = Awaited<ReturnType<typeof request>>;

function get(url: string, timeoutMs: number, headers: Record<string, string>, signal: AbortSignal) {
  return request(url, {
    method: 'GET',
    headers,
    signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

function tooLarge(what: string, limit: number, detail: string): ScrapeError {
  return new ScrapeError(
    SCRAPE_ERR_TOO_LARGE,
    `${what} body is over ${limit} bytes (${detail}); reading stopped there`,
  );
}

/**
 * Streams `res.body` as text into `sink`, at most `limit` bytes: a larger Content-Length is
 * refused before any body is read, and a body that passes the limit is destroyed there. What
 * `sink` throws also destroys the body, and is rethrown.
 */
async function streamBody(
  res: Response,
  what: string,
  limit: number,
  sink: (text: string) => void,
): Promise<void> {
  try {
    const declared = Number(res.headers['content-length']);
    if (declared > limit) throw tooLarge(what, limit, `Content-Length ${declared}`);
    const decoder = new TextDecoder();
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limit) throw tooLarge(what, limit, 'as it streamed');
      sink(decoder.decode(chunk, { stream: true }));
    }
    sink(decoder.decode());
  } catch (e) {
    res.body.destroy();
    throw e;
  }
}

async function readText(res: Response, what: string, limit: number): Promise<string> {
  const parts: string[] = [];
  await streamBody(res, what, limit, (text) => parts.push(text));
  return parts.join('');
}

function reasonOf(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err.code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return `no answer within ${timeoutMs} ms`;
  }
  return err.code ?? err.message ?? String(e);
}

/** A failure while reading a probe as a problem: a ScrapeError keeps its code. */
function problemOf(
  probe: ScrapeProblem['probe'],
  e: unknown,
  timeoutMs: number,
  signal: AbortSignal,
): ScrapeProblem {
  if (e instanceof ScrapeError) return { probe, code: e.code, message: e.message };
  const reason = reasonOf(e, timeoutMs);
  const timedOut = signal.aborted || reason.startsWith('no answer');
  return {
    probe,
    code: timedOut ? SCRAPE_ERR_TIMEOUT : SCRAPE_ERR_UNREADABLE,
    message: timedOut
      ? `${probe}: no complete answer within ${timeoutMs} ms`
      : `${probe}: ${reason}`,
  };
}

function healthOf(body: string): { health: ProbeResult['health']; problem: ScrapeProblem | null } {
  let json: unknown = null;
  try {
    json = JSON.parse(body);
  } catch {
    // not JSON: below
  }
  const status = (json as { status?: unknown } | null)?.status;
  if (typeof status !== 'string') {
    return {
      health: null,
      problem: {
        probe: 'health',
        code: SCRAPE_ERR_INVALID,
        message: 'health: the body is not a JSON object with a string "status"',
      },
    };
  }
  const checks: Record<string, number | null> = {};
  const rawChecks = (json as { checks?: unknown }).checks;
  if (typeof rawChecks === 'object' && rawChecks !== null) {
    for (const [name, check] of Object.entries(rawChecks as Record<string, unknown>)) {
      const value = (check as { value?: unknown } | null)?.value;
      checks[name] = typeof value === 'number' ? value : null;
    }
  }
  if (KNOWN_STATES.has(status)) {
    return { health: { status: status as HealthState, checks }, problem: null };
  }
  const sample = status.slice(0, HEALTH_SAMPLE_CHARS);
  return {
    health: { status: 'unknown', sample, checks },
    problem: {
      probe: 'health',
      code: SCRAPE_ERR_HEALTH_UNKNOWN,
      message: `health: status ${JSON.stringify(sample)}${status.length > sample.length ? `… (${status.length} characters)` : ''} is none of ${HEALTH_STATES.join(', ')}; recorded as unknown`,
    },
  };
}

/** Parses /metrics as it streams, within the target's limits. */
async function scrapeMetrics(res: Response, target: SweepTarget): Promise<Exposition> {
  const { limits } = target;
  const instances = new Set<string>();
  const parser = createPrometheusParser({
    maxSamples: limits.samples,
    onSample: (sample, lineNo) => {
      const instance = sample.labels.instance;
      if (instance === undefined || instances.has(instance)) return;
      instances.add(instance);
      if (instances.size > limits.instances) {
        throw new ScrapeError(
          SCRAPE_ERR_TOO_MANY_INSTANCES,
          `/metrics names more than ${limits.instances} instances (line ${lineNo}); the scrape is refused`,
        );
      }
    },
  });
  await streamBody(res, '/metrics', limits.metricsBytes, (text) => parser.push(text));
  return parser.end();
}

async function probeHealth(
  target: SweepTarget,
  headers: Record<string, string>,
): Promise<{ health: ProbeResult['health']; problem: ScrapeProblem | null }> {
  const signal = AbortSignal.timeout(target.timeoutMs);
  try {
    const res = await get(
      `${target.url}${target.probes.health}`,
      target.timeoutMs,
      headers,
      signal,
    );
    return healthOf(await readText(res, '/health', HEALTH_BODY_LIMIT_BYTES));
  } catch (e) {
    return { health: null, problem: problemOf('health', e, target.timeoutMs, signal) };
  }
}

async function probeMetrics(
  target: SweepTarget,
  path: string,
  headers: Record<string, string>,
): Promise<{ metrics: ProbeResult['metrics']; problem: ScrapeProblem | null }> {
  const signal = AbortSignal.timeout(target.timeoutMs);
  try {
    const res = await get(`${target.url}${path}`, target.timeoutMs, headers, signal);
    if (res.statusCode !== 200) {
      await res.body.dump({ limit: HEALTH_BODY_LIMIT_BYTES, signal }).catch(() => {});
      return {
        metrics: null,
        problem: {
          probe: 'metrics',
          code: SCRAPE_ERR_UNREADABLE,
          message: `metrics answered HTTP ${res.statusCode}`,
        },
      };
    }
    const instance = res.headers['x-instance-id'];
    const exposition = await scrapeMetrics(res, target);
    return {
      metrics: { exposition, instance: typeof instance === 'string' ? instance : null },
      problem: null,
    };
  } catch (e) {
    return { metrics: null, problem: problemOf('metrics', e, target.timeoutMs, signal) };
  }
}

async function withMetricsHeaders(
  target: SweepTarget,
  headers: Record<string, string>,
  options: ProbeOptions,
): Promise<{ headers: Record<string, string> } | { metrics: null; problem: ScrapeProblem }> {
  try {
    return { headers: { ...headers, ...options.metricsHeaders?.(target) } };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { metrics: null, problem: { probe: 'metrics', code: SCRAPE_ERR_CREDENTIAL, message } };
  }
}

export async function probeTarget(
  target: SweepTarget,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const now = options.now ?? (() => performance.now());
  const none = { health: null, metrics: null, problems: [] };
  let headers: Record<string, string>;
  try {
    headers = (await options.headers?.(target)) ?? {};
  } catch (e) {
    // No credentials, no probe: the target counts as down, with the reason, and the sweep goes on.
    return {
      target: target.name,
      up: false,
      status: null,
      latencyMs: 0,
      error: `not probed: ${(e as Error).message ?? String(e)}`,
      ...none,
    };
  }
  const t0 = now();
  let status: number | null = null;
  let error: string | null = null;
  const signal = AbortSignal.timeout(target.timeoutMs);
  try {
    const res = await get(`${target.url}${target.probes.live}`, target.timeoutMs, headers, signal);
    status = res.statusCode;
    // Read to its end (within the deadline) so a body that never ends fails the probe; past
    // the bound the body is destroyed and ignored, as its content is.
    await res.body.dump({ limit: HEALTH_BODY_LIMIT_BYTES, signal });
    if (status !== 200) error = `liveness answered HTTP ${status}`;
  } catch (e) {
    status = null;
    error = reasonOf(e, target.timeoutMs);
  }
  const base = {
    target: target.name,
    up: status === 200 && error === null,
    status,
    latencyMs: now() - t0,
    error,
  };
  if (!base.up) return { ...base, ...none };
  const [health, metrics] = await Promise.all([
    probeHealth(target, headers),
    target.probes.metrics === null
      ? Promise.resolve({ metrics: null, problem: null })
      : withMetricsHeaders(target, headers, options).then((h) =>
          'problem' in h ? h : probeMetrics(target, target.probes.metrics as string, h.headers),
        ),
  ]);
  const problems = [health.problem, metrics.problem].filter((p) => p !== null);
  return { ...base, health: health.health, metrics: metrics.metrics, problems };
}

/** Probes every target, at most `concurrency` at a time; results in target order. */
export async function probeAll(
  targets: readonly SweepTarget[],
  concurrency: number,
  options: ProbeOptions = {},
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      results[i] = await probeTarget(targets[i] as SweepTarget, options);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker),
  );
  return results;
}
