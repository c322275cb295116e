/**
 * Alert engine benchmark (issue 18), in this process over the real stores with an injected clock.
 *
 * 1. Decisions (bench/engine/decisions.ts): 1,000 firing alerts in 50 groups under the default
 *    definitions, with inhibition and silences muting 300 of them (bench/engine/seed.ts);
 *    receives/s (a sweep re-sending a firing alert) and flushes/s (one group's flush: evaluate,
 *    mute, decide, commit) on a new SQLite file and a new PostgreSQL schema, each against the same
 *    engine over Maps (bench/engine/memory-store.ts), so the store's share shows as the ratio.
 * 2. Latency (bench/engine/latency.ts): a finding handed in-process to alert ingest, the clock
 *    stepped over group_wait, alertTick's tick, to a real local webhook receiver; p50 / p99 per
 *    store: the latency at the default timers minus their waits.
 *
 * Results: bench/results/engine.json and engine-latency.json, and docs/benchmarks.md.
 *
 *   npm run bench:engine [-- --rounds 3 --passes 4 --latency-rounds 3 --latency-samples 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FLUSH_LIMIT } from '../alerts/engine/engine.js';
import { loadEngineDefinitions } from '../alerts/engine/load-definitions.js';
import { createLogger } from '../lib/logger.js';
import { DECISION_VARIANTS, decisionRound } from './engine/decisions.js';
import { latencyRound } from './engine/latency.js';
import { EngineBenchOptionsError, parseEngineArgs } from './engine/options.js';
import {
  decisionLine,
  decisionTable,
  decisionVerdicts,
  latencyLine,
  latencyVerdicts,
  withRatios,
} from './engine/report.js';
import { SEED_ALERTS, SEED_GROUPS } from './engine/seed.js';
import { scratchPostgresUrl } from './ingest/throughput.js';
import { interleaveRounds, type Metrics, summarizeRounds, writeResult } from './lib/harness.js';
import { benchPostgres } from './lib/postgres.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let options: ReturnType<typeof parseEngineArgs>;
try {
  options = parseEngineArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof EngineBenchOptionsError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const began = performance.now();
const loadBefore = load();
const cpu = `${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 3).join(' ') ?? 'cpu'}`;
const dir = mkdtempSync(join(tmpdir(), 'runwatch-bench-engine-'));
const pg = await benchPostgres(options.postgresUrl);
const postgres = pg.unavailable === null ? pg : null;
if (postgres === null) say(`PostgreSQL variants skipped: ${pg.unavailable}`);
const definitions = loadEngineDefinitions();
// Logging at info, as deployed, into nothing: its cost counts, the bench's terminal stays clear.
const log = createLogger({ level: 'info', destination: { write() {} } });
const BASELINE = 'in-memory';

try {
  const variants = DECISION_VARIANTS.filter((v) => postgres !== null || v !== 'postgres');
  const decided = await interleaveRounds(
    options.rounds,
    Object.fromEntries(
      variants.map((v) => [
        v,
        (round: number) =>
          decisionRound(v, round, { passes: options.passes, dir, postgres, definitions, log }),
      ]),
    ),
    (round, variant, m) => say(decisionLine(round, variant, m)),
  );
  const decisionS = Math.round((performance.now() - began) / 1000);

  const stores: Record<string, (round: number) => Promise<string>> = {
    sqlite: async (round) => `sqlite:${join(dir, `latency-r${round}.db`)}`,
  };
  if (postgres !== null) stores.postgres = () => scratchPostgresUrl(postgres);
  const latencyRaw: Record<string, Metrics[]> =
    options.latencyRounds === 0
      ? {}
      : await interleaveRounds(
          options.latencyRounds,
          Object.fromEntries(
            Object.entries(stores).map(([variant, url]) => [
              variant,
              async (round: number) =>
                latencyRound(`lat-${variant}-${round}`, {
                  storeUrl: await url(round),
                  samples: options.latencySamples,
                  warmup: 10,
                  log,
                }),
            ]),
          ),
          (round, variant, m) => say(latencyLine(round, variant, m)),
        );

  const seconds = Math.round((performance.now() - began) / 1000);
  const machine = `${cpus().length} cores, shared with other work; load average (1, 5, 15 min) ${load()} at the end, ${loadBefore} at the start`;
  const raw = withRatios(decided, BASELINE);
  const summary = summarizeRounds(raw);
  const storeVariants = variants.filter((v) => v !== BASELINE);
  const verdicts = decisionVerdicts(raw, summary, {
    passes: options.passes,
    stores: storeVariants,
    flushLimit: DEFAULT_FLUSH_LIMIT,
  });
  const route = definitions.route;
  const common = {
    date: new Date().toISOString(),
    node: process.version,
    cpu,
  };
  const file = writeResult({
    bench: 'engine',
    title: 'Alert engine decisions (issue 18)',
    ...common,
    rounds: options.rounds,
    setup: {
      command: 'npm run bench:engine',
      machine,
      process: 'the bench process alone (unpinned), PostgreSQL server processes unpinned',
      definitions: `alerts/definitions/alerting.yaml (group_by alertname, target; group_wait ${route.groupWaitMs / 1000} s, group_interval ${route.groupIntervalMs / 60_000} min; 3 inhibition rules)`,
      seed: `${SEED_ALERTS} firing alerts in ${SEED_GROUPS} groups of 20 (10 InferDown critical, 40 InferLatencyHigh warning), 200 inhibited by InferDown, 100 silenced by one of 2 API silences (15 groups wholly muted)`,
      passes: `${options.passes} per round, each: all ${SEED_ALERTS} re-sent, then all ${SEED_GROUPS} groups flushed`,
      stores: `SQLite: a new file per round (WAL, synchronous=NORMAL) on the machine's disk; PostgreSQL: ${postgres === null ? 'unavailable' : 'a new schema per round on the local server (pool of 4)'}; in-memory: the same engine over Maps (bench/engine/memory-store.ts)`,
      clock: 'injected (epoch fixed); wall time measured around the engine calls only',
      logging: 'info, into a sink that drops the lines',
    },
    variants: summary,
    raw,
    verdicts,
    notes: [
      `Command: \`npm run bench:engine\` (${seconds} s here, ${decisionS} s of it the decision rounds).`,
      "A receive is `engine.receive` of one re-sent firing alert (fingerprint, route, the store transaction that applies it to the row and its group memberships). A flush is one group of `engine.flushDue` over due groups: read the group, its 20 members (with their group memberships) and the active silences, evaluate, mute, decide, commit the timer (steady state: nothing to send); the inhibition sources (the active alerts matching a rule's source matchers, evaluated and indexed) are read once per flushDue batch, and that read counts in the flush time. first receives/s are new alerts making rows and groups; first flushes/s are first notifications with their outbox rows (2 or 3 per group: the receiver's integrations).",
      "`÷ in-memory` is each round's rate over the in-memory baseline's in the same round: what the store leaves of the engine's own speed. Rounds interleave the variants.",
      'Lab notes on these figures (where the time goes, and what they mean for alertTick): the engine section of docs/benchmarks.md.',
    ],
  });
  say(`results: ${file}`);
  for (const line of decisionTable(summary, BASELINE)) say(line);
  for (const v of verdicts) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);

  if (options.latencyRounds > 0) {
    const latencySummary = summarizeRounds(latencyRaw);
    const lv = latencyVerdicts(latencyRaw, latencySummary);
    const latencyFile = writeResult({
      bench: 'engine-latency',
      title: 'Alert engine: finding to webhook (issue 18)',
      ...common,
      rounds: options.latencyRounds,
      setup: {
        command: 'npm run bench:engine',
        machine,
        path: "finding → ingestInProcess (intake: admit, claim, engine.receive, complete) → clock + group_wait → alertTick's tick (createTickRuntime: silences, flushDue, delivery worker, prune) → webhook notifier (undici) → a node:http server on 127.0.0.1, port 0",
        definitions: `alerts/definitions/alerting.yaml: InferDown is critical → the oncall receiver (log, pubsub, webhook; ALERTS_PUBSUB=off, so its pubsub delivery fails for good at once); group_wait ${route.groupWaitMs / 1000} s stepped over`,
        'samples per round': `${options.latencySamples} after 10 warm-up ones, one at a time, each a new InferDown target (a new group, a first notification)`,
        stores: 'a new SQLite file or PostgreSQL schema per round',
      },
      variants: latencySummary,
      raw: latencyRaw,
      verdicts: lv,
      notes: [
        "finding → webhook = from the in-process hand-off's call to the receiver's request handler running (its headers read): the path's work at the default timers minus their waits. The injected clock moves by the route's group_wait between the hand-off and the tick, and the tick runs at once: a deployment adds the 30 s of group_wait and up to one Scheduler period (60 s) on top.",
        'hand-off = ingestInProcess for the one finding (healthSweep with Pub/Sub off); tick → webhook = from its end to the request; whole tick includes the prune step after the delivery.',
        'The clock moves on by group_wait + 1 s per finding, so earlier groups come due (group_interval) and resolve (resolve_timeout) in later ticks, which flush and deliver them too, as in a deployment.',
        'p50 / p99 are per round (nearest rank), then min / median / max across rounds.',
      ],
    });
    say(`results: ${latencyFile}`);
    for (const v of lv) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);
  }
} finally {
  await pg.dropSchemas();
  rmSync(dir, { recursive: true, force: true });
}
