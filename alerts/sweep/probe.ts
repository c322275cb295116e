/**
 * Probing the sweep's targets over HTTP with undici. Each request has its own deadline (the
 * target's `timeoutMs`, through an AbortSignal), and targets are probed concurrently up to a
 * bound, so one dead target never delays the others past its own timeout.
 *
 * Per target: GET the liveness path (up, status, latency), GET the health path (its JSON status
 * and each check's value), and GET the metrics path (parsed Prometheus text, plus the
 * `X-Instance-Id` that answered). A failed step is recorded, never thrown; that includes
 * `options.headers` (an IAM target's ID token), whose failure marks only that target down.
 */
import { request } from 'undici';
import { type Exposition, parsePrometheusText } from './prometheus-text.js';
import type { SweepTarget } from './targets.js';

export interface ProbeResult {
  readonly target: string;
  readonly up: boolean;
  /** HTTP status of the liveness probe, or null when no response came. */
  readonly status: number | null;
  readonly latencyMs: number;
  /** Why the target is down (timeout, connection refused, HTTP status), else null. */
  readonly error: string | null;
  /** The /health verdict and check values, when it answered JSON. */
  readonly health: {
    readonly status: string;
    readonly checks: Readonly<Record<string, number | null>>;
  } | null;
  /** The parsed /metrics and the instance that served it, when the target exposes metrics. */
  readonly metrics: { readonly exposition: Exposition; readonly instance: string | null } | null;
  readonly metricsError: string | null;
}

export interface ProbeOptions {
  /** Headers for every request, e.g. an ID token for IAM-protected targets. */
  readonly headers?: (target: SweepTarget) => Promise<Record<string, string>>;
  readonly now?: () => number;
}

interface Fetched {
  readonly status: number;
  readonly body: string;
  readonly instance: string | null;
}

async function fetchText(
  url: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<Fetched> {
  const res = await request(url, {
    method: 'GET',
    headers,
    signal: AbortSignal.timeout(timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const body = await res.body.text();
  const instance = res.headers['x-instance-id'];
  return {
    status: res.statusCode,
    body,
    instance: typeof instance === 'string' ? instance : null,
  };
}

function reasonOf(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT'
  ) {
    return `no answer within ${timeoutMs} ms`;
  }
  return err.code ?? err.message ?? String(e);
}

function healthOf(body: string): ProbeResult['health'] {
  try {
    const json = JSON.parse(body) as {
      status?: unknown;
      checks?: Record<string, { value?: unknown }>;
    };
    if (typeof json.status !== 'string') return null;
    const checks: Record<string, number | null> = {};
    for (const [name, check] of Object.entries(json.checks ?? {})) {
      checks[name] = typeof check?.value === 'number' ? check.value : null;
    }
    return { status: json.status, checks };
  } catch {
    return null;
  }
}

export async function probeTarget(
  target: SweepTarget,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const now = options.now ?? (() => performance.now());
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
      health: null,
      metrics: null,
      metricsError: null,
    };
  }
  const t0 = now();
  let live: Fetched | null = null;
  let error: string | null = null;
  try {
    live = await fetchText(`${target.url}${target.probes.live}`, target.timeoutMs, headers);
    if (live.status !== 200) error = `liveness answered HTTP ${live.status}`;
  } catch (e) {
    error = reasonOf(e, target.timeoutMs);
  }
  const base = {
    target: target.name,
    up: live !== null && live.status === 200,
    status: live?.status ?? null,
    latencyMs: now() - t0,
    error,
  };
  if (!base.up) return { ...base, health: null, metrics: null, metricsError: null };
  const [health, metrics] = await Promise.all([
    fetchText(`${target.url}${target.probes.health}`, target.timeoutMs, headers).then(
      (r) => healthOf(r.body),
      () => null,
    ),
    target.probes.metrics === null
      ? Promise.resolve({ value: null, error: null })
      : fetchText(`${target.url}${target.probes.metrics}`, target.timeoutMs, headers).then(
          (r) => {
            if (r.status !== 200)
              return { value: null, error: `metrics answered HTTP ${r.status}` };
            try {
              return {
                value: { exposition: parsePrometheusText(r.body), instance: r.instance },
                error: null,
              };
            } catch (e) {
              return { value: null, error: (e as Error).message };
            }
          },
          (e: unknown) => ({ value: null, error: reasonOf(e, target.timeoutMs) }),
        ),
  ]);
  return { ...base, health, metrics: metrics.value, metricsError: metrics.error };
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
