/**
 * Ingest benchmark (issue 17): alertIngest on the real Functions Framework, over HTTP and through
 * the real Pub/Sub emulator.
 *
 * 1. Throughput (bench/ingest/throughput.ts), interleaved rounds of five variants, each a fresh
 *    Functions Framework process on core 0 loaded by autocannon on core 1 with Eventarc's
 *    binary-mode CloudEvents, every request a new message of one of the three sources
 *    (bench/ingest/messages.ts): a hello-world CloudEvent function, the store floor (one durable
 *    write per event) on each store, alertIngest on a new SQLite file, alertIngest on a new
 *    PostgreSQL schema (ALERTS_PUBSUB=off). CloudEvents/s counts 2xx only. Target: each
 *    alertIngest ≥ 0.6× the hello-world function's CloudEvents/s; the floors say how much of
 *    the gap any durable intake pays.
 * 2. Latency (bench/ingest/latency.ts): publish with the real client → emulator push → the
 *    Eventarc relay → alertIngest (ALERTS_PUBSUB=on), p50 / p99 from the publish call to the
 *    relay's forward completing (stored, handed off, hand-off marked done), per store.
 *
 * Results: bench/results/ingest.json and ingest-latency.json, and docs/benchmarks.md.
 *
 *   npm run bench:ingest [-- --rounds 5 --duration 4 --connections 1,16 --latency-rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEmulator, startPubSubEmulator } from '../stack/pubsub-emulator.js';
import { latencyRound } from './ingest/latency.js';
import { IngestOptionsError, parseIngestArgs } from './ingest/options.js';
import {
  floorLines,
  latencyLine,
  latencyVerdicts,
  throughputLine,
  throughputVerdicts,
} from './ingest/report.js';
import { scratchPostgresUrl, THROUGHPUT_VARIANTS, throughputRound } from './ingest/throughput.js';
import {
  interleaveRounds,
  type Metrics,
  pinSelf,
  summarizeRounds,
  writeResult,
} from './lib/harness.js';
import { benchPostgres } from './lib/postgres.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let options: ReturnType<typeof parseIngestArgs>;
try {
  options = parseIngestArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof IngestOptionsError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

const began = performance.now();
const loadBefore = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const clientPinned = pinSelf(1);
const cpu = `${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 3).join(' ') ?? 'cpu'}`;
const dir = mkdtempSync(join(tmpdir(), 'runwatch-bench-ingest-'));
const pg = await benchPostgres(options.postgresUrl);
const postgres = pg.unavailable === null ? pg : null;
if (postgres === null) say(`PostgreSQL variants skipped: ${pg.unavailable}`);
const variants = THROUGHPUT_VARIANTS.filter((v) => postgres !== null || !v.endsWith('postgres'));
const top = Math.max(...options.connections);

try {
  const raw = await interleaveRounds(
    options.rounds,
    Object.fromEntries(
      variants.map((v) => [
        v,
        (round: number) =>
          throughputRound(v, round, {
            connections: options.connections,
            seconds: options.durationS,
            warmupSeconds: options.warmupS,
            logLevel: options.logLevel,
            dir,
            postgres,
          }),
      ]),
    ),
    (round, variant, m) => say(throughputLine(round, variant, m, options.connections)),
  );
  const throughputS = Math.round((performance.now() - began) / 1000);

  // Latency through the emulator, when there is one.
  const found = findEmulator(process.env);
  let latency: { raw: Record<string, Metrics[]>; startMs: number } | null = null;
  if (found.path === null) {
    say(`latency phase skipped: ${found.reason}`);
  } else if (options.latencyRounds > 0) {
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    const emulator = await startPubSubEmulator({
      bin: found.path,
      env: process.env,
      logFile: join(dir, 'emulator.log'),
    });
    try {
      // The JVM (all its threads) shares the load generator's core, away from the function.
      execFileSync('taskset', ['-a', '-p', '-c', '1', String(emulator.pid)], { stdio: 'ignore' });
      const stores: Record<string, (round: number) => Promise<string>> = {
        'alertIngest-sqlite': async (round) => `sqlite:${join(dir, `latency-r${round}.db`)}`,
      };
      if (postgres !== null) {
        stores['alertIngest-postgres'] = () => scratchPostgresUrl(postgres);
      }
      const latencyRaw = await interleaveRounds(
        options.latencyRounds,
        Object.fromEntries(
          Object.entries(stores).map(([variant, storeUrl]) => [
            variant,
            async (round: number) =>
              latencyRound(`${variant.replace(/^alertIngest-/, '')}-${round}`, {
                emulator,
                storeUrl: await storeUrl(round),
                messages: options.latencyMessages,
                warmup: 10,
                rate: options.latencyRate,
              }),
          ]),
        ),
        (round, variant, m) => say(latencyLine(round, variant, m)),
      );
      latency = { raw: latencyRaw, startMs: emulator.startMs };
    } finally {
      await emulator.stop();
    }
  }

  const seconds = Math.round((performance.now() - began) / 1000);
  const loadAfter = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const machine = `${cpus().length} cores, shared with other work; load average (1, 5, 15 min) ${loadBefore} at the start, ${loadAfter} at the end`;
  const summary = summarizeRounds(raw);
  const verdicts = throughputVerdicts(summary, raw, {
    connections: options.connections,
    baseline: 'hello-world',
    variants: variants.filter((v) => v.startsWith('alertIngest-')),
  });
  const floors = floorLines(summary, options.connections);
  const file = writeResult({
    bench: 'ingest',
    title: 'Ingest throughput (issue 17)',
    date: new Date().toISOString(),
    node: process.version,
    cpu,
    rounds: options.rounds,
    setup: {
      command: 'npm run bench:ingest',
      machine,
      'duration per window': `${options.durationS} s, after a ${options.warmupS} s warm-up at c${top} on each fresh process`,
      concurrency: options.connections.join(', '),
      requests:
        'POST / as Eventarc binary-mode CloudEvents (ce-* headers, body {message, subscription}, both spellings), each a new message: runwatch alert events, sink LogEntries and Monitoring incidents in turn',
      'function env': `NODE_ENV=production, ALERTS_PUBSUB=off, LOG_LEVEL=${options.logLevel}`,
      stores: `SQLite: a new file per round (WAL, synchronous=NORMAL) on the machine's ext4 disk; PostgreSQL: ${postgres === null ? 'unavailable' : 'a new schema per round on the local PostgreSQL server (pool of 4), its processes unpinned'}`,
      'server core': 0,
      'client core': clientPinned ? 1 : 'unpinned',
      tool: 'autocannon 8.0.0, Functions Framework 5.0.5',
    },
    variants: summary,
    raw,
    verdicts,
    notes: [
      `Command: \`npm run bench:ingest\` (${seconds} s here, ${throughputS} s of it the throughput rounds).`,
      "Every variant is the Functions Framework's own entry (`main.js --signature-type=cloudevent`) in a fresh process per round and variant, with the same requests: hello-world is bench/fixtures/hello-cloudevent.ts, a function that returns; the floors are bench/fixtures/durable-cloudevent.ts, one deduplicated insert of the event per request and nothing else; alertIngest is build/functions/index.js, every request a new message that is decoded, normalised, admitted in the store (dedupe) with its hand-off claimed, received by the alert engine (its state, group and members) and marked done.",
      "CloudEvents/s counts 2xx answers only; non-2xx and connection errors are counted apart. server CPU µs/CloudEvent is the function process's user + system CPU time over the window (/proc) per 2xx: it does not count time spent waiting (fsync, PostgreSQL) and moves less than throughput when the machine is busy.",
      "Ratios are of medians of interleaved rounds within this run; the per-round range pairs each round's variants.",
      ...floors.map((line) => `Store floor, ${line}.`),
      'Lab notes on these figures (where the time goes, and the options): the ingest section of docs/benchmarks.md.',
    ],
  });
  say(`results: ${file}`);
  for (const line of floors) say(`floor  ${line}`);
  for (const v of verdicts) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);

  if (latency !== null) {
    const lv = latencyVerdicts(latency.raw);
    const latencyFile = writeResult({
      bench: 'ingest-latency',
      title: 'Ingest latency through the emulator (issue 17)',
      date: new Date().toISOString(),
      node: process.version,
      cpu,
      rounds: options.latencyRounds,
      setup: {
        command: 'npm run bench:ingest',
        machine,
        path: 'real client publish → Pub/Sub emulator push (alert-ingest-push, by ensurePubSub) → Eventarc relay → alertIngest',
        'messages per round': `${options.latencyMessages} after 10 warm-up ones, published one at a time at ${options.latencyRate}/s (open loop), the three sources in turn`,
        'function env':
          'NODE_ENV=production, ALERTS_PUBSUB=on, PUBSUB_EMULATOR_HOST, LOG_LEVEL=info',
        'function core': 0,
        'bench core (publisher, relay, emulator JVM)': 1,
        emulator: `cloud-pubsub-emulator (ready in ${latency.startMs} ms)`,
      },
      variants: summarizeRounds(latency.raw),
      raw: latency.raw,
      verdicts: lv,
      notes: [
        "handled = from just before the client's publishMessage to the relay's relay.forwarded line: alertIngest has answered the relay 2xx, so the message is stored, its alert handed off and the hand-off marked done, and the relay is about to ack the push. hand-off line = to alertIngest's alert.notification line read from its stdout (matched by dedupe key), the hand-off itself. publish call = publishMessage until the emulator confirmed the message id.",
        'Each round: a fresh emulator project, topology and store, and a fresh alertIngest process; p50 / p99 are per round (nearest rank), then min / median / max across rounds.',
      ],
    });
    say(`results: ${latencyFile}`);
    for (const v of lv) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);
  }
} finally {
  await pg.dropSchemas();
  rmSync(dir, { recursive: true, force: true });
}
