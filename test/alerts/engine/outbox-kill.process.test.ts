/**
 * The outbox under a real crash: a child process (test/fixtures/outbox-worker.ts: the real engine,
 * delivery worker, webhook notifiers and SQLite store) is killed with SIGKILL while it delivers
 * one notification to two receivers, after the first has been delivered and marked and while the
 * second hangs. A second run, after the lease, sends only what is still pending: each receiver
 * acknowledges the notification exactly once, with the same Idempotency-Key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { openStores } from '../../../alerts/store/open.js';
import { hang, type Receiver, serveReceiver, status } from '../../helpers/webhook-receiver.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/outbox-worker.js', import.meta.url));
const LEASE_MS = 1500;

const ALERTING = `
route:
  receiver: oncall
  group_wait: 0s
receivers:
  - name: oncall
    integrations:
      - { type: webhook, url: { env: HOOK_A }, timeout: 30s, max_attempts: 1 }
      - { type: webhook, url: { env: HOOK_B }, timeout: 30s, max_attempts: 1 }
`;

function run(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

const until = async (check: () => Promise<boolean> | boolean, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
};

/** Requests the receiver answered with a 2xx (a hung one was never acknowledged). */
const acknowledged = (r: Receiver, answeredFrom: number) => r.requests.slice(answeredFrom);

test('outbox: a worker killed between receivers resends only the pending one; each receiver acknowledges once', async (t) => {
  const a = await serveReceiver([status(200)]);
  const b = await serveReceiver([hang, status(200)]);
  const store = join(mkdtempSync(join(tmpdir(), 'runwatch-outbox-')), 'store.db');
  const env = {
    FIXTURE_STORE: store,
    FIXTURE_ALERTING: ALERTING,
    FIXTURE_LEASE_MS: String(LEASE_MS),
    HOOK_A: `${a.url}/a`,
    HOOK_B: `${b.url}/b`,
  };
  const observer = await openStores(`sqlite:${store}`, { platform: 'local' });
  try {
    const first = run({ ...env, FIXTURE_RECEIVE: '1' });
    const delivered = async () =>
      (await observer.engine.deliveries({ status: 'delivered', limit: 10 })).length;
    t.true(
      await until(async () => (await delivered()) === 1 && b.requests.length === 1, 20_000),
      'receiver A delivered and marked, receiver B holding its request',
    );
    first.child.kill('SIGKILL');
    t.is(await first.exited, null, 'killed, not exited');
    const pending = await observer.engine.deliveries({ status: 'pending', limit: 10 });
    t.is(pending.length, 1);
    t.is(pending[0]?.integrationIndex, 1);

    await new Promise((r) => setTimeout(r, LEASE_MS + 100));
    const second = run(env);
    t.is(await second.exited, 0);
    t.is(a.requests.length, 1, 'A is not sent again');
    t.is(b.requests.length, 2, 'B gets the pending one again');
    t.is(acknowledged(b, 1).length, 1, 'and acknowledges it once');
    const keys = [...a.requests, ...b.requests].map((r) => r.headers['idempotency-key']);
    t.is(new Set(keys).size, 1, 'one notification id throughout');
    t.is((await observer.engine.deliveries({ status: 'delivered', limit: 10 })).length, 2);

    const third = run(env);
    t.is(await third.exited, 0);
    t.is(
      a.requests.length + b.requests.length,
      3,
      'a replay after both were delivered sends nothing',
    );
  } finally {
    await observer.close();
    await a.close();
    await b.close();
  }
});
