/**
 * Overload benchmark (load-shedding issue); the only module of bench/overload/ with top-level
 * effects. The service (`build/service/main.js`, production preset, AUTH_MODE=iam, logs to a
 * file) is started fresh per round and variant on core 0 and loaded by autocannon on core 1, in
 * interleaved rounds of two variants (variants.ts): `full-stack` (metrics, CORS and the rate
 * limit's check on) and `bare-stack` (all three off). Per round and variant:
 *
 * 1. Capacity: closed-loop POST /predict at concurrency 16, 32 and 64 (`--warmup` s, then
 *    `--duration` s each); 503s are counted, any other status fails the bench. A variant's
 *    capacity is its best 200/s of the three cells. A reference capacity (full stack, best of
 *    c=32 and c=64) is measured once before the rounds and reported beside the paired capacity.
 * 2. Full stack only: one overload pass per `--connections` count (512, then 80: production's
 *    CONCURRENCY, the most requests Cloud Run sends one instance at once), offering `--factor` ×
 *    the paired capacity for `--overload-duration` s. Goodput is the 200s per second from whole
 *    second `--settle` to the end of the pass ÷ the paired capacity (closed loop on the same
 *    server just before and after the pass). Meanwhile a forked prober (bench/lib/live-prober.ts)
 *    sends GET /health/live every `--probe-interval` ms on a fresh connection, and CPU, loopback
 *    TCP counters and the server's own shed and batch counts are recorded for the diagnosis.
 *
 * Then the full and bare stacks are compared in `--stack-pairs` pairs of closed-loop windows on
 * two live servers. The targets are in verdicts.ts; the lab notes in docs/benchmarks.md.
 *
 *   npm run bench:overload [-- --rounds 3 --duration 4 --overload-duration 20 --connections 512,80]
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinSelf, writeResult } from '../lib/harness.js';
import { OverloadOptionsError, parseOverloadArgs } from './options.js';
import { runOverloadBench } from './passes.js';
import { overloadResult, roundLine, verdictLines } from './report.js';
import { overloadVerdicts } from './verdicts.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let options: ReturnType<typeof parseOverloadArgs>;
try {
  options = parseOverloadArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof OverloadOptionsError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

const clientPinned = pinSelf(1);
const run = await runOverloadBench(
  {
    options,
    path: process.env.PATH ?? '',
    logDir: mkdtempSync(join(tmpdir(), 'runwatch-bench-logs-')),
    log: say,
  },
  (round, variant, result, referenceCapacity) =>
    say(roundLine(round, variant, result, { options, referenceCapacity })),
);
const verdicts = overloadVerdicts(run);
const file = writeResult(
  overloadResult(run, verdicts, {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    clientPinned,
  }),
);
say(`results: ${file}`);
for (const line of verdictLines(verdicts)) say(line);
