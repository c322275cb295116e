/**
 * The webhook notifier against real HTTP receivers on port 0 (node:http), through undici:
 * delivery, Alertmanager's retry rule, per-attempt timeouts, the send's deadline and abort
 * signal, hostile bodies, and a URL secret that never shows in an error.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import test from 'ava';
import { Agent } from 'undici';
import type { SecretRef } from '../../../alerts/engine/types.js';
import {
  NOTIFY_ERR_HTTP_STATUS,
  NOTIFY_ERR_SECRET,
  NOTIFY_ERR_TIMEOUT,
  NOTIFY_ERR_TRANSPORT,
  NotifyError,
} from '../../../alerts/notifiers/errors.js';
import {
  backoffMs,
  createWebhookNotifier,
  RESPONSE_BODY_LIMIT_BYTES,
  retryAfterMs,
  type WebhookConfig,
  type WebhookDeps,
} from '../../../alerts/notifiers/webhook.js';
import { endless, padLine } from '../../helpers/hostile-target.js';
import { refusedUrl } from '../../helpers/sweep-target.js';
import { type Answer, hang, serveReceiver, status } from '../../helpers/webhook-receiver.js';
import { groupNotification, snapshot } from './fixtures/alertmanager-webhook.js';

/** A Slack-like URL: the token in the path and in the query, the parts that must never leak. */
const PATH_TOKEN = 'xoxbPathTokenSECRET42';
const QUERY_TOKEN = 'QueryTokenSECRET77';
const SECRET_PATH = `/services/T0001/B0002/${PATH_TOKEN}?token=${QUERY_TOKEN}`;
const REF: SecretRef = { env: 'RUNWATCH_TEST_HOOK_URL' };

const CONFIG: WebhookConfig = {
  type: 'webhook',
  url: REF,
  format: 'alertmanager',
  timeoutMs: 1000,
  maxAttempts: 3,
  maxAlerts: 0,
};

const NOTIFICATION = groupNotification([snapshot(1), snapshot(2)]);

/** Small backoff, so retries take tens of ms, not seconds. */
const FAST = { initialMs: 20, maxMs: 80 } as const;

interface Harness {
  readonly receiver: Awaited<ReturnType<typeof serveReceiver>>;
  readonly url: string;
  notifier(
    config?: Partial<WebhookConfig>,
    deps?: Partial<WebhookDeps>,
  ): ReturnType<typeof createWebhookNotifier>;
  close(): Promise<void>;
}

async function harness(answers: readonly Answer[]): Promise<Harness> {
  const receiver = await serveReceiver(answers);
  const url = `${receiver.url}${SECRET_PATH}`;
  const agent = new Agent();
  return {
    receiver,
    url,
    notifier: (config = {}, deps = {}) =>
      createWebhookNotifier(
        { ...CONFIG, ...config },
        {
          env: { RUNWATCH_TEST_HOOK_URL: url },
          dispatcher: agent,
          backoff: FAST,
          ...deps,
        },
      ),
    close: async () => {
      await receiver.close();
      await agent.destroy();
    },
  };
}

/** Runs `body` against a fresh receiver answering `answers`, closing both afterwards. */
async function withHarness(
  answers: readonly Answer[],
  body: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await harness(answers);
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<NotifyError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof NotifyError) return e;
    throw e;
  }
  throw new Error('expected the send to fail');
}

/** Every way an error can be printed: none may contain the URL's secret parts. */
function assertNoSecret(t: { false(v: boolean, m?: string): void }, e: unknown): void {
  const err = e as Error;
  const printed = [err.message, err.stack ?? '', JSON.stringify(err), String(err), inspect(err)];
  for (const text of printed) {
    for (const secret of [PATH_TOKEN, QUERY_TOKEN, '/services/T0001', 'token=']) {
      t.false(text.includes(secret), `${JSON.stringify(secret)} printed in: ${text.slice(0, 300)}`);
    }
  }
}

test('webhook: a 200 delivers in one POST with JSON, the user agent, the idempotency key and the Alertmanager body', async (t) => {
  await withHarness([status(200, 'ok')], async (h) => {
    await h.notifier().send(NOTIFICATION, { deadlineMs: 5000 });
    t.is(h.receiver.requests.length, 1);
    const [req] = h.receiver.requests;
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    t.like(req, { method: 'POST', path: SECRET_PATH });
    t.like(req?.headers, {
      'content-type': 'application/json',
      'user-agent': `runwatch/${pkg.version}`,
      'idempotency-key': NOTIFICATION.id,
    });
    const body = JSON.parse(req?.body ?? '{}') as Record<string, unknown>;
    t.like(body, {
      version: '4',
      groupKey: NOTIFICATION.groupKey,
      status: 'firing',
      runwatch: { notificationId: NOTIFICATION.id },
    });
    t.is((body.alerts as unknown[]).length, 2);
  });
});

test('webhook: credentials in the URL are sent as Basic authorization, not as part of the URL', async (t) => {
  await withHarness([status(200, 'ok')], async (h) => {
    const withUser = h.url.replace('://', '://hook%40ops:p%3Ass@');
    await h.notifier({}, { env: { RUNWATCH_TEST_HOOK_URL: withUser } }).send(NOTIFICATION, {
      deadlineMs: 5000,
    });
    const [req] = h.receiver.requests;
    t.is(req?.path, SECRET_PATH);
    t.is(req?.headers.authorization, `Basic ${Buffer.from('hook@ops:p:ss').toString('base64')}`);
  });
});

test('webhook: a receiver echoing the Basic header or the decoded password has neither quoted in the error', async (t) => {
  const echo: Answer = (req, res) => {
    res.writeHead(401).end(`denied ${req.headers.authorization} for p@ss:w0rd-secret`);
  };
  await withHarness([echo], async (h) => {
    const url = h.url.replace('://', '://hook:p%40ss%3Aw0rd-secret@');
    const e = await failure(
      h.notifier({}, { env: { RUNWATCH_TEST_HOOK_URL: url } }).send(NOTIFICATION, {
        deadlineMs: 5000,
      }),
    );
    t.like(e, { code: NOTIFY_ERR_HTTP_STATUS });
    t.regex(e.message, /HTTP 401: "denied /);
    t.false(e.message.includes('p@ss:w0rd-secret'), e.message);
    t.false(e.message.includes(Buffer.from('hook:p@ss:w0rd-secret').toString('base64')), e.message);
  });
});

test('webhook: a URL without credentials sends no authorization header', async (t) => {
  await withHarness([status(200, 'ok')], async (h) => {
    await h.notifier().send(NOTIFICATION, { deadlineMs: 5000 });
    t.is(h.receiver.requests[0]?.headers.authorization, undefined);
  });
});

test('webhook: a 204 delivers, and the slack format posts a Slack message', async (t) => {
  await withHarness([status(204)], async (h) => {
    await h.notifier({ format: 'slack' }).send(NOTIFICATION, { deadlineMs: 5000 });
    t.is(h.receiver.requests.length, 1);
    const body = JSON.parse(h.receiver.requests[0]?.body ?? '{}') as { text?: string };
    t.is(body.text, '[FIRING:2] InferDown (prod): first notification');
  });
});

test('webhook: a 503 is retried with backoff and the second attempt delivers', async (t) => {
  await withHarness([status(503, 'busy'), status(200)], async (h) => {
    await h.notifier().send(NOTIFICATION, { deadlineMs: 5000 });
    t.is(h.receiver.requests.length, 2);
    const [first, second] = h.receiver.requests;
    const gap = (second?.at ?? 0) - (first?.at ?? 0);
    t.true(gap >= FAST.initialMs * 0.5 - 2, `waited ${gap} ms between attempts`);
  });
});

test('webhook: 500 on every attempt is NOTIFY_ERR_HTTP_STATUS, retryable, after maxAttempts with the same idempotency key', async (t) => {
  await withHarness([status(500, 'internal trouble')], async (h) => {
    const e = await failure(h.notifier().send(NOTIFICATION, { deadlineMs: 5000 }));
    t.is(e.code, NOTIFY_ERR_HTTP_STATUS);
    t.true(e.retryable);
    t.is(h.receiver.requests.length, 3);
    t.deepEqual(
      h.receiver.requests.map((r) => r.headers['idempotency-key']),
      [NOTIFICATION.id, NOTIFICATION.id, NOTIFICATION.id],
    );
    t.regex(
      e.message,
      /^webhook to http:\/\/127\.0\.0\.1:\d+: HTTP 500: "internal trouble"; 3 attempts of 3 in \d+ ms$/,
    );
    const other = groupNotification([snapshot(3)], { id: 'n-0002' });
    await failure(h.notifier({ maxAttempts: 1 }).send(other, { deadlineMs: 5000 }));
    t.is(h.receiver.requests.at(-1)?.headers['idempotency-key'], 'n-0002');
  });
});

test('webhook: a 404 is one attempt and not retryable', async (t) => {
  await withHarness([status(404, 'no_service')], async (h) => {
    const e = await failure(h.notifier().send(NOTIFICATION, { deadlineMs: 5000 }));
    t.is(e.code, NOTIFY_ERR_HTTP_STATUS);
    t.false(e.retryable);
    t.is(h.receiver.requests.length, 1);
    t.regex(e.message, /HTTP 404: "no_service"; 1 attempt of 3/);
  });
});

test('webhook: a 3xx is not followed and not retried', async (t) => {
  await withHarness([status(302, '', { location: '/elsewhere' })], async (h) => {
    const e = await failure(h.notifier().send(NOTIFICATION, { deadlineMs: 5000 }));
    t.like(e, { code: NOTIFY_ERR_HTTP_STATUS, retryable: false });
    t.is(h.receiver.requests.length, 1);
  });
});

test('webhook: a receiver that never answers times each attempt out at timeoutMs and is retried', async (t) => {
  await withHarness([hang], async (h) => {
    const t0 = performance.now();
    const e = await failure(
      h.notifier({ timeoutMs: 300, maxAttempts: 2 }).send(NOTIFICATION, { deadlineMs: 5000 }),
    );
    const elapsed = performance.now() - t0;
    t.like(e, { code: NOTIFY_ERR_TIMEOUT, retryable: true });
    t.regex(e.message, /no answer within 300 ms; 2 attempts of 2/);
    t.is(h.receiver.requests.length, 2);
    t.true(elapsed >= 600 && elapsed < 600 + FAST.maxMs + 500, `took ${elapsed} ms`);
  });
});

test('webhook: a refused connection is NOTIFY_ERR_TRANSPORT, retryable', async (t) => {
  const base = await refusedUrl();
  const agent = new Agent();
  try {
    const notifier = createWebhookNotifier(CONFIG, {
      env: { RUNWATCH_TEST_HOOK_URL: `${base}${SECRET_PATH}` },
      dispatcher: agent,
      backoff: FAST,
    });
    const e = await failure(notifier.send(NOTIFICATION, { deadlineMs: 5000 }));
    t.like(e, { code: NOTIFY_ERR_TRANSPORT, retryable: true });
    t.regex(e.message, /connection failed \(ECONNREFUSED\); 3 attempts of 3/);
    assertNoSecret(t, e);
  } finally {
    await agent.destroy();
  }
});

test('webhook: a deadline shorter than the attempts stops the send at the deadline', async (t) => {
  await withHarness([hang], async (h) => {
    const t0 = performance.now();
    const e = await failure(
      h.notifier({ timeoutMs: 400, maxAttempts: 5 }).send(NOTIFICATION, { deadlineMs: 700 }),
    );
    const elapsed = performance.now() - t0;
    t.like(e, { code: NOTIFY_ERR_TIMEOUT, retryable: true });
    t.regex(
      e.message,
      /the 700 ms deadline passed; the last attempt saw no answer within 400 ms; 2 attempts of 5/,
    );
    t.true(elapsed >= 690 && elapsed < 700 + 300, `took ${elapsed} ms`);
    t.is(h.receiver.requests.length, 2);
  });
});

test('webhook: a backoff that would pass the deadline ends the send at once with the last status', async (t) => {
  await withHarness([status(503)], async (h) => {
    const t0 = performance.now();
    const e = await failure(
      h.notifier({}, { backoff: { initialMs: 5000, maxMs: 5000 } }).send(NOTIFICATION, {
        deadlineMs: 2000,
      }),
    );
    t.like(e, { code: NOTIFY_ERR_HTTP_STATUS, retryable: true });
    t.regex(e.message, /would pass the 2000 ms deadline/);
    t.true(performance.now() - t0 < 1000);
    t.is(h.receiver.requests.length, 1);
  });
});

test('webhook: the abort signal stops a send in flight, and an aborted signal sends nothing', async (t) => {
  const controller = new AbortController();
  let abortedAt = 0;
  // Aborts once the receiver holds the request (so it is in flight, and counted), never answering.
  const abortOnArrival: Answer = () => {
    abortedAt = performance.now();
    controller.abort();
  };
  await withHarness([abortOnArrival, hang], async (h) => {
    const e = await failure(
      h.notifier({ timeoutMs: 3000 }).send(NOTIFICATION, {
        deadlineMs: 10_000,
        signal: controller.signal,
      }),
    );
    const elapsed = performance.now() - abortedAt;
    t.like(e, { code: NOTIFY_ERR_TIMEOUT, retryable: true });
    t.regex(e.message, /stopped by the caller; 1 attempt of 3/);
    t.true(elapsed < 300, `stopped ${elapsed} ms after the abort`);
    t.is(h.receiver.requests.length, 1);
    const aborted = await failure(
      h.notifier().send(NOTIFICATION, { deadlineMs: 5000, signal: AbortSignal.abort() }),
    );
    t.is(aborted.code, NOTIFY_ERR_TIMEOUT);
    await new Promise((r) => setTimeout(r, 50));
    t.is(h.receiver.requests.length, 1);
  });
});

test('webhook: an endless 200 body is delivered with the read bounded, well within the timeout', async (t) => {
  const body = endless(padLine(1000));
  await withHarness([(req, res) => body(req, res)], async (h) => {
    const t0 = performance.now();
    await h.notifier({ timeoutMs: 5000 }).send(NOTIFICATION, { deadlineMs: 10_000 });
    t.true(performance.now() - t0 < 2000);
    await new Promise((r) => setTimeout(r, 100));
    t.is(body.stats.closedEarly, 1, 'the client closed the endless body');
    t.true(
      body.stats.bytesWritten < RESPONSE_BODY_LIMIT_BYTES + 4 * 1024 * 1024,
      `${body.stats.bytesWritten} bytes written`,
    );
  });
});

test('webhook: an endless 500 body is quoted briefly and read no further', async (t) => {
  let closedEarly = false;
  await withHarness(
    [
      (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        const pump = () => {
          while (!res.destroyed && res.write('overloaded '.repeat(1000)));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => {
          closedEarly = !res.writableFinished;
        });
        pump();
      },
    ],
    async (h) => {
      const t0 = performance.now();
      const e = await failure(
        h.notifier({ maxAttempts: 1 }).send(NOTIFICATION, { deadlineMs: 5000 }),
      );
      t.is(e.code, NOTIFY_ERR_HTTP_STATUS);
      t.true(e.message.length < 400, e.message);
      t.regex(e.message, /HTTP 500: "overloaded overloaded/);
      t.true(performance.now() - t0 < 1000);
      await new Promise((r) => setTimeout(r, 100));
      t.true(closedEarly, 'the client closed the endless body');
    },
  );
});

test('webhook: the URL token in path and query is in no error text, even when the receiver echoes it', async (t) => {
  const echo: Answer = (req, res) => {
    res.writeHead(400).end(`bad hook ${req.url} at http://${req.headers.host}${req.url}`);
  };
  for (const [answer, config] of [
    [echo, {}],
    [status(500, 'x'), {}],
    [hang, { timeoutMs: 100, maxAttempts: 1 }],
  ] as const) {
    await withHarness([answer], async (h) => {
      const e = await failure(h.notifier(config).send(NOTIFICATION, { deadlineMs: 5000 }));
      t.regex(e.message, /^webhook to http:\/\/127\.0\.0\.1:\d+: /);
      assertNoSecret(t, e);
    });
  }
});

test('webhook: a URL with a malformed %-escape or credentials still fails as the status the receiver answered, scrubbed', async (t) => {
  const echo: Answer = (req, res) => {
    res.writeHead(400).end(`bad hook ${req.url} at http://${req.headers.host}${req.url}`);
  };
  await withHarness([echo], async (h) => {
    const origin = new URL(h.url).origin;
    for (const url of [
      `${origin}/services/%E0%A4%A/${PATH_TOKEN}?token=${QUERY_TOKEN}`,
      `${origin.replace('://', `://hook:${PATH_TOKEN}@`)}${SECRET_PATH}`,
    ]) {
      const e = await failure(
        h.notifier({}, { env: { RUNWATCH_TEST_HOOK_URL: url } }).send(NOTIFICATION, {
          deadlineMs: 5000,
        }),
      );
      t.like(e, { code: NOTIFY_ERR_HTTP_STATUS, retryable: false });
      t.regex(e.message, /^webhook to http:\/\/127\.0\.0\.1:\d+: HTTP 400: "bad hook /);
      assertNoSecret(t, e);
    }
  });
});

test('webhook: a secret that cannot be resolved is NOTIFY_ERR_SECRET, retryable, naming the reference and sending nothing', async (t) => {
  await withHarness([status(200)], async (h) => {
    const e = await failure(
      h.notifier({ url: { file: '/run/secrets/missing-hook' } }).send(NOTIFICATION, {
        deadlineMs: 5000,
      }),
    );
    t.like(e, { code: NOTIFY_ERR_SECRET, retryable: true });
    t.is(
      e.message,
      'receiver oncall: the webhook URL secret (file /run/secrets/missing-hook) cannot be read (ENOENT); expected an absolute http(s) URL',
    );
    t.is(h.receiver.requests.length, 0);
  });
});

test('webhook: a secret that is not an http(s) URL is NOTIFY_ERR_SECRET without echoing it', async (t) => {
  for (const value of [
    'hooks.slack.com/services/T/B/xoxbPathTokenSECRET42',
    'ftp://x/xoxbPathTokenSECRET42',
  ]) {
    const notifier = createWebhookNotifier(CONFIG, { env: { RUNWATCH_TEST_HOOK_URL: value } });
    const e = await failure(notifier.send(NOTIFICATION, { deadlineMs: 5000 }));
    t.like(e, { code: NOTIFY_ERR_SECRET, retryable: true });
    t.regex(
      e.message,
      /^receiver oncall: the webhook URL secret \(environment variable RUNWATCH_TEST_HOOK_URL\) does not begin with http:\/\/ or https:\/\/; expected an absolute http\(s\) URL$/,
    );
    assertNoSecret(t, e);
  }
});

test('webhook: a 429 waits for its Retry-After within the deadline, and fails retryable when it would pass it', async (t) => {
  await withHarness([status(429, '', { 'retry-after': '1' }), status(200)], async (h) => {
    await h.notifier().send(NOTIFICATION, { deadlineMs: 5000 });
    const [first, second] = h.receiver.requests;
    t.true((second?.at ?? 0) - (first?.at ?? 0) >= 990);
  });
  await withHarness([status(429, 'rate_limited', { 'retry-after': '120' })], async (slow) => {
    const e = await failure(slow.notifier().send(NOTIFICATION, { deadlineMs: 3000 }));
    t.like(e, { code: NOTIFY_ERR_HTTP_STATUS, retryable: true });
    t.regex(e.message, /HTTP 429: "rate_limited"; the next attempt \(in 120000 ms\) would pass/);
    t.is(slow.receiver.requests.length, 1);
  });
});

test('webhook: backoff doubles per attempt within its bounds, with jitter in [0.5, 1.5)', (t) => {
  const b = { initialMs: 500, maxMs: 30_000 };
  t.is(
    backoffMs(1, b, () => 0),
    250,
  );
  t.is(
    backoffMs(2, b, () => 0.5),
    1000,
  );
  t.is(
    backoffMs(3, b, () => 0.999),
    2998,
  );
  t.is(
    backoffMs(20, b, () => 0.5),
    30_000,
  );
});

test('webhook: Retry-After is read as seconds or an HTTP date', (t) => {
  const now = Date.UTC(2026, 11, 7, 12);
  t.is(retryAfterMs('3', now), 3000);
  t.is(retryAfterMs(new Date(now + 5000).toUTCString(), now), 5000);
  t.is(retryAfterMs('soon', now), undefined);
  t.is(retryAfterMs(undefined, now), undefined);
});
