/**
 * GET /openapi.json is generated from the routes: every declared route is in it, and it holds
 * nothing that is not a route.
 */
import test from 'ava';
import { buildTestApp } from '../../helpers/test-app.js';

/** `/v2/models/:name/infer` → `/v2/models/{name}/infer`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

test('openapi: /openapi.json lists exactly the declared routes, with the predict body schemas', async (t) => {
  const built = await buildTestApp({ ADMIN_API_KEYS: 'admin-key-0123456789abcdef' });
  try {
    const url = await built.listen();
    const res = await fetch(`${url}/openapi.json`);
    t.is(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    t.is(doc.openapi, '3.0.3');
    t.is(doc.info.version, '9.9.9');
    const declared = new Set(
      built.routes
        // HEAD twins of GET routes are implicit, `OPTIONS *` is @fastify/cors's preflight
        // catch-all, and the document does not list itself.
        .filter((r) => r.method !== 'HEAD' && r.url !== '*' && r.url !== '/openapi.json')
        .map((r) => `${r.method} ${openApiPath(r.url)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    t.deepEqual([...documented].sort(), [...declared].sort());
    for (const must of [
      'POST /predict',
      'POST /v2/models/{name}/infer',
      'GET /metrics',
      'GET /security_status',
    ]) {
      t.true(documented.has(must), must);
    }
    t.truthy(doc.paths['/predict']?.post?.requestBody, 'the body schema is published');
  } finally {
    await built.app.close();
  }
});
