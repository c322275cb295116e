/** Bad HTTP: what Node's parser refuses (huge headers, lying lengths, bad chunking, invalid request lines, slow clients), and method and route mismatches. */
import {
  type Case,
  http,
  INFER,
  JSON_KEY,
  MODEL,
  oip,
  post,
  raw,
  rawPredict,
  scored,
} from './table.js';

export const HTTP_CASES: Case[] = [
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
];
