/**
 * Drain benchmark: 64 keep-alive connections hammer /predict (each request 50–400 ms through
 * DelayedModel), SIGTERM arrives mid-load, and every request's outcome is classified by our own
 * client (bench/lib/drain-client.ts). runwatch's drain runs against a bare node:http server that
 * drains with `server.close()`, interleaved, in the same run.
 *
 * Targets (service-foundation issue): 0 failures (reset or truncated) in every trial, and exit
 * within slowest in-flight request + 300 ms.
 *
 *   npm run bench:drain [-- --trials 20 --connections 64]
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeTinyModelPackage } from '../test/helpers/tiny-model.js';
import { mulberry32 } from '../training/prng.js';
import { KeepAliveConnection, type OutcomeClass } from './lib/drain-client.js';
import { interleave, type Metrics, pinnedNode, pinSelf, writeResult } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    connections: { type: 'string', default: '64' },
    'sigterm-at': { type: 'string', default: '800' },
  },
});
const TRIALS = Number(values.trials);
const CONNECTIONS = Number(values.connections);
const SIGTERM_AT_MS = Number(values['sigterm-at']);

const SERVERS = {
  runwatch: fileURLToPath(new URL('../test/fixtures/drain-service.js', import.meta.url)),
  'node-server-close': fileURLToPath(new URL('./fixtures/node-close-server.js', import.meta.url)),
};

const selfPinned = pinSelf(1);
const modelDir = await mkdtemp(join(tmpdir(), 'runwatch-bench-model-'));
await writeTinyModelPackage(modelDir);

async function trial(server: keyof typeof SERVERS, round: number): Promise<Metrics> {
  const launch = pinnedNode(0, [SERVERS[server]]);
  const child = spawn(launch.cmd, launch.args, {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      K_SERVICE: 'runwatch-bench',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      MODEL_PATH: modelDir,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: performance.now() })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    let port = 0;
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        try {
          const l = JSON.parse(line) as { event?: string; port?: number };
          if (l.event === 'server.listening') port = l.port ?? 0;
          if (l.event === 'model.ready') resolve(port);
        } catch {
          // non-JSON output is ignored
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    void exited.then(() => reject(new Error(`${server} exited before it was ready`)));
  });

  const counts: Record<OutcomeClass, number> = {
    ok: 0,
    closed503: 0,
    refused: 0,
    reset: 0,
    truncated: 0,
    other: 0,
  };
  let lastInFlightDone = 0;
  let sigtermAt = Number.POSITIVE_INFINITY;
  // Seeded, so every trial and both variants see the same request delays.
  const rand = mulberry32(1000 + round);
  const delays = Array.from({ length: CONNECTIONS * 64 }, () => 50 + Math.floor(rand() * 350));
  let next = 0;
  const worker = async (): Promise<void> => {
    const conn = new KeepAliveConnection(port);
    for (let i = 0; i < 64; i++) {
      const delay = delays[next++ % delays.length] ?? 100;
      const o = await conn.post('/predict', { text: `delay=${delay}; benchmark text ${i}` });
      counts[o.kind]++;
      if (o.startedAt < sigtermAt && o.at >= sigtermAt && (o.kind === 'ok' || o.kind === 'other')) {
        lastInFlightDone = Math.max(lastInFlightDone, o.at);
      }
      if (o.kind === 'refused' || o.kind === 'reset' || o.kind === 'truncated') break;
    }
    conn.destroy();
  };
  const workers = Array.from({ length: CONNECTIONS }, worker);
  await new Promise((r) => setTimeout(r, SIGTERM_AT_MS));
  sigtermAt = performance.now();
  child.kill('SIGTERM');
  const exit = await exited;
  await Promise.all(workers);
  const failures = counts.reset + counts.truncated + counts.other;
  return {
    ok: counts.ok,
    closed503: counts.closed503,
    refused: counts.refused,
    reset: counts.reset,
    truncated: counts.truncated,
    failures,
    exitCode: exit.code ?? -1,
    exitAfterSigtermMs: Math.round(exit.at - sigtermAt),
    exitAfterSlowestInFlightMs: Math.round(exit.at - (lastInFlightDone || sigtermAt)),
  };
}

const result = await interleave(
  TRIALS,
  {
    runwatch: (r) => trial('runwatch', r),
    'node-server-close': (r) => trial('node-server-close', r),
  },
  (r, v, m) =>
    process.stdout.write(
      `round ${r + 1}/${TRIALS} ${v.padEnd(18)} ok=${m.ok} 503=${m.closed503} refused=${m.refused} reset=${m.reset} truncated=${m.truncated} exit=${m.exitCode} +${m.exitAfterSlowestInFlightMs} ms after slowest in-flight\n`,
    ),
);

const ours = result.raw.runwatch ?? [];
const base = result.raw['node-server-close'] ?? [];
const worstFailures = Math.max(...ours.map((m) => m.failures ?? 0));
const worstExit = Math.max(...ours.map((m) => m.exitAfterSlowestInFlightMs ?? 0));
const baseFailureTrials = base.filter((m) => (m.failures ?? 0) > 0).length;
const medianExitOurs = result.summary.runwatch?.exitAfterSlowestInFlightMs?.median ?? 0;
const medianExitBase = result.summary['node-server-close']?.exitAfterSlowestInFlightMs?.median ?? 0;

const file = writeResult({
  bench: 'drain',
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  rounds: TRIALS,
  setup: {
    connections: CONNECTIONS,
    'requests per connection (max)': 64,
    'request latency': '50–400 ms (seeded, same for both variants)',
    'SIGTERM at': `${SIGTERM_AT_MS} ms`,
    'server core': 0,
    'client core': selfPinned ? 1 : 'unpinned',
    platform: 'Cloud Run preset (K_SERVICE set: drain 0 / 8000 / 1000 ms)',
  },
  variants: result.summary,
  raw: result.raw,
  verdicts: [
    {
      target: '0 failures (reset or truncated) in every trial',
      met: worstFailures === 0,
      detail: `runwatch worst trial: ${worstFailures}; node server.close(): failures in ${baseFailureTrials} of ${TRIALS} trials`,
    },
    {
      target: 'exit ≤ slowest in-flight request + 300 ms',
      met: worstExit <= 300,
      detail: `runwatch worst: +${worstExit} ms, median +${medianExitOurs} ms; node server.close() median +${medianExitBase} ms (ratio ${medianExitOurs > 0 ? (medianExitBase / medianExitOurs).toFixed(1) : '∞'}×)`,
    },
  ],
  notes: [
    'Outcome classes: ok = 200; closed503 = 503 with Connection: close; refused = ECONNREFUSED on a new connection (allowed); reset = connection failed after the request was sent (failure); truncated = body cut (failure).',
    'node-server-close is a bare node:http server over the same model whose SIGTERM handler calls server.close(() => process.exit(0)); on Node 20 that resets idle keep-alive sockets and never sends Connection: close, so busy keep-alive connections go on being served until the clients stop: it exits about 15 s after SIGTERM, past the 10 s Cloud Run SIGKILL.',
  ],
});
process.stdout.write(`results: ${file}\n`);
if (worstFailures > 0 || worstExit > 300) process.exitCode = 1;
