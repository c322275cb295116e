/** Bad and missing keys, disallowed origins, rate limits. */
import {
  ADMIN,
  ALLOWED_ORIGIN,
  type Case,
  corsHeaders,
  http,
  INFER,
  JSON_KEY,
  KEY,
  oip,
  post,
  scored,
} from './table.js';

export const ACCESS_CASES: Case[] = [
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
];
