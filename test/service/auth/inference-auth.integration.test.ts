/**
 * AUTH_MODE on the inference routes, through the real app over real sockets.
 */
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

const KEY = 'client-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
const OIP_BODY = { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hi'] }] };

const inference = [
  { method: 'POST' as const, url: '/predict', payload: { text: 'hello' } },
  { method: 'POST' as const, url: '/predict_batch', payload: { texts: ['hello'] } },
  { method: 'POST' as const, url: '/v2/models/tiny-test-model/infer', payload: OIP_BODY },
];

const refused = [
  { name: 'without X-API-Key', headers: {}, message: /missing/ },
  {
    name: 'with an unknown key',
    headers: { 'x-api-key': 'not-a-key-but-long-enough' },
    message: /not a valid API key/,
  },
  { name: 'with an admin key', headers: { 'x-api-key': ADMIN }, message: /not a valid API key/ },
];

for (const r of refused) {
  test(`auth: under api-key, inference ${r.name} gets 401 SVC_ERR_UNAUTHENTICATED and reaches no model`, async (t) => {
    const built = await buildTestApp({
      AUTH_MODE: 'api-key',
      API_KEYS: KEY,
      ADMIN_API_KEYS: ADMIN,
    });
    try {
      for (const req of inference) {
        const res = await built.http({ ...req, headers: r.headers });
        t.is(res.statusCode, 401, req.url);
        const body = res.json();
        // Our body on our routes, the protocol's {"error": "..."} on /v2.
        const error = typeof body.error === 'string' ? body : body.error;
        t.is(error.code, 'SVC_ERR_UNAUTHENTICATED');
        t.is(error.field, 'X-API-Key');
        t.regex(typeof body.error === 'string' ? body.error : body.error.message, r.message);
        t.false(res.body.includes(KEY) || res.body.includes(ADMIN), 'no key echoed');
      }
      t.deepEqual(built.recording.runs, []);
    } finally {
      await built.app.close();
    }
  });
}

test('auth: under api-key, a valid key scores on every inference route, and the log names its key id only', async (t) => {
  const built = await buildTestApp({
    AUTH_MODE: 'api-key',
    API_KEYS: `other-key-0123456789abcdef,${KEY}`,
  });
  try {
    for (const req of inference) {
      const res = await built.http({ ...req, headers: { 'x-api-key': KEY } });
      t.is(res.statusCode, 200, req.url);
    }
    const lines = built.sink.lines.filter((l) => l.event === 'http.request');
    t.true(lines.length >= 3);
    t.true(
      lines.every((l) => typeof l.apiKeyId === 'string' && (l.apiKeyId as string).length === 8),
    );
    t.false(JSON.stringify(built.sink.lines).includes(KEY));
  } finally {
    await built.app.close();
  }
});

test('auth: probes, metadata and model info need no API key', async (t) => {
  const built = await buildTestApp({ AUTH_MODE: 'api-key', API_KEYS: KEY });
  try {
    for (const url of [
      '/health/live',
      '/health/ready',
      '/emotions',
      '/',
      '/v2',
      '/v2/models/tiny-test-model',
    ]) {
      t.is((await built.http({ url })).statusCode, 200, url);
    }
  } finally {
    await built.app.close();
  }
});

for (const mode of ['iam', 'none']) {
  test(`auth: under ${mode}, inference needs no key (${mode === 'iam' ? "Cloud Run's front end checked the caller" : 'development'})`, async (t) => {
    const built = await buildTestApp({ AUTH_MODE: mode });
    try {
      for (const req of inference) t.is((await built.http(req)).statusCode, 200, req.url);
    } finally {
      await built.app.close();
    }
  });
}

test('auth: under api-key, a caller without a valid key gets 401 before its body is read, invalid or oversized', async (t) => {
  const built = await buildTestApp({
    AUTH_MODE: 'api-key',
    API_KEYS: KEY,
    BODY_LIMIT_BYTES: '1024',
  });
  try {
    for (const payload of ['{"text": ', JSON.stringify({ text: 'x'.repeat(5000) })]) {
      const res = await built.http({
        method: 'POST',
        url: '/predict',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      t.is(res.statusCode, 401);
      t.is(res.json().error.code, 'SVC_ERR_UNAUTHENTICATED');
    }
  } finally {
    await built.app.close();
  }
});
