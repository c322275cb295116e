/**
 * The bad-input table's parts: the two apps it runs against, how a case sends its request and
 * what it asserts (`runCase`). The cases themselves are in the `*-cases.ts` files beside this.
 */
import type net from 'node:net';
import type { ExecutionContext } from 'ava';
import type { ServiceErrorCode } from '../../../../service/errors.js';
import { rawGet } from '../../../helpers/child-service.js';
import { closesWithin, type RawExchange, rawExchange } from '../../../helpers/raw-http.js';
import type { TestApp } from '../../../helpers/test-app.js';

export interface Apps {
  main: TestApp;
  base: string;
  port: number;
  /** RATE_LIMIT_PER_MINUTE=1. */
  limited: TestApp;
  limitedBase: string;
}

export const KEY = 'client-key-0123456789abcdef';
export const ADMIN = 'admin-key-0123456789abcdef';
export const ALLOWED_ORIGIN = 'https://app.example.com';
export const BODY_LIMIT = 4096;
export const MODEL = 'tiny-test-model';
export const INFER = `/v2/models/${MODEL}/infer`;
export const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];

export const MAIN_ENV = {
  AUTH_MODE: 'api-key',
  API_KEYS: KEY,
  ADMIN_API_KEYS: ADMIN,
  METRICS_PUBLIC: 'false',
  CORS_ORIGINS: ALLOWED_ORIGIN,
  BODY_LIMIT_BYTES: String(BODY_LIMIT),
  MAX_INPUT_LENGTH: '512',
  MAX_BATCH_SIZE: '100',
  HEADERS_TIMEOUT_MS: '1000',
  REQUEST_TIMEOUT_MS: '1000',
  CONNECTIONS_CHECK_INTERVAL_MS: '100',
};

// ---------------------------------------------------------------------------------------------
// Sending

/** What came back: status, headers, body text, and for raw cases the socket it came on. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly socket?: net.Socket;
  readonly closed?: boolean;
}

export const JSON_KEY = { 'content-type': 'application/json', 'x-api-key': KEY };

export async function http(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: opts.headers ?? JSON_KEY,
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

/** POST of `value` as JSON (a string or bytes verbatim), with the valid key unless `headers` say otherwise. */
export const post =
  (path: string, value: unknown, headers: Record<string, string> = JSON_KEY) =>
  (apps: Apps) =>
    http(apps.base, 'POST', path, {
      headers,
      body:
        typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
    });

export async function raw(apps: Apps, payload: string | Buffer): Promise<Answer> {
  const ex: RawExchange = await rawExchange(apps.port, payload);
  return {
    status: ex.response?.status ?? 0,
    headers: ex.response?.headers ?? {},
    text: ex.response?.body ?? '',
    socket: ex.socket,
    closed: ex.closed,
  };
}

/** A raw POST /predict with the valid key, `headers` lines appended and `body` verbatim. */
export function rawPredict(headers: string[], body: string): (apps: Apps) => Promise<Answer> {
  const head = [
    'POST /predict HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `X-API-Key: ${KEY}`,
    ...headers,
  ];
  return (apps) => raw(apps, `${head.join('\r\n')}\r\n\r\n${body}`);
}

/** An OIP request body with one `text` tensor; `input` overrides its members. */
export function oip(input: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return {
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['hello'], ...input }],
    ...rest,
  };
}

// ---------------------------------------------------------------------------------------------
// The table

export interface Case {
  readonly name: string;
  readonly send: (apps: Apps) => Promise<Answer>;
  readonly status: number;
  /**
   * ours / oip: a catalogue error in that route family's body shape; ok: a 2xx answer (checked
   * by `check`); none: no catalogue body, because Node or a plugin answered before our handler
   * (or a HEAD/204 has no body at all).
   */
  readonly body: 'ours' | 'oip' | 'ok' | 'none';
  readonly code?: ServiceErrorCode;
  readonly field?: string;
  /** The message must match; by default, when `field` is set, it must quote the field. */
  readonly message?: RegExp;
  /** Raw cases: the server closes the socket, or it serves a next request. */
  readonly connection?: 'closed' | 'reusable';
  readonly check?: (t: ExecutionContext<Apps>, body: unknown, answer: Answer) => void;
  /** Why the service gets this case wrong today (the case asserts the documented behaviour). */
  readonly failing?: string;
}

export interface Prediction {
  text: string;
  emotion: string;
  emotions: { emotion: string; confidence: number }[];
  predicted: string[];
}

/** A 200 /predict answer for `text`: the text echoed, a label, all seven scores. */
export const scored =
  (text: string) =>
  (t: ExecutionContext<Apps>, body: unknown): void => {
    const p = body as Prediction;
    t.is(p.text, text, 'the text comes back unchanged');
    t.true(LABELS.includes(p.emotion));
    t.is(p.emotions.length, LABELS.length);
  };

export const corsHeaders = (a: Answer) =>
  Object.keys(a.headers).filter((h) => h.startsWith('access-control-'));

export const LONG = 'a'.repeat(513);
export const EMOJI_512 = '😀'.repeat(512);

// ---------------------------------------------------------------------------------------------
// Running the table

export async function runCase(t: ExecutionContext<Apps>, c: Case): Promise<void> {
  const { main, limited } = t.context;
  const logged = [main.sink.lines.length, limited.sink.lines.length] as const;
  const a = await c.send(t.context);
  try {
    t.is(a.status, c.status, a.text.slice(0, 300));

    let body: unknown = null;
    if (c.body !== 'none') {
      t.regex(a.headers['content-type'] ?? '', /^application\/json/);
      body = JSON.parse(a.text);
    }
    if (c.body === 'ours' || c.body === 'oip') {
      const b = body as Record<string, unknown>;
      // Ours nests the error; the protocol's `error` is the message, with ours alongside.
      const e = (c.body === 'ours' ? b.error : b) as Record<string, unknown>;
      const message = c.body === 'ours' ? e.message : b.error;
      t.is(typeof message, 'string', `${c.body} body shape: ${a.text.slice(0, 300)}`);
      t.is(e.code, c.code);
      t.is(e.request_id, a.headers['x-request-id'], 'the body carries the X-Request-Id');
      t.is(e.field, c.field);
      if (c.message) t.regex(String(message), c.message);
      else if (c.field) t.true(String(message).includes(`"${c.field}"`), String(message));
      // Every error answer, the client-error handler's raw ones included, carries these.
      t.truthy(a.headers['x-instance-id'], 'X-Instance-Id');
      t.is(a.headers['cache-control'], 'no-store');
      t.regex(String(a.headers['content-security-policy']), /default-src 'none'/);
      t.is(a.headers['x-content-type-options'], 'nosniff');
    }
    if (c.connection === 'closed' && c.body === 'ours' && a.headers.connection !== undefined) {
      t.is(a.headers.connection, 'close', 'an answer before a close says so');
    }
    c.check?.(t, body, a);

    if (c.connection === 'closed') {
      t.true(a.closed || (a.socket ? await closesWithin(a.socket, 2000) : false), 'socket closed');
    } else if (c.connection === 'reusable' && a.socket) {
      const next = await rawGet(a.socket, '/health/live');
      t.is(
        'status' in next ? next.status : next.error,
        200,
        'the same socket serves a next request',
      );
    }

    // A client's mistake is no server error: nothing at ERROR, no http.error line.
    const lines = [...main.sink.lines.slice(logged[0]), ...limited.sink.lines.slice(logged[1])];
    t.deepEqual(
      lines.filter((l) => l.event === 'http.error' || l.severity === 'ERROR'),
      [],
    );
  } finally {
    a.socket?.destroy();
  }
}
