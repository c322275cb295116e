/**
 * Request ids in answers and logs (issue 16, finding 17): a valid client-chosen `X-Request-Id` is
 * kept (the response header, the body's `request_id`, the logs' `request_id`), but a client can
 * reuse or forge it, so every log line of such a request also carries `server_request_id`, ours.
 */
import test from 'ava';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

const ADMIN = 'admin-key-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The log lines written while `send` ran. */
async function linesOf(built: TestApp, send: () => Promise<unknown>) {
  const from = built.sink.lines.length;
  await send();
  return built.sink.lines.slice(from).filter((l) => l.request_id !== undefined);
}

test("request id: a client-chosen X-Request-Id is kept in the answer and as request_id, and every log line of the request carries the server's own id as server_request_id", async (t) => {
  const built = await buildTestApp({ ADMIN_API_KEYS: ADMIN, METRICS_PUBLIC: 'false' });
  try {
    const answers: { header: string | undefined; body: string }[] = [];
    const perRequest = [];
    for (let i = 0; i < 2; i++) {
      perRequest.push(
        await linesOf(built, async () => {
          const res = await built.http({
            url: '/model_status',
            headers: { 'x-request-id': 'client-chosen-1', 'x-api-key': 'wrong-admin-key-000' },
          });
          answers.push({ header: res.headers['x-request-id'], body: res.json().error.request_id });
        }),
      );
    }
    t.deepEqual(answers, [
      { header: 'client-chosen-1', body: 'client-chosen-1' },
      { header: 'client-chosen-1', body: 'client-chosen-1' },
    ]);
    const ours = perRequest.map((lines) => {
      t.deepEqual(
        lines.map((l) => l.event),
        ['auth.admin_key_rejected', 'http.request'],
        'the auth line and the request line',
      );
      t.true(lines.every((l) => l.request_id === 'client-chosen-1'));
      const ids = new Set(lines.map((l) => l.server_request_id));
      t.is(ids.size, 1, 'one server id per request, on every line');
      const [id] = ids;
      t.regex(String(id), UUID);
      return id;
    });
    t.not(ours[0], ours[1], 'a reused client id still tells the two requests apart');
  } finally {
    await built.app.close();
  }
});

test('request id: without a (valid) client id, request_id is ours and no line carries a second id', async (t) => {
  const built = await buildTestApp();
  try {
    for (const headers of [{}, { 'x-request-id': 'has spaces & <tags>' }]) {
      let header: string | undefined;
      const lines = await linesOf(built, async () => {
        header = (await built.http({ url: '/emotions', headers })).headers['x-request-id'];
      });
      t.regex(String(header), UUID);
      t.true(lines.length > 0);
      for (const l of lines) {
        t.is(l.request_id, header);
        t.false('server_request_id' in l);
      }
    }
  } finally {
    await built.app.close();
  }
});
