/**
 * Liveness prober for bench/overload/, forked as its own process so that the load generator's
 * busy event loop cannot delay its timers or its reads (the two processes share core 1; the
 * kernel wakes a sleeping prober ahead of a CPU-bound peer).
 *
 * Contract (IPC): the parent sends `{ cmd: 'start', port, intervalMs }`; the prober then sends
 * `GET /health/live` every `intervalMs` on a fresh connection each time (as Cloud Run's probes
 * do: no keep-alive, so accepting the connection is part of the latency), one at a time. On
 * `{ cmd: 'stop' }` it replies `{ latenciesMs, failures, latenessMs }` and exits:
 * - `latenciesMs`: request sent → response fully read, per probe that answered 200 in time;
 * - `failures`: probes that failed, by kind: `timeout` (no answer within `PROBE_TIMEOUT_MS`,
 *   Cloud Run's default probe timeout), `status` (answered, but not 200), `error` (connection);
 * - `latenessMs`: how late each probe's timer fired; large values mean the prober itself was
 *   starved of CPU, which would inflate `latenciesMs` without the server being at fault.
 */
import http from 'node:http';
import { pinSelf } from './harness.js';

/** Cloud Run's default liveness-probe timeout is 1 s. */
const PROBE_TIMEOUT_MS = 1000;

interface Start {
  readonly cmd: 'start';
  readonly port: number;
  readonly intervalMs: number;
  readonly core: number;
}
type Message = Start | { readonly cmd: 'stop' };

const latenciesMs: number[] = [];
const latenessMs: number[] = [];
const failures = { timeout: 0, status: 0, error: 0 };
let stopped = false;

function probe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(
      { host: '127.0.0.1', port, path: '/health/live', agent: false, timeout: PROBE_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => {
          const ms = performance.now() - t0;
          if (res.statusCode !== 200) failures.status++;
          else if (ms > PROBE_TIMEOUT_MS) failures.timeout++;
          else latenciesMs.push(ms);
          resolve();
        });
        res.on('error', () => {
          failures.error++;
          resolve();
        });
      },
    );
    let timedOut = false;
    req.on('timeout', () => {
      timedOut = true;
      req.destroy(new Error('probe timeout'));
    });
    req.on('error', () => {
      if (timedOut) failures.timeout++;
      else failures.error++;
      resolve();
    });
  });
}

async function run(m: Start): Promise<void> {
  pinSelf(m.core);
  let due = performance.now();
  while (!stopped) {
    const now = performance.now();
    latenessMs.push(Math.max(0, now - due));
    await probe(m.port);
    due += m.intervalMs;
    // A probe slower than the interval delays the next one rather than overlapping it.
    due = Math.max(due, performance.now());
    await new Promise((r) => setTimeout(r, due - performance.now()));
  }
}

process.on('message', (m: Message) => {
  if (m.cmd === 'start') {
    void run(m);
  } else {
    stopped = true;
    process.send?.({ latenciesMs, failures, latenessMs }, () => process.exit(0));
  }
});
