/** Bad bodies: malformed JSON, wrong types, empty and huge texts, batches, unicode, content types and sizes. */
import {
  BODY_LIMIT,
  type Case,
  EMOJI_512,
  KEY,
  LABELS,
  LONG,
  type Prediction,
  post,
  rawPredict,
  scored,
} from './table.js';

export const BODY_CASES: Case[] = [
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
];
