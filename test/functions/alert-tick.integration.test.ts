/**
 * alertTick through the real Functions Framework (getTestServer on port 0) with a real SQLite
 * store and a real webhook receiver (a recording HTTP server): the tick takes over the sweeper
 * heartbeat and notifies through the engine, retries a failed delivery on the next tick and
 * delivers it once, and the admin API creates, lists and expires silences with clear errors:
 * strict times and ids, the cap on silences not yet ended, and definitions silences, which are
 * edited in the file and kept in step with it by the tick.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import test from 'ava';
import { MAX_ACTIVE_SILENCES } from '../../alerts/engine/silences.js';
import { MAX_KEY_CHARS } from '../../alerts/store/engine-store.js';
import { openStores } from '../../alerts/store/open.js';
import { createAlertTick, LIST_LIMIT } from '../../functions/alert-tick.js';
import { createLogger } from '../../lib/logger.js';
import { serveFunction } from '../helpers/ff-server.js';
import { serveReceiver, status } from '../helpers/webhook-receiver.js';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const M = 60_000;

const ALERTING = `
route:
  receiver: hook
  group_by: [alertname, target]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: hook
    integrations:
      - type: webhook
        url: { env: TEST_HOOK_URL }
        timeout: 2s
        max_attempts: 1
`;

let n = 0;
async function rig(answers: Parameters<typeof serveReceiver>[0], definitions = ALERTING) {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-tick-'));
  const alerting = join(dir, 'alerting.yaml');
  writeFileSync(alerting, definitions);
  const receiver = await serveReceiver(answers);
  const storeUrl = `sqlite:${join(dir, 'store.db')}`;
  const clock = { now: T0 };
  // One alertTick instance; a restart is a new one on the same store (its grace starts anew).
  const instance = async () => {
    const fn = createAlertTick({
      env: {
        STORE_URL: storeUrl,
        ALERTING_FILE: alerting,
        HEARTBEAT_JOB: 'sweep-job',
        HEARTBEAT_MAX_SILENCE_MS: String(2 * M),
        TEST_HOOK_URL: `${receiver.url}/hook`,
        ALERTS_PUBSUB: 'off',
      },
      log: createLogger({ level: 'silent' }),
      now: () => clock.now,
    });
    const name = `alertTickTest${n++}`;
    ff.http(name, fn);
    return { fn, server: await serveFunction(name) };
  };
  let { fn, server } = await instance();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, server.url), {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('application/json') === true;
    return {
      status: res.status,
      body: (json ? JSON.parse(text) : { text }) as Record<string, unknown>,
    };
  };
  return {
    clock,
    receiver,
    call,
    storeUrl,
    /** Rewrites the definitions file; an instance reads it when it starts. */
    define(text: string) {
      writeFileSync(alerting, text);
    },
    async restart() {
      await server.close();
      await fn.close();
      ({ fn, server } = await instance());
    },
    async close() {
      await server.close();
      await fn.close();
      await receiver.close();
    },
  };
}

const bodies = (r: { requests: { body: string }[] }) =>
  r.requests.map((q) => JSON.parse(q.body) as Record<string, unknown>);

test('alertTick: a missed sweep fires SweeperAbsent through the engine to the webhook once; a fresh sweep resolves it', async (t) => {
  const r = await rig([status(200)]);
  try {
    t.is((await r.call('POST', '/')).status, 200);
    t.is(r.receiver.requests.length, 0, 'within the grace of a cold start');
    r.clock.now = T0 + 3 * M;
    const fired = await r.call('POST', '/');
    t.like(fired.body, { heartbeat: { state: 'firing' }, failed: {} });
    r.clock.now = T0 + 3 * M + 30_000;
    await r.call('POST', '/');
    const [first] = bodies(r.receiver);
    t.is(r.receiver.requests.length, 1, 'one page, however many ticks');
    t.like(first, {
      version: '4',
      status: 'firing',
      notification_reason: 'first notification',
      groupLabels: { alertname: 'SweeperAbsent', target: 'sweep-job' },
    });
    const stores = await openStores(r.storeUrl, { platform: 'local' });
    await stores.trends.recordSweep({
      sweepId: 'sweep-job@now',
      ts: T0 + 4 * M,
      recordedAt: T0 + 4 * M,
      summary: { targets: [], findings: 0 },
    } as never);
    await stores.close();
    r.clock.now = T0 + 4 * M;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'resolved' } });
    r.clock.now = T0 + 5 * M;
    await r.call('POST', '/');
    const statuses = bodies(r.receiver).map((b) => [b.status, b.notification_reason]);
    t.deepEqual(statuses, [
      ['firing', 'first notification'],
      ['resolved', 'all alerts resolved'],
    ]);
  } finally {
    await r.close();
  }
});

test('alertTick: a delivery answered 503 stays pending and the next tick delivers it, once', async (t) => {
  const r = await rig([status(503), status(200)]);
  try {
    r.clock.now = T0 + 3 * M;
    // The heartbeat's finding is delivered in the same tick, as soon as the engine decides.
    await r.call('POST', '/');
    t.is(r.receiver.requests.length, 1);
    const pending = await r.call('GET', '/deliveries?status=pending');
    t.like((pending.body.deliveries as unknown[])[0], {
      lastErrorCode: 'NOTIFY_ERR_HTTP_STATUS',
      attempts: 1,
    });
    r.clock.now = T0 + 4 * M;
    t.like((await r.call('POST', '/')).body, { deliveries: { delivered: 1 } });
    r.clock.now = T0 + 5 * M;
    await r.call('POST', '/');
    t.is(r.receiver.requests.length, 2, 'the 503, then the one that landed');
    const delivered = await r.call('GET', '/deliveries?status=delivered');
    t.is((delivered.body.deliveries as unknown[]).length, 1);
  } finally {
    await r.close();
  }
});

test('alertTick: silences are created, listed and expired through the admin API; bad input names its field', async (t) => {
  const r = await rig([status(200)]);
  try {
    const created = await r.call('POST', '/silences', {
      matchers: ['target="sweep-job"'],
      endsAt: new Date(T0 + 60 * M).toISOString(),
      createdBy: 'ana',
      comment: 'scheduler maintenance',
    });
    t.is(created.status, 201);
    t.like(created.body, { createdBy: 'ana', origin: 'api', startsAt: T0, endsAt: T0 + 60 * M });
    const id = String(created.body.id);
    const listed = await r.call('GET', '/silences');
    t.deepEqual(
      (listed.body.silences as { id: string }[]).map((s) => s.id),
      [id],
    );
    // The silenced heartbeat pages nobody.
    r.clock.now = T0 + 3 * M;
    await r.call('POST', '/');
    t.is(r.receiver.requests.length, 0);
    t.deepEqual((await r.call('DELETE', `/silences/${id}`)).body, { expired: true });
    t.like(await r.call('DELETE', `/silences/${id}`), {
      status: 404,
      body: { error: { code: 'TICK_ERR_NOT_FOUND' } },
    });
    const bad = await r.call('POST', '/silences', {
      matchers: ['target=~".*"'],
      endsAt: new Date(T0 + M).toISOString(),
      createdBy: 'ana',
      comment: 'x',
    });
    t.is(bad.status, 400);
    t.like(bad.body, { error: { code: 'ENGINE_ERR_SILENCE_INVALID' } });
    t.regex(String((bad.body.error as { message: string }).message), /\/matchers/);
    const badTime = await r.call('POST', '/silences', {
      matchers: ['target="x"'],
      endsAt: 'tomorrow',
      createdBy: 'ana',
      comment: 'x',
    });
    t.like(badTime, { status: 400, body: { error: { code: 'TICK_ERR_BODY_INVALID' } } });
    t.regex(
      String((badTime.body.error as { message: string }).message),
      /\/endsAt.*"tomorrow".*RFC 3339/,
    );
    t.like(await r.call('GET', '/'), { status: 405, body: { error: { code: 'TICK_ERR_METHOD' } } });
    t.like(await r.call('GET', '/nope'), { status: 404 });
    t.like(await r.call('GET', '/deliveries?status=lost'), { status: 400 });
    const alerts = await r.call('GET', '/alerts');
    t.like((alerts.body.alerts as unknown[])[0], {
      state: 'firing',
      labels: { alertname: 'SweeperAbsent' },
    });
    t.is(alerts.body.truncated, false);
  } finally {
    await r.close();
  }
});

const DECLARED = `${ALERTING}
silences:
  - id: scheduler-move
    matchers: ['target="sweep-job"']
    starts_at: "2026-12-07T11:00:00Z"
    ends_at: "2026-12-08T11:00:00Z"
    created_by: ops
    comment: moving the scheduler
`;

test('alertTick: a silence from the definitions file cannot be expired through the API (409); removed from the file, it ends at the next tick', async (t) => {
  const r = await rig([status(200)], DECLARED);
  try {
    t.like((await r.call('POST', '/')).body, { silences: { declared: 1, expired: 0 } });
    const refused = await r.call('DELETE', '/silences/scheduler-move');
    t.is(refused.status, 409);
    t.like(refused.body, { error: { code: 'TICK_ERR_SILENCE_DEFINED' } });
    t.regex(
      String((refused.body.error as { message: string }).message),
      /"scheduler-move".*definitions file.*alerting\.yaml/,
    );
    t.like((await r.call('GET', '/silences')).body, { silences: [{ id: 'scheduler-move' }] });
    r.clock.now = T0 + 3 * M;
    await r.call('POST', '/');
    t.is(r.receiver.requests.length, 0, 'still silenced');
    r.define(ALERTING);
    await r.restart();
    r.clock.now = T0 + 4 * M;
    t.like((await r.call('POST', '/')).body, { silences: { declared: 0, expired: 1 } });
    t.deepEqual((await r.call('GET', '/silences')).body, { silences: [] });
    t.like(await r.call('DELETE', '/silences/scheduler-move'), {
      status: 404,
      body: { error: { code: 'TICK_ERR_NOT_FOUND' } },
    });
    r.clock.now = T0 + 9 * M;
    await r.call('POST', '/');
    t.like(bodies(r.receiver)[0], {
      status: 'firing',
      groupLabels: { alertname: 'SweeperAbsent' },
    });
  } finally {
    await r.close();
  }
});

test('alertTick: POST /silences beyond the active silences allowed is 409 naming the limit; an ended one makes room', async (t) => {
  const r = await rig([status(200)]);
  try {
    const stores = await openStores(r.storeUrl, { platform: 'local' });
    try {
      for (let i = 0; i < MAX_ACTIVE_SILENCES; i++)
        await stores.engine.putSilence(
          {
            id: `seeded-${i}`,
            matchers: [{ name: 'target', op: '=', value: `t${i}` }],
            startsAt: T0,
            endsAt: T0 + 60 * M,
            createdBy: 'ana',
            comment: 'seeded',
            origin: 'api',
          },
          T0,
        );
    } finally {
      await stores.close();
    }
    const body = {
      matchers: ['target="one-more"'],
      endsAt: new Date(T0 + 60 * M).toISOString(),
      createdBy: 'ana',
      comment: 'one too many',
    };
    const refused = await r.call('POST', '/silences', body);
    t.is(refused.status, 409);
    t.like(refused.body, { error: { code: 'TICK_ERR_SILENCE_LIMIT' } });
    t.regex(
      String((refused.body.error as { message: string }).message),
      new RegExp(`${MAX_ACTIVE_SILENCES} silences.*at most ${MAX_ACTIVE_SILENCES}`),
    );
    t.deepEqual((await r.call('DELETE', '/silences/seeded-0')).body, { expired: true });
    t.is((await r.call('POST', '/silences', body)).status, 201);
  } finally {
    await r.close();
  }
});

test('alertTick: GET /alerts answers at most LIST_LIMIT alerts, oldest first, and says it truncated', async (t) => {
  const r = await rig([status(200)]);
  try {
    const stores = await openStores(r.storeUrl, { platform: 'local' });
    try {
      for (let i = 0; i <= LIST_LIMIT; i++) {
        const fp = `seeded-${String(i).padStart(4, '0')}`;
        await stores.engine.receive(
          { fingerprint: fp, groups: [], now: T0, maxMembers: 1 },
          () => ({
            fingerprint: fp,
            source: 'runwatch',
            labels: { alertname: 'Seeded', target: fp },
            annotations: {},
            startsAt: T0 + i,
            endsAt: null,
            lifecycle: false,
            lastEventAt: T0,
            receivedAt: T0,
            state: 'firing',
            stateSince: T0,
            firedAt: T0,
          }),
        );
      }
    } finally {
      await stores.close();
    }
    const { status: code, body } = await r.call('GET', '/alerts');
    t.is(code, 200);
    const listed = body.alerts as { fingerprint: string }[];
    t.is(listed.length, LIST_LIMIT);
    t.is(listed[0]?.fingerprint, 'seeded-0000');
    t.is(listed.at(-1)?.fingerprint, `seeded-${String(LIST_LIMIT - 1).padStart(4, '0')}`);
    t.is(body.truncated, true);
  } finally {
    await r.close();
  }
});

test('alertTick: POST /silences takes only RFC 3339 times with a timezone, naming the field, value and expectation', async (t) => {
  const r = await rig([status(200)]);
  try {
    const post = (over: Record<string, unknown>) =>
      r.call('POST', '/silences', {
        matchers: ['target="prod"'],
        endsAt: new Date(T0 + 60 * M).toISOString(),
        createdBy: 'ana',
        comment: 'deploy',
        ...over,
      });
    const loose: [string, unknown][] = [
      ['startsAt', '2026'],
      ['endsAt', '2027'],
      ['endsAt', '2026-12-08'],
      ['endsAt', '2026-12-07T18:00:00'],
      ['endsAt', '2026-12-07 18:00:00Z'],
      ['endsAt', '2026-12-07T18:00Z'],
      ['endsAt', 'Mon, 07 Dec 2026 18:00:00 GMT'],
      ['endsAt', '+002026-12-07T18:00:00Z'],
      ['endsAt', '2026-12-32T18:00:00Z'],
      ['endsAt', '2027-02-29T18:00:00Z'],
      ['endsAt', '2026-12-07T24:00:00Z'],
      ['endsAt', '2026-12-07T18:00:00+24:00'],
      ['endsAt', T0 + 60 * M],
      ['startsAt', null],
    ];
    for (const [field, value] of loose) {
      const res = await post({ [field]: value });
      t.like(res, { status: 400, body: { error: { code: 'TICK_ERR_BODY_INVALID' } } }, `${value}`);
      const message = String((res.body.error as { message: string }).message);
      t.true(message.includes(`/${field}`), message);
      t.true(message.includes(JSON.stringify(value)), message);
      t.true(message.includes('RFC 3339'), message);
    }
    for (const endsAt of [
      '2026-12-07T18:00:00+01:00',
      '2026-12-07t18:00:00.123456z',
      '2028-02-29T00:00:00-05:30',
    ])
      t.is((await post({ endsAt })).status, 201, endsAt);
    t.like(await post({ endsAt: '2026-12-07T19:00:00.5+01:00' }), {
      status: 201,
      body: { endsAt: Date.parse('2026-12-07T18:00:00.500Z') },
    });
  } finally {
    await r.close();
  }
});

test('alertTick: POST /silences refuses an end already past, and more matchers than allowed before parsing any', async (t) => {
  const r = await rig([status(200)]);
  try {
    const past = await r.call('POST', '/silences', {
      matchers: ['target="prod"'],
      startsAt: new Date(T0 - 120 * M).toISOString(),
      endsAt: new Date(T0 - 60 * M).toISOString(),
      createdBy: 'ana',
      comment: 'too late',
    });
    t.like(past, { status: 400, body: { error: { code: 'TICK_ERR_BODY_INVALID' } } });
    t.regex(
      String((past.body.error as { message: string }).message),
      /\/endsAt.*"2026-12-07T11:00:00.000Z".*after now \(2026-12-07T12:00:00.000Z\)/,
    );
    t.deepEqual((await r.call('GET', '/silences?all=true')).body, { silences: [] });
    // Not one of them is a matcher: an answer about /matchers/0 would mean they were parsed.
    const many = await r.call('POST', '/silences', {
      matchers: Array.from({ length: 100_000 }, () => 'not a matcher'),
      endsAt: new Date(T0 + 60 * M).toISOString(),
      createdBy: 'ana',
      comment: 'many',
    });
    t.is(many.status, 400);
    t.like(many.body, { error: { code: 'ENGINE_ERR_SILENCE_INVALID' } });
    t.regex(
      String((many.body.error as { message: string }).message),
      /^field \/matchers is an array of 100000; expected from 1 to 32 matchers/,
    );
  } finally {
    await r.close();
  }
});

test('alertTick: DELETE /silences/<id> refuses an id longer than the store keys, and a malformed percent-encoding, with 400', async (t) => {
  const r = await rig([status(200)]);
  try {
    const long = await r.call('DELETE', `/silences/${'x'.repeat(MAX_KEY_CHARS + 1)}`);
    t.like(long, { status: 400, body: { error: { code: 'TICK_ERR_ID_INVALID' } } });
    t.regex(
      String((long.body.error as { message: string }).message),
      new RegExp(`${MAX_KEY_CHARS + 1} characters.*at most ${MAX_KEY_CHARS}`),
    );
    t.like(await r.call('DELETE', `/silences/${'x'.repeat(MAX_KEY_CHARS)}`), {
      status: 404,
      body: { error: { code: 'TICK_ERR_NOT_FOUND' } },
    });
    // The Functions Framework's router decodes the path first and answers these 400 itself.
    for (const bad of ['%E0%A4%A', '%', 'a%zz', '%ED%A0%80'])
      t.is((await r.call('DELETE', `/silences/${bad}`)).status, 400, bad);
    t.like(await r.call('DELETE', '/silences/caf%C3%A9'), { status: 404 }, 'well-formed UTF-8');
  } finally {
    await r.close();
  }
});

async function recordSweep(
  storeUrl: string,
  sweep: { sweepId: string; ts: number; recordedAt: number },
) {
  const stores = await openStores(storeUrl, { platform: 'local' });
  try {
    await stores.trends.recordSweep({ ...sweep, summary: { targets: [], findings: 0 } } as never);
  } finally {
    await stores.close();
  }
}

const absentStates = async (storeUrl: string) => {
  const stores = await openStores(storeUrl, { platform: 'local' });
  try {
    return (await stores.trends.findings({ target: 'sweep-job' }))
      .filter((f) => f.alertname === 'SweeperAbsent')
      .map((f) => f.state);
  } finally {
    await stores.close();
  }
};

test("alertTick: a SweeperAbsent firing when alertTick restarts stays firing through the new instance's grace, pages nobody again, and resolves on a fresh sweep", async (t) => {
  const r = await rig([status(200)]);
  try {
    r.clock.now = T0 + 3 * M;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'firing' } });
    t.is(r.receiver.requests.length, 1);
    // A cold start 10 s later: its grace (2 min) must not read as "sweeps are back".
    r.clock.now = T0 + 3 * M + 10_000;
    await r.restart();
    r.clock.now = T0 + 3 * M + 40_000;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'firing' }, failed: {} });
    t.is((await absentStates(r.storeUrl)).at(-1), 'firing');
    t.is(r.receiver.requests.length, 1, 'the restart sends no second page and no resolve');
    await recordSweep(r.storeUrl, {
      sweepId: 'sweep-job@back',
      ts: T0 + 4 * M,
      recordedAt: T0 + 4 * M,
    });
    r.clock.now = T0 + 4 * M;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'resolved' } });
    r.clock.now = T0 + 4 * M + 30_000;
    t.like((await r.call('POST', '/')).body, { heartbeat: null }, 'resolved once, then quiet');
    t.deepEqual(
      bodies(r.receiver).map((b) => b.status),
      ['firing', 'resolved'],
    );
  } finally {
    await r.close();
  }
});

test('alertTick: a sweep recorded now under a far-future schedule time does not postpone SweeperAbsent', async (t) => {
  const r = await rig([status(200)]);
  try {
    const forged = Date.UTC(2099, 0, 1);
    await recordSweep(r.storeUrl, {
      sweepId: `sweep-job@${new Date(forged).toISOString()}`,
      ts: forged,
      recordedAt: T0,
    });
    r.clock.now = T0 + 2 * M + 1000;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'firing' } });
    t.deepEqual(await absentStates(r.storeUrl), ['firing']);
  } finally {
    await r.close();
  }
});

test('alertTick: a sweep recorded by a clock far ahead does not keep SweeperAbsent quiet', async (t) => {
  const r = await rig([status(200)]);
  try {
    // A sweeper instance whose clock is a year ahead records its sweep.
    const ahead = T0 + 365 * 86_400_000;
    await recordSweep(r.storeUrl, { sweepId: 'sweep-job@ahead', ts: T0, recordedAt: ahead });
    r.clock.now = T0 + 2 * M + 1000;
    t.like((await r.call('POST', '/')).body, { heartbeat: { state: 'firing' } });
    t.deepEqual(await absentStates(r.storeUrl), ['firing']);
  } finally {
    await r.close();
  }
});
