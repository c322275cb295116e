/**
 * The webhook notifier: POSTs one group notification as JSON, in Alertmanager's webhook v4 body
 * (formats/alertmanager-v4.ts) or as a Slack incoming-webhook message (formats/slack.ts), with
 * `Content-Type: application/json`, `User-Agent: runwatch/<version>` and
 * `Idempotency-Key: <notification id>` (the same on every attempt and every delivery run, so a
 * receiver can drop repeats).
 *
 * The URL is a secret (a Slack URL carries its token in the path): it is resolved on every send
 * by url-secret.ts `resolveUrlSecret` (the whole value; a bad one fails this send with
 * NOTIFY_ERR_SECRET), so a rotated secret takes effect without a restart, and it never appears
 * in an error: messages name the destination as scheme and host only (and scrub the path and
 * query from any receiver text they quote).
 *
 * Time: each attempt (connect, headers, body) has the integration's `timeoutMs`, the whole send
 * (secret, attempts, backoff) stays within `deadlineMs` and stops at once on `signal`.
 * Retries, Alertmanager's rule (`notify/util.go` `Retrier.Check`) plus one addition: 5xx, no
 * answer in time and transport failures are retried up to `maxAttempts`, with exponential
 * backoff and jitter, never sleeping past the deadline; 429 is retried as well (a rate limit is
 * not a rejection), after its `Retry-After` when that fits within the deadline; any other status
 * (3xx is not followed, 4xx) fails for good, not retried. A 2xx is delivered; its body is read
 * (to let the connection be reused) up to `RESPONSE_BODY_LIMIT_BYTES` and within the attempt's
 * time, then dropped, so a hostile receiver (endless or huge body, slow headers) costs bounded
 * memory and time.
 *
 * Failure is a `NotifyError` with the last attempt's code and retryability (a deadline or abort
 * is NOTIFY_ERR_TIMEOUT, retryable), and a message with what the last attempt saw, the attempts
 * made, the time taken and the destination.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';
import type { Env } from '../../lib/config/read.js';
import type { GroupNotification, IntegrationConfig, Notifier } from '../engine/types.js';
import { cut } from '../ingest/fields.js';
import {
  NOTIFY_ERR_HTTP_STATUS,
  NOTIFY_ERR_TIMEOUT,
  NOTIFY_ERR_TRANSPORT,
  NotifyError,
} from './errors.js';
import { alertmanagerWebhookBody } from './formats/alertmanager-v4.js';
import { slackMessage } from './formats/slack.js';
import { resolveUrlSecret } from './url-secret.js';

export type WebhookConfig = Extract<IntegrationConfig, { type: 'webhook' }>;

/** The most bytes of a response body read; the rest is dropped with the connection. */
export const RESPONSE_BODY_LIMIT_BYTES = 64 * 1024;
/** How much of a non-2xx answer's body is quoted in the error message. */
export const RESPONSE_SAMPLE_CHARS = 200;
/** Backoff before attempt n+1: `initialMs × 2^(n−1)`, at most `maxMs`, times a jitter in [0.5, 1.5). */
export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

export interface WebhookDeps {
  /** Where a `{env: NAME}` URL reference is read, on every send (a `{file}` one is read then). */
  readonly env: Env;
  /** undici's global dispatcher when not given. */
  readonly dispatcher?: Dispatcher;
  /** Waits `ms`, rejecting when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** In [0, 1): the backoff's jitter. */
  readonly random?: () => number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** `User-Agent` is `runwatch/<version>`; default package.json's version. */
  readonly version?: string;
  /** Alertmanager's `externalURL` in the alertmanager body; default `""`. */
  readonly externalURL?: string;
}

/** What one attempt came to. */
type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: string;
      readonly retryable: boolean;
      /** What happened, for the message: `HTTP 503`, `no answer within 1000 ms`, `ECONNREFUSED`. */
      readonly reason: string;
      /** The receiver's `Retry-After`, when it sent one. */
      readonly retryAfterMs?: number;
    };

/** Why the send as a whole stopped early. */
class Stop extends Error {
  constructor(readonly why: 'deadline' | 'aborted') {
    super(why);
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Scheme and host (with port): all of a secret URL a message may show. */
export function redactedDestination(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * `text` with the URL's secret parts blanked: the whole URL, its path and query, and each path
 * segment and query value long enough to be a token. For receiver text quoted in a message.
 */
export function scrubSecretUrl(text: string, url: URL): string {
  const parts = [url.href, url.pathname, url.search, url.username, url.password];
  if (url.username !== '' || url.password !== '') {
    // What the receiver may echo of the Basic credentials: decoded, and as the header sends them.
    const user = decodedOr(url.username);
    const password = decodedOr(url.password);
    parts.push(user, password, Buffer.from(`${user}:${password}`).toString('base64'));
  }
  for (const segment of url.pathname.split('/')) parts.push(segment, decodedOr(segment));
  for (const value of url.searchParams.values()) parts.push(value);
  let out = text;
  for (const part of parts.filter((p) => p.length >= 6).sort((a, b) => b.length - a.length)) {
    out = out.split(part).join('[redacted]');
  }
  return out;
}

/** `segment` %-decoded, or as it is when its escapes are malformed (`%E0%A4%A`). */
function decodedOr(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Backoff before the attempt after attempt `n` (1-based). */
export function backoffMs(
  n: number,
  backoff: { readonly initialMs: number; readonly maxMs: number },
  random: () => number,
): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (n - 1));
  return Math.round(base * (0.5 + random()));
}

/** `Retry-After` (delay-seconds or an HTTP date) in ms from now, or undefined. */
export function retryAfterMs(header: unknown, nowMs: number): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

async function sampleOf(
  res: Dispatcher.ResponseData,
  signal: AbortSignal,
  url: URL,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (signal.aborted) break;
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= RESPONSE_SAMPLE_CHARS * 4) break;
    }
  } catch {
    // the status is what counts; a body that fails midway is quoted as far as it came
  } finally {
    res.body.destroy();
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\p{Cc}+/gu, ' ')
    .trim();
  return text === ''
    ? ''
    : `: ${JSON.stringify(cut(scrubSecretUrl(text, url), RESPONSE_SAMPLE_CHARS))}`;
}

function statusOutcome(status: number, sample: string, retryAfter: number | undefined): Outcome {
  const retryable = status >= 500 || status === 429;
  return {
    ok: false,
    code: NOTIFY_ERR_HTTP_STATUS,
    retryable,
    reason: `HTTP ${status}${sample}`,
    ...(retryable && retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
}

function failureOutcome(e: unknown, timedOut: boolean, timeoutMs: number): Outcome {
  const err = e as { code?: unknown; name?: unknown };
  if (
    timedOut ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err.code === 'UND_ERR_BODY_TIMEOUT' ||
    err.code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return {
      ok: false,
      code: NOTIFY_ERR_TIMEOUT,
      retryable: true,
      reason: `no answer within ${timeoutMs} ms`,
    };
  }
  // Only the error's code or class name: undici's messages are not ours to vouch for.
  const what = typeof err.code === 'string' ? err.code : String(err.name ?? 'Error');
  return {
    ok: false,
    code: NOTIFY_ERR_TRANSPORT,
    retryable: true,
    reason: `connection failed (${what})`,
  };
}

/** `decodeURIComponent`, or the text as written when its %-escapes are malformed. */
function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function createWebhookNotifier(config: WebhookConfig, deps: WebhookDeps): Notifier {
  const sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const random = deps.random ?? Math.random;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const userAgent = `runwatch/${deps.version ?? packageVersion()}`;
  const render = (n: GroupNotification): string =>
    JSON.stringify(
      config.format === 'slack'
        ? slackMessage(n, { maxAlerts: config.maxAlerts })
        : alertmanagerWebhookBody(n, {
            maxAlerts: config.maxAlerts,
            ...(deps.externalURL === undefined ? {} : { externalURL: deps.externalURL }),
          }),
    );

  async function resolveUrl(receiver: string, stop: AbortSignal): Promise<URL> {
    const value = await raceStop(resolveUrlSecret(config.url, { receiver, env: deps.env }), stop);
    return new URL(value);
  }

  /**
   * A URL's `user:password@` as a Basic authorization header (undici sends no userinfo, so a
   * basic-auth receiver would answer 401), and the URL without it.
   */
  function splitCredentials(url: URL): { url: URL; authorization?: string } {
    if (url.username === '' && url.password === '') return { url };
    const bare = new URL(url);
    bare.username = '';
    bare.password = '';
    const user = decodeURIComponentSafe(url.username);
    const password = decodeURIComponentSafe(url.password);
    return {
      url: bare,
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    };
  }

  async function attempt(url: URL, body: string, id: string, stop: AbortSignal): Promise<Outcome> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), config.timeoutMs);
    const signal = AbortSignal.any([stop, timer.signal]);
    const target = splitCredentials(url);
    try {
      const res = await request(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': userAgent,
          'idempotency-key': id,
          ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
        },
        body,
        signal,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
        ...(deps.dispatcher === undefined ? {} : { dispatcher: deps.dispatcher }),
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // Delivered: the body only frees the connection, so it is read within bounds, then let go.
        await res.body.dump({ limit: RESPONSE_BODY_LIMIT_BYTES, signal }).catch(() => {});
        return { ok: true };
      }
      const retryAfter = retryAfterMs(res.headers['retry-after'], Date.now());
      return statusOutcome(res.statusCode, await sampleOf(res, signal, url), retryAfter);
    } catch (e) {
      if (stop.aborted) throw stop.reason;
      return failureOutcome(e, timer.signal.aborted, config.timeoutMs);
    } finally {
      clearTimeout(timeout);
    }
  }

  return {
    type: 'webhook',
    async send(notification, options) {
      const started = performance.now();
      const deadline = new AbortController();
      const deadlineTimer = setTimeout(
        () => deadline.abort(new Stop('deadline')),
        Math.max(0, options.deadlineMs),
      );
      const caller = options.signal;
      const onAbort = () => deadline.abort(new Stop('aborted'));
      caller?.addEventListener('abort', onAbort, { once: true });
      if (caller?.aborted) onAbort();
      const stop = deadline.signal;
      let destination = 'the webhook';
      let attempts = 0;
      let last: Outcome | null = null;
      const fail = (code: string, retryable: boolean, what: string): NotifyError =>
        new NotifyError(
          code,
          `webhook to ${destination}: ${what}; ${attempts} attempt${attempts === 1 ? '' : 's'} of ${config.maxAttempts} in ${Math.round(performance.now() - started)} ms`,
          { retryable },
        );
      try {
        if (stop.aborted) throw stop.reason;
        const url = await resolveUrl(notification.receiver, stop);
        destination = redactedDestination(url);
        const body = render(notification);
        while (attempts < config.maxAttempts) {
          attempts++;
          last = await attempt(url, body, notification.id, stop);
          if (last.ok) return;
          if (!last.retryable || attempts >= config.maxAttempts) break;
          const wait = last.retryAfterMs ?? backoffMs(attempts, backoff, random);
          const left = options.deadlineMs - (performance.now() - started);
          if (wait >= left) {
            throw fail(
              last.code,
              last.retryable,
              `${last.reason}; the next attempt (in ${wait} ms) would pass the ${options.deadlineMs} ms deadline`,
            );
          }
          await sleep(wait, stop).catch((e: unknown) => {
            throw stop.aborted ? stop.reason : e;
          });
        }
        if (last === null || last.ok) throw fail(NOTIFY_ERR_TIMEOUT, true, 'no attempt made');
        throw fail(last.code, last.retryable, last.reason);
      } catch (e) {
        if (!(e instanceof Stop)) throw e;
        const seen = last !== null && !last.ok ? `; the last attempt saw ${last.reason}` : '';
        throw fail(
          NOTIFY_ERR_TIMEOUT,
          true,
          e.why === 'deadline'
            ? `the ${options.deadlineMs} ms deadline passed${seen}`
            : `stopped by the caller${seen}`,
        );
      } finally {
        clearTimeout(deadlineTimer);
        caller?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** `promise`, or a rejection with the stop's reason as soon as `stop` aborts. */
function raceStop<T>(promise: Promise<T>, stop: AbortSignal): Promise<T> {
  if (stop.aborted) return Promise.reject(stop.reason);
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    promise.then(
      (v) => {
        stop.removeEventListener('abort', onStop);
        resolve(v);
      },
      (e: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(e);
      },
    );
  });
}
