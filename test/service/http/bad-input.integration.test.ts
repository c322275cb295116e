/**
 * The bad-input table: every way a client can get a request wrong, sent through real HTTP to the
 * real app listening on a port (fetch for well-formed HTTP, raw `node:net` sockets for what no
 * client library will send). Each case asserts the documented status and, when the route answers
 * with a body, the stable code in the body shape of its route family (ours:
 * `{"error": {code, message, field?, request_id}}`; the Open Inference Protocol's:
 * `{"error": "<message>", code, field?, request_id}`), the `field` and a message naming it where
 * the README says so, and that no 4xx is logged as a server error. After the table the process
 * still answers `/health/live` and a valid `/predict`: nothing crashed it.
 *
 * Requests Node's HTTP parser refuses (huge headers, lying or doubled Content-Length, broken
 * chunking, invalid request lines, slow headers or bodies) never reach a route: the service's
 * client-error handler (service/client-error.ts) answers them in our shape too (400
 * SVC_ERR_MALFORMED_HTTP, 431 SVC_ERR_HEADERS_TOO_LARGE, 408 SVC_ERR_REQUEST_TIMEOUT, 413 for
 * oversized chunk extensions) and closes the socket. Node itself answers two with no body, a
 * bare 400 for a missing Host and 417 for an unknown Expect; those cases assert the status and
 * that the socket is closed, or still serves a next request.
 *
 * The router's own refusals (a bad percent-escape), over-long path parameters and OPTIONS
 * requests that are not CORS preflights are answered in our shape, with a catalogue code and
 * X-Request-Id, like everything that reaches a route.
 *
 * One app serves the table: AUTH_MODE=api-key (cases send the valid key unless they test keys),
 * an allowed CORS origin, a 4 KiB body limit, MAX_INPUT_LENGTH 512 and MAX_BATCH_SIZE 100 (the
 * defaults), /metrics behind the admin key, and the smallest timeouts the config allows, so the
 * slow-body cases end in about a second. A second app with a one-request rate limit serves the
 * 429 cases.
 */
import type net from 'node:net';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type { ServiceErrorCode } from '../../../service/errors.js';
import { rawGet } from '../../helpers/child-service.js';
import { closesWithin, type RawExchange, rawExchange } from '../../helpers/raw-http.js';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

interface Apps {
  main: TestApp;
  base: string;
  port: number;
  /** RATE_LIMIT_PER_MINUTE=1. */
  limited: TestApp;
  limitedBase: string;
}

const test = anyTest as TestFn<Apps>;

const KEY = 'client-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
const ALLOWED_ORIGIN = 'https://app.example.com';
const BODY_LIMIT = 4096;
const MODEL = 'tiny-test-model';
const INFER = `/v2/models/${MODEL}/infer`;
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];

const MAIN_ENV = {
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

test.before(async (t) => {
  const main = await buildTestApp(MAIN_ENV);
  const base = await main.listen();
  const limited = await buildTestApp({ ...MAIN_ENV, RATE_LIMIT_PER_MINUTE: '1' });
  const limitedBase = await limited.listen();
  t.context = { main, base, port: Number(new URL(base).port), limited, limitedBase };
});

test.after.always(async (t) => {
  await t.context.main?.app.close();
  await t.context.limited?.app.close();
});

// ---------------------------------------------------------------------------------------------
// Sending

/** What came back: status, headers, body text, and for raw cases the socket it came on. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly socket?: net.Socket;
  readonly closed?: boolean;
}

const JSON_KEY = { 'content-type': 'application/json', 'x-api-key': KEY };

async function http(
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
const post =
  (path: string, value: unknown, headers: Record<string, string> = JSON_KEY) =>
  (apps: Apps) =>
    http(apps.base, 'POST', path, {
      headers,
      body:
        typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
    });

async function raw(apps: Apps, payload: string | Buffer): Promise<Answer> {
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
function rawPredict(headers: string[], body: string): (apps: Apps) => Promise<Answer> {
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
function oip(input: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return {
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['hello'], ...input }],
    ...rest,
  };
}

// ---------------------------------------------------------------------------------------------
// The table

interface Case {
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

interface Prediction {
  text: string;
  emotion: string;
  emotions: { emotion: string; confidence: number }[];
  predicted: string[];
}

/** A 200 /predict answer for `text`: the text echoed, a label, all seven scores. */
const scored =
  (text: string) =>
  (t: ExecutionContext<Apps>, body: unknown): void => {
    const p = body as Prediction;
    t.is(p.text, text, 'the text comes back unchanged');
    t.true(LABELS.includes(p.emotion));
    t.is(p.emotions.length, LABELS.length);
  };

const corsHeaders = (a: Answer) =>
  Object.keys(a.headers).filter((h) => h.startsWith('access-control-'));

const LONG = 'a'.repeat(513);
const EMOJI_512 = '😀'.repeat(512);

const cases: Case[] = [
  // --- malformed JSON and wrong types --------------------------------------------------------
  ...(
    [
      ['truncated JSON', '{"text": "hello"'],
      ['a trailing comma', '{"text": "hello",}'],
      ['single-quoted JSON', "{'text': 'hello'}"],
      ['NaN as a value', '{"text": NaN}'],
      ['an unescaped control character inside a string', '{"text": "a\u0001b"}'],
      ['a prototype-poisoning "__proto__" key', '{"text": "hello", "__proto__": {"x": 1}}'],
      ['an empty body with Content-Type: application/json', ''],
    ] as const
  ).map(
    ([what, body]): Case => ({
      name: `${what} on /predict is invalid JSON (400 SVC_ERR_BODY_INVALID_JSON)`,
      send: post('/predict', body),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_BODY_INVALID_JSON',
    }),
  ),
  ...(
    [
      ['null', 'null'],
      ['an array', '[]'],
      ['a bare string', '"hello"'],
    ] as const
  ).map(
    ([what, body]): Case => ({
      name: `a JSON body that is ${what}, not an object, on /predict is 400 SVC_ERR_INPUT_INVALID naming "(body)"`,
      send: post('/predict', body),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_INPUT_INVALID',
      field: '(body)',
    }),
  ),
  {
    name: 'a /predict body without "text" is 400 SVC_ERR_INPUT_INVALID naming "text" as missing',
    send: post('/predict', { texts: ['hello'] }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'text',
    message: /"text" is missing/,
  },
  ...(
    [
      ['a number', 42, /is a number; expected a string/],
      ['null', null, /is null; expected a string/],
      ['a boolean', true, /is a boolean; expected a string/],
      ['an array', ['hello'], /expected a string/],
      ['an object', { value: 'hello' }, /expected a string/],
      [
        'an array nested 1,000 deep',
        JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`),
        /expected a string/,
      ],
    ] as const
  ).map(
    ([what, value, message]): Case => ({
      name: `"text" that is ${what} is 400 SVC_ERR_INPUT_INVALID naming "text"`,
      send: post('/predict', { text: value }),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_INPUT_INVALID',
      field: 'text',
      message,
    }),
  ),
  {
    name: 'unknown extra fields beside "text" are ignored: scored (200)',
    send: post('/predict', { text: 'hello', lang: 'en', extra: { deep: [1, 2] } }),
    status: 200,
    body: 'ok',
    check: scored('hello'),
  },

  // --- empty, whitespace-only and huge texts -------------------------------------------------
  {
    name: 'an empty "text" is 400 SVC_ERR_INPUT_INVALID naming "text" as empty',
    send: post('/predict', { text: '' }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'text',
    message: /"text" is empty/,
  },
  ...(
    [
      ['spaces', '     '],
      ['tabs and newlines', '\t\n\r\n\t'],
      ['no-break and ideographic spaces', '\u00a0\u3000\u2003'],
      ['a byte-order mark (U+FEFF, whitespace to String.prototype.trim)', '\ufeff'],
    ] as const
  ).map(
    ([what, text]): Case => ({
      name: `a "text" of only ${what} is 400 SVC_ERR_INPUT_INVALID (whitespace only)`,
      send: post('/predict', { text }),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_INPUT_INVALID',
      field: 'text',
      message: /"text" is whitespace only/,
    }),
  ),
  {
    name: 'a "text" of 513 code points is 400 SVC_ERR_INPUT_INVALID naming the length, never truncated or echoed',
    send: post('/predict', { text: LONG }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'text',
    message: /"text" has 513 code points; expected at most 512/,
    check: (t, _body, a) => t.false(a.text.includes('aaaaaaaaaa'), 'the text is not echoed'),
  },
  {
    name: 'a "text" of exactly 512 code points is scored (200): the limit is inclusive',
    send: post('/predict', { text: LONG.slice(1) }),
    status: 200,
    body: 'ok',
    check: scored(LONG.slice(1)),
  },
  {
    name: 'a "text" of 512 emoji (1,024 UTF-16 units) is scored (200): length counts code points',
    send: post('/predict', { text: EMOJI_512 }),
    status: 200,
    body: 'ok',
    check: scored(EMOJI_512),
  },
  {
    name: 'a "text" of 513 emoji is 400 SVC_ERR_INPUT_INVALID naming 513 code points',
    send: post('/predict', { text: `${EMOJI_512}😀` }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'text',
    message: /has 513 code points/,
  },
  {
    name: 'a "text" that makes the body larger than BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE naming the limit',
    send: post('/predict', { text: 'a'.repeat(BODY_LIMIT + 1) }),
    status: 413,
    body: 'ours',
    code: 'SVC_ERR_BODY_TOO_LARGE',
    message: /at most 4096 bytes/,
  },

  // --- batches -------------------------------------------------------------------------------
  {
    name: 'an empty "texts" batch is 400 SVC_ERR_INPUT_INVALID naming "texts"',
    send: post('/predict_batch', { texts: [] }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'texts',
    message: /"texts" is empty; expected at least 1/,
  },
  {
    name: 'a batch of 101 texts (MAX_BATCH_SIZE 100) is 400 SVC_ERR_INPUT_INVALID naming "texts"',
    send: post('/predict_batch', { texts: Array.from({ length: 101 }, (_, i) => `t${i}`) }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'texts',
    message: /"texts" has too many items; expected at most 100/,
  },
  {
    name: 'a batch of exactly 100 texts is scored (200)',
    send: post('/predict_batch', { texts: Array.from({ length: 100 }, (_, i) => `t${i}`) }),
    status: 200,
    body: 'ok',
    check: (t, body) => t.is((body as { results: unknown[] }).results.length, 100),
  },
  {
    name: 'a /predict_batch body without "texts" is 400 SVC_ERR_INPUT_INVALID naming "texts" as missing',
    send: post('/predict_batch', { text: 'hello' }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'texts',
    message: /"texts" is missing/,
  },
  {
    name: '"texts" that is a string, not an array, is 400 SVC_ERR_INPUT_INVALID naming "texts"',
    send: post('/predict_batch', { texts: 'hello' }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'texts',
    message: /"texts" has the wrong type; expected array/,
  },
  {
    name: 'a batch with no valid text is 400 SVC_ERR_INPUT_INVALID naming the first bad item',
    send: post('/predict_batch', { texts: ['', '   ', 7] }),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_INPUT_INVALID',
    field: 'texts[0]',
    message: /no valid text in "texts"; first problem: field "texts\[0\]" is empty/,
  },
  {
    name: 'a mixed batch is scored (200): valid items get predictions, each bad item its own code and field',
    send: post('/predict_batch', {
      texts: ['good', '', 5, null, '  \t', LONG, ['nested'], { a: 1 }, 'also good'],
    }),
    status: 200,
    body: 'ok',
    check: (t, body) => {
      const { results } = body as {
        results: ({ index: number } & Partial<Prediction> & {
            error?: { code: string; field: string; message: string };
          })[];
      };
      t.deepEqual(
        results.map((r) => r.index),
        [0, 1, 2, 3, 4, 5, 6, 7, 8],
      );
      for (const i of [0, 8]) t.true(LABELS.includes(results[i]?.emotion ?? ''), `item ${i}`);
      for (const i of [1, 2, 3, 4, 5, 6, 7]) {
        const error = results[i]?.error;
        t.is(error?.code, 'SVC_ERR_INPUT_INVALID', `item ${i}`);
        t.is(error?.field, `texts[${i}]`);
        t.true(error?.message.includes(`"texts[${i}]"`), error?.message);
        t.is(results[i]?.emotion, undefined, `item ${i} is not scored`);
      }
    },
  },

  // --- unicode edge cases: valid strings, scored ----------------------------------------------
  ...(
    [
      ['a lone high surrogate', 'broken \ud800 pair'],
      ['a lone low surrogate', '\udc00 at the start'],
      ['an escaped NUL', 'before\u0000after'],
      ['right-to-left text with RLO and RLM marks', '\u202eمرحبا بالعالم\u200f!'],
      ['zero-width space, joiner and non-joiner', 'zero\u200bwidth\u200d\u200cjoined'],
      ['an emoji ZWJ sequence and combining marks', 'family 👨‍👩‍👧 e\u0301 n\u0303'],
    ] as const
  ).map(
    ([what, text]): Case => ({
      name: `${what} in "text" is scored (200), not an error, and echoed unchanged`,
      send: post('/predict', { text }),
      status: 200,
      body: 'ok',
      check: scored(text),
    }),
  ),
  {
    name: 'a lone surrogate inside a batch item is scored (200)',
    send: post('/predict_batch', { texts: ['ok', 'lone \udbff'] }),
    status: 200,
    body: 'ok',
    check: (t, body) => {
      const { results } = body as { results: Partial<Prediction>[] };
      t.is(results[1]?.text, 'lone \udbff');
      t.true(LABELS.includes(results[1]?.emotion ?? ''));
    },
  },
  {
    name: 'invalid UTF-8 bytes in a JSON string are decoded as U+FFFD and scored (200)',
    send: post(
      '/predict',
      new Uint8Array(Buffer.from([...Buffer.from('{"text":"x'), 0xff, 0xfe, ...Buffer.from('"}')])),
    ),
    status: 200,
    body: 'ok',
    check: scored('x\ufffd\ufffd'),
  },

  // --- content types and oversized bodies ----------------------------------------------------
  {
    name: 'a body without Content-Type is 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE naming "(none)"',
    send: post('/predict', new Uint8Array(Buffer.from('{"text":"hello"}')), { 'x-api-key': KEY }),
    status: 415,
    body: 'ours',
    code: 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
    message: /content type "\(none\)" is not supported; expected application\/json/,
  },
  ...(
    [
      ['text/plain', '{"text":"hello"}'],
      ['application/x-www-form-urlencoded', 'text=hello'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--x--',
      ],
      ['application/jsonx', '{"text":"hello"}'],
      ['application/vnd.api+json', '{"text":"hello"}'],
    ] as const
  ).map(
    ([type, body]): Case => ({
      name: `a ${type} body is 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE naming its type`,
      send: post('/predict', body, { 'content-type': type, 'x-api-key': KEY }),
      status: 415,
      body: 'ours',
      code: 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
      field: 'Content-Type',
      message: new RegExp(
        `content type ${JSON.stringify(type).replace(/[+.]/g, '\\$&')} is not supported`,
      ),
    }),
  ),
  {
    name: 'Content-Type APPLICATION/JSON; charset=UTF-8 is accepted (200): media types are case-insensitive',
    send: post(
      '/predict',
      { text: 'hello' },
      {
        'content-type': 'APPLICATION/JSON; charset=UTF-8',
        'x-api-key': KEY,
      },
    ),
    status: 200,
    body: 'ok',
    check: scored('hello'),
  },
  {
    name: 'a /predict_batch body over BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE',
    send: post('/predict_batch', { texts: Array.from({ length: 20 }, () => 'b'.repeat(250)) }),
    status: 413,
    body: 'ours',
    code: 'SVC_ERR_BODY_TOO_LARGE',
    message: /larger than BODY_LIMIT_BYTES/,
  },
  {
    name: 'a declared Content-Length over BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE before any body byte is sent',
    send: rawPredict(['Content-Length: 1000000'], ''),
    status: 413,
    body: 'ours',
    code: 'SVC_ERR_BODY_TOO_LARGE',
    connection: 'closed',
  },
  {
    name: 'a chunked body that grows over BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE',
    send: rawPredict(
      ['Transfer-Encoding: chunked'],
      `${(5000).toString(16)}\r\n${'a'.repeat(5000)}\r\n0\r\n\r\n`,
    ),
    status: 413,
    body: 'ours',
    code: 'SVC_ERR_BODY_TOO_LARGE',
    connection: 'closed',
  },

  // --- huge headers, lying Content-Length, bad chunking, invalid request lines (Node answers) --
  {
    name: 'a 20 KiB header is 431 SVC_ERR_HEADERS_TOO_LARGE and the socket is closed',
    send: (apps) =>
      raw(apps, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    status: 431,
    body: 'ours',
    code: 'SVC_ERR_HEADERS_TOO_LARGE',
    field: '(headers)',
    message: /expected at most 16384 bytes/,
    connection: 'closed',
  },
  {
    name: '300 headers of 100 bytes (over 16 KiB in all) are 431 SVC_ERR_HEADERS_TOO_LARGE and the socket is closed',
    send: (apps) =>
      raw(
        apps,
        `GET /health/live HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'v'.repeat(90)}\r\n`).join('')}\r\n`,
      ),
    status: 431,
    body: 'ours',
    code: 'SVC_ERR_HEADERS_TOO_LARGE',
    field: '(headers)',
    message: /expected at most 16384 bytes/,
    connection: 'closed',
  },
  {
    name: 'headers never finished within HEADERS_TIMEOUT_MS are 408 SVC_ERR_REQUEST_TIMEOUT and the socket is closed',
    send: (apps) => raw(apps, 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: applic'),
    status: 408,
    body: 'ours',
    code: 'SVC_ERR_REQUEST_TIMEOUT',
    message: /HEADERS_TIMEOUT_MS \(1000 ms\)/,
    connection: 'closed',
  },
  {
    name: 'a Content-Length shorter than the body is 400 SVC_ERR_MALFORMED_HTTP (the leftover bytes are no request) and the socket is closed',
    send: rawPredict(['Content-Length: 5'], '{"text":"hello"}'),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_MALFORMED_HTTP',
    message: /not valid HTTP\/1\.1 \(HPE_/,
    connection: 'closed',
  },
  {
    name: 'a Content-Length longer than the body sent is 408 SVC_ERR_REQUEST_TIMEOUT after REQUEST_TIMEOUT_MS and the socket is closed',
    send: rawPredict(['Content-Length: 100'], '{"text":"hello"}'),
    status: 408,
    body: 'ours',
    code: 'SVC_ERR_REQUEST_TIMEOUT',
    message: /REQUEST_TIMEOUT_MS \(1000 ms\)/,
    connection: 'closed',
  },
  ...(
    [
      ['a non-numeric Content-Length', ['Content-Length: abc']],
      ['a negative Content-Length', ['Content-Length: -1']],
      ['two different Content-Length headers', ['Content-Length: 16', 'Content-Length: 17']],
      [
        'Content-Length together with Transfer-Encoding: chunked (request smuggling)',
        ['Content-Length: 16', 'Transfer-Encoding: chunked'],
      ],
    ] as const
  ).map(
    ([what, headers]): Case => ({
      name: `${what} is 400 SVC_ERR_MALFORMED_HTTP and the socket is closed`,
      send: rawPredict([...headers], '{"text":"hello"}'),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_MALFORMED_HTTP',
      message: /not valid HTTP\/1\.1 \(HPE_/,
      connection: 'closed',
    }),
  ),
  ...(
    [
      ['a chunk size that is not hex', 'zz\r\n{"text":"hello"}\r\n0\r\n\r\n'],
      ['a chunk size smaller than its data', '3\r\n{"text":"hello"}\r\n0\r\n\r\n'],
      ['chunks delimited by bare LF', '10\n{"text":"hello"}\n0\n\n'],
    ] as const
  ).map(
    ([what, body]): Case => ({
      name: `${what} is 400 SVC_ERR_MALFORMED_HTTP and the socket is closed`,
      send: rawPredict(['Transfer-Encoding: chunked'], body),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_MALFORMED_HTTP',
      message: /not valid HTTP\/1\.1 \(HPE_/,
      connection: 'closed',
    }),
  ),
  {
    name: 'a chunked body that never ends is 408 SVC_ERR_REQUEST_TIMEOUT after REQUEST_TIMEOUT_MS and the socket is closed',
    send: rawPredict(['Transfer-Encoding: chunked'], '10\r\n{"text":"hello"}\r\n'),
    status: 408,
    body: 'ours',
    code: 'SVC_ERR_REQUEST_TIMEOUT',
    message: /REQUEST_TIMEOUT_MS \(1000 ms\)/,
    connection: 'closed',
  },
  {
    name: 'a chunk extension over 16 KiB is 413 SVC_ERR_BODY_TOO_LARGE and the socket is closed',
    send: rawPredict(
      ['Transfer-Encoding: chunked'],
      `10;ext=${'a'.repeat(20_000)}\r\n{"text":"hello"}\r\n0\r\n\r\n`,
    ),
    status: 413,
    body: 'ours',
    code: 'SVC_ERR_BODY_TOO_LARGE',
    field: '(body)',
    message: /chunk extensions/,
    connection: 'closed',
  },
  {
    name: 'Transfer-Encoding: gzip without chunked (no length to read) is 400 SVC_ERR_MALFORMED_HTTP and the socket is closed',
    send: rawPredict(['Transfer-Encoding: gzip'], '{"text":"hello"}'),
    status: 400,
    body: 'ours',
    code: 'SVC_ERR_MALFORMED_HTTP',
    message: /not valid HTTP\/1\.1 \(HPE_/,
    connection: 'closed',
  },
  ...(
    [
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
      ['an unknown method', 'FROB /predict HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP version 3.0 on HTTP/1 framing', 'GET /health/live HTTP/3.0\r\nHost: x\r\n\r\n'],
      [
        'a control character in a header value',
        'GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n',
      ],
      [
        'a header line without a colon',
        'GET /health/live HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
      ],
    ] as const
  ).map(
    ([what, payload]): Case => ({
      name: `${what} is 400 SVC_ERR_MALFORMED_HTTP and the socket is closed`,
      send: (apps) => raw(apps, payload),
      status: 400,
      body: 'ours',
      code: 'SVC_ERR_MALFORMED_HTTP',
      message: /not valid HTTP\/1\.1 \(HPE_/,
      connection: 'closed',
    }),
  ),
  {
    // Node answers this itself and reports it to no handler.
    name: 'HTTP/1.1 without Host is 400 from Node (no catalogue body) and the socket is closed',
    send: (apps) => raw(apps, 'GET /health/live HTTP/1.1\r\n\r\n'),
    status: 400,
    body: 'none',
    connection: 'closed',
  },
  {
    name: 'an unknown Expect header is 417 from Node and the socket serves a next request',
    send: rawPredict(['Expect: teapot', 'Content-Length: 16'], '{"text":"hello"}'),
    status: 417,
    body: 'none',
    connection: 'reusable',
  },
  {
    name: 'an invalid X-Request-Id is replaced by a fresh id, not an error (200)',
    send: post(
      '/predict',
      { text: 'hello' },
      { ...JSON_KEY, 'x-request-id': 'has spaces & <tags>' },
    ),
    status: 200,
    body: 'ok',
    check: (t, body, a) => {
      t.regex(a.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      t.is((body as { request_id: string }).request_id, a.headers['x-request-id'] ?? '');
    },
  },

  // --- bad and missing keys, disallowed origins ----------------------------------------------
  ...(
    [
      ['/predict', { text: 'hello' }, 'ours'],
      ['/predict_batch', { texts: ['hello'] }, 'ours'],
      [INFER, oip(), 'oip'],
    ] as const
  ).map(
    ([path, value, body]): Case => ({
      name: `${path} without X-API-Key is 401 SVC_ERR_UNAUTHENTICATED naming X-API-Key`,
      send: post(path, value, { 'content-type': 'application/json' }),
      status: 401,
      body,
      code: 'SVC_ERR_UNAUTHENTICATED',
      field: 'X-API-Key',
      message: /"X-API-Key" is missing/,
    }),
  ),
  ...(
    [
      ['an unknown key', 'not-a-key-but-long-enough'],
      ['the valid key in another case', KEY.toUpperCase()],
      ['a prefix of the valid key', KEY.slice(0, -1)],
      ['the admin key (admin keys are not API keys)', ADMIN],
      ['the valid key sent twice (joined as "k, k")', `${KEY}, ${KEY}`],
    ] as const
  ).map(
    ([what, key]): Case => ({
      name: `/predict with ${what} is 401 SVC_ERR_UNAUTHENTICATED, the key never echoed`,
      send: post(
        '/predict',
        { text: 'hello' },
        { 'content-type': 'application/json', 'x-api-key': key },
      ),
      status: 401,
      body: 'ours',
      code: 'SVC_ERR_UNAUTHENTICATED',
      field: 'X-API-Key',
      message: /not a valid API key/,
      check: (t, _body, a) => t.false(a.text.includes(key) || a.text.includes(KEY)),
    }),
  ),
  {
    name: '/predict with an empty X-API-Key is 401 SVC_ERR_UNAUTHENTICATED (missing)',
    send: post(
      '/predict',
      { text: 'hello' },
      { 'content-type': 'application/json', 'x-api-key': '' },
    ),
    status: 401,
    body: 'ours',
    code: 'SVC_ERR_UNAUTHENTICATED',
    field: 'X-API-Key',
    message: /"X-API-Key" is missing/,
  },
  {
    name: '/predict with the key as Authorization: Bearer, not X-API-Key, is 401 SVC_ERR_UNAUTHENTICATED',
    send: post(
      '/predict',
      { text: 'hello' },
      {
        'content-type': 'application/json',
        authorization: `Bearer ${KEY}`,
      },
    ),
    status: 401,
    body: 'ours',
    code: 'SVC_ERR_UNAUTHENTICATED',
    field: 'X-API-Key',
  },
  {
    name: '/model_status with an API key (not an admin key) is 401 SVC_ERR_UNAUTHENTICATED',
    send: (apps) => http(apps.base, 'GET', '/model_status', { headers: { 'x-api-key': KEY } }),
    status: 401,
    body: 'ours',
    code: 'SVC_ERR_UNAUTHENTICATED',
    field: 'X-API-Key',
    message: /not an admin key/,
  },
  {
    name: '/metrics without the admin key (METRICS_PUBLIC=false) is 401 SVC_ERR_UNAUTHENTICATED',
    send: (apps) => http(apps.base, 'GET', '/metrics', { headers: {} }),
    status: 401,
    body: 'ours',
    code: 'SVC_ERR_UNAUTHENTICATED',
    field: 'X-API-Key',
  },
  ...(
    [
      ['a disallowed origin', 'https://evil.example'],
      ['a look-alike origin (allowed host as a prefix)', 'https://app.example.com.evil.example'],
      ['the allowed host over http', 'http://app.example.com'],
      ['the opaque origin "null"', 'null'],
    ] as const
  ).map(
    ([what, origin]): Case => ({
      name: `a keyed /predict from ${what} is answered (200; CORS is the browser's check) with no Access-Control-* header`,
      send: post('/predict', { text: 'hello' }, { ...JSON_KEY, origin }),
      status: 200,
      body: 'ok',
      check: (t, body, a) => {
        scored('hello')(t, body);
        t.deepEqual(corsHeaders(a), []);
      },
    }),
  ),
  {
    name: 'a preflight from a disallowed origin is 204 with no Access-Control-* header',
    send: (apps) =>
      http(apps.base, 'OPTIONS', '/predict', {
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-api-key',
        },
      }),
    status: 204,
    body: 'none',
    check: (t, _body, a) => t.deepEqual(corsHeaders(a), []),
  },
  {
    name: 'the allowed origin gets Access-Control-Allow-Origin (the control for the cases above)',
    send: post('/predict', { text: 'hello' }, { ...JSON_KEY, origin: ALLOWED_ORIGIN }),
    status: 200,
    body: 'ok',
    check: (t, _body, a) => t.is(a.headers['access-control-allow-origin'], ALLOWED_ORIGIN),
  },
  {
    name: '/predict past RATE_LIMIT_PER_MINUTE is 429 SVC_ERR_RATE_LIMITED with Retry-After',
    send: async (apps) => {
      const first = await http(apps.limitedBase, 'POST', '/predict', {
        body: JSON.stringify({ text: 'hello' }),
      });
      if (first.status !== 200) return first;
      return http(apps.limitedBase, 'POST', '/predict', {
        body: JSON.stringify({ text: 'hello' }),
      });
    },
    status: 429,
    body: 'ours',
    code: 'SVC_ERR_RATE_LIMITED',
    check: (t, _body, a) => {
      t.regex(a.headers['retry-after'] ?? '', /^\d+$/);
      t.is(a.headers['ratelimit-remaining'], '0');
    },
  },
  {
    name: 'OIP infer past RATE_LIMIT_PER_MINUTE is 429 SVC_ERR_RATE_LIMITED in the protocol body',
    send: async (apps) => {
      const body = JSON.stringify(oip());
      const first = await http(apps.limitedBase, 'POST', INFER, { body });
      if (first.status !== 200) return first;
      return http(apps.limitedBase, 'POST', INFER, { body });
    },
    status: 429,
    body: 'oip',
    code: 'SVC_ERR_RATE_LIMITED',
    check: (t, _body, a) => t.regex(a.headers['retry-after'] ?? '', /^\d+$/),
  },

  // --- method and route mismatches -----------------------------------------------------------
  ...(
    [
      ['GET', '/predict'],
      ['PUT', '/predict'],
      ['DELETE', '/predict_batch'],
      ['PATCH', '/predict'],
      ['POST', '/health/live'],
      ['POST', '/emotions'],
      ['POST', '/predictz'],
      ['POST', '/v1/predict'],
      ['POST', '//predict'],
    ] as const
  ).map(
    ([method, path]): Case => ({
      name: `${method} ${path} is 404 SVC_ERR_NOT_FOUND naming the method and path`,
      send: (apps) =>
        http(apps.base, method, path, {
          ...(method === 'GET' ? {} : { body: JSON.stringify({ text: 'hello' }) }),
        }),
      status: 404,
      body: 'ours',
      code: 'SVC_ERR_NOT_FOUND',
      message: new RegExp(`no route for ${method} ${path.replace(/\//g, '\\/')}$`),
    }),
  ),
  {
    name: 'TRACE /predict is 404 SVC_ERR_NOT_FOUND (raw socket: fetch refuses TRACE) and the socket serves a next request',
    send: (apps) => raw(apps, 'TRACE /predict HTTP/1.1\r\nHost: x\r\n\r\n'),
    status: 404,
    body: 'ours',
    code: 'SVC_ERR_NOT_FOUND',
    connection: 'reusable',
  },
  {
    name: 'HEAD /predict is 404 with no body',
    send: (apps) => http(apps.base, 'HEAD', '/predict'),
    status: 404,
    body: 'none',
  },
  {
    name: 'POST /predict/ (trailing slash) is the same route: scored (200)',
    send: post('/predict/', { text: 'hello' }),
    status: 200,
    body: 'ok',
    check: scored('hello'),
  },
  {
    name: 'GET on the OIP infer route is 404 SVC_ERR_NOT_FOUND in the protocol body',
    send: (apps) => http(apps.base, 'GET', INFER),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_NOT_FOUND',
    message: /no Open Inference Protocol route for GET/,
  },
  {
    name: 'POST to OIP model metadata is 404 SVC_ERR_NOT_FOUND in the protocol body',
    send: post(`/v2/models/${MODEL}`, oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_NOT_FOUND',
  },
  {
    name: 'a path with a malformed percent-escape is 404 SVC_ERR_NOT_FOUND in our body',
    send: post('/pre%ZZdict', { text: 'hello' }),
    status: 404,
    body: 'ours',
    code: 'SVC_ERR_NOT_FOUND',
  },
  {
    name: 'OPTIONS /predict without Origin (not a preflight) is 404 SVC_ERR_NOT_FOUND in our body',
    send: (apps) => http(apps.base, 'OPTIONS', '/predict', { headers: {} }),
    status: 404,
    body: 'ours',
    code: 'SVC_ERR_NOT_FOUND',
  },

  // --- Open Inference Protocol shape and datatype errors -------------------------------------
  ...(
    [
      ['datatype FP32', oip({ datatype: 'FP32' }), 'inputs[0].datatype', /expected "BYTES"/],
      ['no datatype', oip({ datatype: undefined }), 'inputs[0].datatype', /expected "BYTES"/],
      ['the input named "texts"', oip({ name: 'texts' }), 'inputs[0].name', /expected "text"/],
      ['no "inputs"', { id: 'x' }, 'inputs', /expected an array of exactly one tensor/],
      ['"inputs" empty', { inputs: [] }, 'inputs', /exactly one tensor/],
      ['two inputs', { inputs: [oip().inputs[0], oip().inputs[0]] }, 'inputs', /exactly one/],
      ['an input that is a string', { inputs: ['hello'] }, 'inputs[0]', /expected an object/],
      ['no shape', oip({ shape: undefined }), 'inputs[0].shape', /expected \[n\] or \[n, 1\]/],
      ['shape [0]', oip({ shape: [0], data: [] }), 'inputs[0].shape', /is \[0\]/],
      [
        'shape [101] (MAX_BATCH_SIZE 100)',
        oip({ shape: [101], data: Array.from({ length: 101 }, () => 'x') }),
        'inputs[0].shape',
        /n in 1\.\.100/,
      ],
      ['shape [1, 2]', oip({ shape: [1, 2], data: ['a', 'b'] }), 'inputs[0].shape', /is \[1, 2\]/],
      ['shape [-1]', oip({ shape: [-1] }), 'inputs[0].shape[0]', /non-negative integer/],
      ['shape [1.5]', oip({ shape: [1.5] }), 'inputs[0].shape[0]', /non-negative integer/],
      ['shape "1" (a string)', oip({ shape: '1' }), 'inputs[0].shape', /expected \[n\]/],
      [
        'shape [2] with one element',
        oip({ shape: [2], data: ['one'] }),
        'inputs[0].data',
        /has 1 elements but shape \[2\] needs 2/,
      ],
      ['data that is a string', oip({ data: 'hello' }), 'inputs[0].data', /expected an array/],
      ['a number in data', oip({ data: [42] }), 'inputs[0].data[0]', /expected a string/],
      ['an empty string in data', oip({ data: [''] }), 'inputs[0].data[0]', /is empty/],
      [
        'a whitespace-only string in data',
        oip({ shape: [2], data: ['ok', ' \n '] }),
        'inputs[0].data[1]',
        /whitespace only/,
      ],
      [
        'a 513-code-point string in data',
        oip({ data: [LONG] }),
        'inputs[0].data[0]',
        /513 code points/,
      ],
      [
        'content_type "base64"',
        oip({ parameters: { content_type: 'base64' } }),
        'inputs[0].parameters.content_type',
        /expected "str"/,
      ],
      [
        'an unknown requested output',
        oip({}, { outputs: [{ name: 'logits' }] }),
        'outputs[0].name',
        /expected one of "scores", "predicted"/,
      ],
      [
        '"outputs" that is an object',
        oip({}, { outputs: { name: 'scores' } }),
        'outputs',
        /expected an array/,
      ],
      ['a numeric "id"', oip({}, { id: 7 }), 'id', /expected a string/],
      [
        'a body that is an array',
        [oip()],
        '(body)',
        /expected a JSON object with an "inputs" array/,
      ],
    ] as const
  ).map(
    ([what, value, field, message]): Case => ({
      name: `OIP infer with ${what} is 400 SVC_ERR_INPUT_INVALID naming "${field}" in the protocol body`,
      send: post(INFER, value),
      status: 400,
      body: 'oip',
      code: 'SVC_ERR_INPUT_INVALID',
      field,
      message,
    }),
  ),
  {
    name: 'OIP infer with a lone surrogate in data is scored (200)',
    send: post(INFER, oip({ data: ['lone \ud800'] })),
    status: 200,
    body: 'ok',
    check: (t, body) => {
      const out = (body as { outputs: { name: string; shape: number[] }[] }).outputs;
      t.deepEqual(out[0]?.shape, [1, LABELS.length]);
    },
  },
  {
    name: 'OIP infer with invalid JSON is 400 SVC_ERR_BODY_INVALID_JSON in the protocol body',
    send: post(INFER, '{"inputs": ['),
    status: 400,
    body: 'oip',
    code: 'SVC_ERR_BODY_INVALID_JSON',
  },
  {
    name: 'OIP infer with a text/plain body is 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE in the protocol body',
    send: post(INFER, JSON.stringify(oip()), { 'content-type': 'text/plain', 'x-api-key': KEY }),
    status: 415,
    body: 'oip',
    code: 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
    message: /content type "text\/plain"/,
  },
  {
    name: 'OIP infer over BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE in the protocol body',
    send: post(
      INFER,
      oip({ shape: [20], data: Array.from({ length: 20 }, () => 'c'.repeat(250)) }),
    ),
    status: 413,
    body: 'oip',
    code: 'SVC_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'OIP infer for an unknown model is 404 SVC_ERR_MODEL_NOT_FOUND naming model_name',
    send: post('/v2/models/no-such-model/infer', oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_name',
    message: /model "no-such-model" is not loaded/,
  },
  {
    name: 'OIP infer for an unknown version is 404 SVC_ERR_MODEL_NOT_FOUND naming model_version',
    send: post(`/v2/models/${MODEL}/versions/9.9.9/infer`, oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_version',
    message: /version "9.9.9" of model/,
  },
  {
    name: 'OIP infer for a model name over 100 characters is 404 SVC_ERR_MODEL_NOT_FOUND in the protocol body',
    send: post(`/v2/models/${'m'.repeat(101)}/infer`, oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_name',
    message: /model "m{101}" is not loaded/,
  },
];

// ---------------------------------------------------------------------------------------------
// Running the table

async function runCase(t: ExecutionContext<Apps>, c: Case): Promise<void> {
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

for (const c of cases) {
  const name = `bad input: ${c.name}`;
  if (c.failing === undefined) test.serial(name, (t) => runCase(t, c));
  // The documented behaviour, which the service does not give yet (see `failing`).
  else test.serial.failing(`${name} [known gap: ${c.failing}]`, (t) => runCase(t, c));
}

test.serial('bad input: the table has at least 60 cases', (t) => {
  t.true(cases.length >= 60, String(cases.length));
  t.is(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
});

test.serial(
  'bad input: after the whole table the process still answers /health/live and a valid /predict (200)',
  async (t) => {
    const { base, main } = t.context;
    const live = await http(base, 'GET', '/health/live', { headers: {} });
    t.is(live.status, 200);
    const ok = await post('/predict', { text: 'still here' })(t.context);
    t.is(ok.status, 200);
    scored('still here')(t, JSON.parse(ok.text));
    t.deepEqual(
      main.sink.lines.filter((l) => l.event === 'http.error' || l.severity === 'ERROR'),
      [],
      'no server error was logged for any case',
    );
  },
);
