/**
 * Scenario 10 of cloud-run-and-drain.md §5, as under-pressure tests it: the app listens in this
 * process, this process blocks its own event loop for 1.5 s, and a forked child sends requests
 * during the block. Shedding must catch the block on the first request after it, and must never
 * touch liveness.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import type { Answer } from '../../fixtures/pressure-client.js';
import { parseSamples, sampleValue } from '../../helpers/prom-text.js';
import { buildTestApp, type TestApp } from '../../helpers/test-app.js';

const CLIENT = fileURLToPath(new URL('../../fixtures/pressure-client.js', import.meta.url));
const BLOCK_MS = 1500;
/** The child waits this long after "go", so its requests land inside the block. */
const CLIENT_DELAY_MS = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls /health/ready until it answers `status`; the elapsed ms, or null past `timeoutMs`. */
async function readyBecomes(built: TestApp, status: number, timeoutMs: number) {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await built.app.inject({ url: '/health/ready' })).statusCode === status) {
      return performance.now() - t0;
    }
    await sleep(50);
  }
  return null;
}

/** Blocks this thread's event loop for at least `ms`, and until `flag` exists (capped). */
function blockLoop(ms: number, flag: string, capMs: number): number {
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < ms || (!existsSync(flag) && elapsed < capMs)) elapsed = performance.now() - t0;
  return elapsed;
}

/**
 * Blocks this process's loop for BLOCK_MS while a forked child sends POST /predict, GET
 * /health/live and GET /health/ready; their answers, once the loop is free again.
 */
async function answersDuringBlock(t: ExecutionContext, built: TestApp): Promise<Answer[]> {
  const base = await built.listen();
  const flag = join(await mkdtemp(join(tmpdir(), 'runwatch-shed-')), 'sent');
  const spawned = fork(CLIENT, [base, flag, String(CLIENT_DELAY_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const messages: unknown[] = [];
    const answered = new Promise<{ answers: Answer[] }>((resolve, reject) => {
      spawned.on('message', (m) => {
        messages.push(m);
        if (typeof m === 'object' && m !== null && 'answers' in m) {
          resolve(m as { answers: Answer[] });
        }
      });
      spawned.on('exit', (code) => reject(new Error(`the client exited with ${code}`)));
    });
    while (!messages.includes('ready')) await sleep(10);
    t.not(await readyBecomes(built, 200, 5000), null, 'ready before the block');

    await new Promise<void>((resolve, reject) =>
      spawned.send('go', (err) => (err ? reject(err) : resolve())),
    );
    const blockedMs = blockLoop(BLOCK_MS, flag, 15_000);
    t.true(existsSync(flag), `the client's requests were sent during the ${blockedMs} ms block`);
    const { answers } = await answered;
    t.is(answers.length, 3);
    return answers;
  } finally {
    spawned.kill();
  }
}

test('shedding: a request after a 1.5 s loop block gets 503 SVC_ERR_OVERLOADED with Retry-After; /health/live stays 200 and /health/ready recovers', async (t) => {
  const built = await buildTestApp({
    SHED_EVENT_LOOP_DELAY_MS: '200',
    SHED_EVENT_LOOP_UTILIZATION: '0.98',
    SHED_SAMPLE_INTERVAL_MS: '50',
  });
  try {
    const answers = await answersDuringBlock(t, built);
    const [predict, live, ready] = answers as [Answer, Answer, Answer];
    t.is(predict.status, 503);
    t.is(predict.retryAfter, '2');
    const error = (predict.body as { error: { code: string; message: string } }).error;
    t.is(error.code, 'SVC_ERR_OVERLOADED');
    const m =
      /^event-loop delay is (\d+) ms; expected at most 200 ms \(SHED_EVENT_LOOP_DELAY_MS\)/.exec(
        error.message,
      );
    t.truthy(m, error.message);
    t.true(Number(m?.[1]) >= 1000, `the delay reported covers the block: ${error.message}`);

    t.is(live.status, 200, '/health/live is never shed');
    t.like(live.body, { status: 'SERVICE_IS_ALIVE' });

    t.is(ready.status, 503, '/health/ready fails while overloaded');
    t.is(ready.retryAfter, '2');
    t.deepEqual(ready.body, { status: 'SERVICE_IS_OVERLOADED', reason: 'overloaded' });

    const recoveredMs = await readyBecomes(built, 200, 10_000);
    t.not(recoveredMs, null, '/health/ready is 200 again after the loop recovers');

    const samples = parseSamples((await built.app.inject({ url: '/metrics' })).body);
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'event_loop_delay' }), 1);
    t.is(
      sampleValue(samples, 'http_requests_total', { route: '/predict', status_class: '5xx' }),
      1,
    );
    t.false(
      built.sink.lines.some((l) => l.event === 'http.error'),
      'shedding is not logged as a server error',
    );
  } finally {
    await built.app.close();
  }
});

test('shedding: with the delay limit off, a loop busy over SHED_EVENT_LOOP_UTILIZATION sheds predict with 503 naming utilization; /health/live stays 200', async (t) => {
  const built = await buildTestApp({
    SHED_EVENT_LOOP_DELAY_MS: '0',
    SHED_EVENT_LOOP_UTILIZATION: '0.5',
    SHED_SAMPLE_INTERVAL_MS: '50',
  });
  try {
    const [predict, live, ready] = (await answersDuringBlock(t, built)) as [Answer, Answer, Answer];
    t.is(predict.status, 503);
    t.is(predict.retryAfter, '2');
    const error = (predict.body as { error: { code: string; message: string } }).error;
    t.is(error.code, 'SVC_ERR_OVERLOADED');
    const m =
      /^event-loop utilization over the last 1 s is ([\d.]+); expected at most 0\.5 \(SHED_EVENT_LOOP_UTILIZATION\)/.exec(
        error.message,
      );
    t.truthy(m, error.message);
    t.true(Number(m?.[1]) > 0.9, `the utilization reported covers the block: ${error.message}`);
    t.is(live.status, 200, '/health/live is never shed');
    t.is(ready.status, 503, '/health/ready fails while overloaded');
    t.not(await readyBecomes(built, 200, 10_000), null, '/health/ready recovers');
    const samples = parseSamples((await built.app.inject({ url: '/metrics' })).body);
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'event_loop_utilization' }), 1);
    t.is(sampleValue(samples, 'requests_shed_total', { reason: 'event_loop_delay' }), 0);
  } finally {
    await built.app.close();
  }
});
