/**
 * Trend benchmark (issue 5): what the health sweep costs as the trend store grows, and whether
 * hanging targets hold a sweep up.
 *
 * 1. Rule evaluation per sweep: the sweep's own step 4 (`evaluate` from alerts/sweep/sweep.ts:
 *    every committed rule's store window queries, then the rule) for one target, against real
 *    stores (SQLite in a temporary directory; PostgreSQL when it answers, in a schema of its own
 *    that is dropped afterwards) holding a realistic series (bench/lib/trend-series.ts: one sweep
 *    a minute, 8 samples each). Three stores, evaluated at the same time `now`:
 *    - 10^3 samples: the last 125 minutes;
 *    - 10^6, same windows: the same 125 minutes plus 999,000 older samples that end before the
 *      widest rule window starts, so every window returns exactly what it returns at 10^3 and
 *      only the stored history grows (the store's scaling);
 *    - 10^6, continuous: 125,000 minutes (87 days) up to `now`, so the windows fill up (the
 *      burn-rate ticket rule reads 3 days); this grows with the rules' windows, not the store.
 *    Stores are interleaved within each round; per round the median and p95 over the iterations.
 * 2. One real `runSweep` over 50 targets (real HTTP servers in a child process on the other
 *    core: 48 answer like the service, the last 2 accept and never answer) with a real SQLite
 *    store, the committed rules, runSweep's default concurrency and the default per-target
 *    timeout: sweep duration ÷ timeout.
 * 3. Ingest: the bulk seed rate (`appendSamples` in chunks of 50,000), then the sweep's write
 *    path into the 10^6 store: per sweep of 50 targets, each target's counter state read and
 *    written, then one `appendSamples` of the sweep's 400 samples.
 *
 *   npm run bench:trends [-- --rounds 3 --iterations 60 --sweeps 5 --ingest-sweeps 100
 *                           --postgres postgres://postgres@127.0.0.1:5432/test | none]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { openStore } from '../alerts/store/open.js';
import type { CounterState, TrendStore } from '../alerts/store/store.js';
import { probeAll } from '../alerts/sweep/probe.js';
import { runSweep } from '../alerts/sweep/sweep.js';
import { type SweepTarget, TARGET_DEFAULTS } from '../alerts/sweep/targets.js';
import { evaluate } from '../alerts/trends/evaluate.js';
import { loadRules } from '../alerts/trends/load-rules.js';
import { RULE_TYPES } from '../alerts/trends/rule-types/index.js';
import type { Sample } from '../alerts/types.js';
import { createLogger } from '../lib/logger.js';
import { pinnedNode, pinSelf, type Summary, summarize, writeResult } from './lib/harness.js';
import { type BenchPostgres, benchPostgres, DEFAULT_POSTGRES_URL } from './lib/postgres.js';
import { MINUTE_MS, SAMPLES_PER_MINUTE, seriesChunks, sweepSamples } from './lib/trend-series.js';

const HOUR_MS = 60 * MINUTE_MS;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '60' },
    sweeps: { type: 'string', default: '5' },
    'ingest-sweeps': { type: 'string', default: '100' },
    postgres: { type: 'string', default: DEFAULT_POSTGRES_URL },
  },
});
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);
const SWEEPS = Number(values.sweeps);
const INGEST_SWEEPS = Number(values['ingest-sweeps']);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TARGETS_FIXTURE = fileURLToPath(new URL('./fixtures/sweep-targets.js', import.meta.url));

const SMALL = 1_000;
const LARGE = 1_000_000;
const SEED_CHUNK = 50_000;
const SWEEP_TARGETS = 50;
const HANGING = 2;
const TARGET = 'emotion';
/** Evaluation time: a fixed minute, so runs are comparable. */
const NOW_MINUTE = Math.floor(Date.UTC(2026, 10, 27, 12, 0) / MINUTE_MS);
const NOW = NOW_MINUTE * MINUTE_MS;

const pinned = pinSelf(0);
const tmp = mkdtempSync(join(tmpdir(), 'runwatch-bench-trends-'));
const rules = loadRules(join(ROOT, 'alerts', 'definitions', 'trend-rules'));
const widestMs = Math.max(...rules.map((r) => RULE_TYPES[r.type]?.window(r.params as never) ?? 0));
const target = (name: string, url = 'http://127.0.0.1:9'): SweepTarget => ({
  name,
  url,
  probes: { ...TARGET_DEFAULTS.probes },
  timeoutMs: TARGET_DEFAULTS.timeoutMs,
  iam: false,
  limits: { ...TARGET_DEFAULTS.limits },
  slo: { ...TARGET_DEFAULTS.slo },
});
const EVAL_TARGETS = [target(TARGET)];

const round1 = (n: number) => Math.round(n * 10) / 10;
const p95 = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] ?? 0;
};
const median = (xs: readonly number[]) => summarize(xs).median;
const say = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Stores

type Backend = 'sqlite' | 'postgres';

interface OpenedStore {
  readonly store: TrendStore;
  /** The window query's plan, from EXPLAIN (QUERY PLAN). */
  plan(): Promise<string>;
  /** PostgreSQL: VACUUM ANALYZE, as autovacuum does after a bulk insert. SQLite: nothing. */
  analyze(): Promise<void>;
}

/** The stores' window query over every instance (sqlite.ts, postgres.ts). */
const WINDOW_SQL =
  'SELECT instance, ts, value FROM samples WHERE target = $1 AND metric = $2 AND ts >= $3 AND ts < $4 ORDER BY ts, instance';

/** The stores' rollup query (sqlite.ts, postgres.ts). */
const ROLLUP_SQL =
  'SELECT ts, value, n FROM sample_rollups WHERE target = $1 AND metric = $2 AND ts >= $3 AND ts < $4 ORDER BY ts';

async function newStore(backend: Backend, name: string, pg: BenchPostgres): Promise<OpenedStore> {
  const windowParams = [TARGET, 'requests_delta', NOW - widestMs, NOW + 1];
  const rollupParams = [TARGET, 'requests_delta', NOW - widestMs + 1, NOW];
  if (backend === 'sqlite') {
    const path = join(tmp, `${name}.db`);
    const store = await openStore(`sqlite:${path}`, { platform: 'local' });
    return {
      store,
      async plan() {
        const db = new Database(path, { readonly: true });
        try {
          const explain = (sql: string, params: unknown[]) =>
            db
              .prepare<unknown[], { detail: string }>(
                `EXPLAIN QUERY PLAN ${sql.replace(/\$\d/g, '?')}`,
              )
              .all(...params)
              .map((r) => r.detail)
              .join('; ');
          return `window: ${explain(WINDOW_SQL, windowParams)}; rollups: ${explain(ROLLUP_SQL, rollupParams)}`;
        } finally {
          db.close();
        }
      },
      async analyze() {},
    };
  }
  const schema = pg.newSchema();
  const store = await openStore(pg.url, { platform: 'local', schema });
  return {
    store,
    async plan() {
      const explain = async (sql: string, params: unknown[]) => {
        const { rows } = await pg.query<{ 'QUERY PLAN': string }>(schema, `EXPLAIN ${sql}`, params);
        return rows.map((r) => r['QUERY PLAN'].replace(/\s+\(cost=[^)]*\)/, '').trim()).join('; ');
      };
      return `window: ${await explain(WINDOW_SQL, windowParams)}; rollups: ${await explain(ROLLUP_SQL, rollupParams)}`;
    },
    async analyze() {
      await pg.query(schema, 'VACUUM ANALYZE samples');
      await pg.query(schema, 'VACUUM ANALYZE sample_rollups');
    },
  };
}

/** Appends the sweeps of minutes first..last; returns samples/s. */
async function seed(store: TrendStore, first: number, last: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  for (const chunk of seriesChunks(TARGET, first, last, SEED_CHUNK)) {
    await store.appendSamples(chunk);
    n += chunk.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

/**
 * Rows the sweep's store queries return (raw samples from window queries, hourly buckets from
 * rollup queries), through a store that counts them.
 */
async function rowsRead(store: TrendStore): Promise<{ samples: number; buckets: number }> {
  const rows = { samples: 0, buckets: 0 };
  const counting = new Proxy(store, {
    get(t, key) {
      if (key === 'window') {
        return async (q: Parameters<TrendStore['window']>[0]) => {
          const r = await t.window(q);
          rows.samples += r.length;
          return r;
        };
      }
      if (key === 'rollups') {
        return async (q: Parameters<TrendStore['rollups']>[0]) => {
          const r = await t.rollups(q);
          rows.buckets += r.length;
          return r;
        };
      }
      const v = Reflect.get(t, key);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  await evaluate(counting, rules, EVAL_TARGETS, NOW);
  return rows;
}

/** µs per `evaluate` call, ITERATIONS of them after a warm-up. */
async function timeEvaluation(store: TrendStore): Promise<number[]> {
  for (let i = 0; i < 5; i++) await evaluate(store, rules, EVAL_TARGETS, NOW);
  const out: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await evaluate(store, rules, EVAL_TARGETS, NOW);
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1 and 3: evaluation and ingest per backend

type Scenario = 'small' | 'same' | 'continuous';
const SCENARIO_LABEL: Record<Scenario, string> = {
  small: '10^3 samples',
  same: '10^6, same windows',
  continuous: '10^6, continuous',
};

interface BackendResult {
  readonly raw: Record<string, number>[];
  readonly summary: Record<string, Summary>;
  readonly plans: Record<Scenario, string>;
  /** Rows read per sweep: samples plus buckets. */
  readonly reads: Record<Scenario, number>;
  readonly buckets: Record<Scenario, number>;
}

async function benchBackend(backend: Backend, pg: BenchPostgres): Promise<BackendResult> {
  const smallMinutes = SMALL / SAMPLES_PER_MINUTE;
  const largeMinutes = LARGE / SAMPLES_PER_MINUTE;
  const stores = {} as Record<Scenario, OpenedStore>;

  stores.small = await newStore(backend, 'small', pg);
  await seed(stores.small.store, NOW_MINUTE - smallMinutes + 1, NOW_MINUTE);

  // The same recent minutes, and older history that ends before the hour in which the widest
  // window starts (so no hourly bucket a rule reads holds any of it).
  stores.same = await newStore(backend, 'same-windows', pg);
  const oldLast = (Math.floor((NOW - widestMs) / HOUR_MS) * HOUR_MS) / MINUTE_MS - 1;
  await seed(stores.same.store, oldLast - (largeMinutes - smallMinutes) + 1, oldLast);
  await seed(stores.same.store, NOW_MINUTE - smallMinutes + 1, NOW_MINUTE);

  stores.continuous = await newStore(backend, 'continuous', pg);
  const seedRate = await seed(stores.continuous.store, NOW_MINUTE - largeMinutes + 1, NOW_MINUTE);
  say(`${backend}: seeded 3 stores; 10^6 samples at ${Math.round(seedRate)} samples/s (bulk)`);

  const scenarios: Scenario[] = ['small', 'same', 'continuous'];
  const plans = {} as Record<Scenario, string>;
  const reads = {} as Record<Scenario, number>;
  const buckets = {} as Record<Scenario, number>;
  for (const s of scenarios) {
    await stores[s].analyze();
    plans[s] = await stores[s].plan();
    const rows = await rowsRead(stores[s].store);
    reads[s] = rows.samples + rows.buckets;
    buckets[s] = rows.buckets;
  }
  if (reads.same !== reads.small) {
    throw new Error(`same-windows store read ${reads.same} rows, the 10^3 store ${reads.small}`);
  }

  const raw: Record<string, number>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const m: Record<string, number> = {};
    const order = r % 2 === 0 ? scenarios : [...scenarios].reverse();
    const times = {} as Record<Scenario, number[]>;
    for (const s of order) times[s] = await timeEvaluation(stores[s].store);
    for (const s of scenarios) {
      m[`eval ${SCENARIO_LABEL[s]}: median µs/sweep`] = round1(median(times[s]));
      m[`eval ${SCENARIO_LABEL[s]}: p95 µs/sweep`] = round1(p95(times[s]));
    }
    for (const s of scenarios) {
      m[`eval ${SCENARIO_LABEL[s]}: µs per row read`] = median(times[s]) / reads[s];
    }
    m['growth 10^6 / 10^3, same windows ×'] = median(times.same) / median(times.small);
    m['growth 10^6 / 10^3, continuous ×'] = median(times.continuous) / median(times.small);
    for (const s of scenarios)
      m[`rows read/sweep (samples + buckets), ${SCENARIO_LABEL[s]}`] = reads[s];
    for (const s of scenarios) m[`of which hourly buckets, ${SCENARIO_LABEL[s]}`] = buckets[s];
    m['bulk seed samples/s (appendSamples × 50,000)'] = Math.round(seedRate);
    Object.assign(m, await ingest(stores.continuous.store, r));
    raw.push(m);
    say(
      `${backend} round ${r + 1}: eval µs median ${SCENARIO_LABEL.small} ${m[`eval ${SCENARIO_LABEL.small}: median µs/sweep`]}, ` +
        `${SCENARIO_LABEL.same} ${m[`eval ${SCENARIO_LABEL.same}: median µs/sweep`]}, ` +
        `${SCENARIO_LABEL.continuous} ${m[`eval ${SCENARIO_LABEL.continuous}: median µs/sweep`]}; ` +
        `ingest ${m['ingest samples/s (appendSamples, 400 per sweep)']} samples/s`,
    );
  }
  for (const s of scenarios) await stores[s].store.close();
  const keys = Object.keys(raw[0] ?? {});
  const summary = Object.fromEntries(keys.map((k) => [k, summarize(raw.map((m) => m[k] ?? 0))]));
  return { raw, summary, plans, reads, buckets };
}

/**
 * The sweep's writes for INGEST_SWEEPS sweeps of 50 targets, at minutes after `now` (round `r`
 * continues where the last one stopped), into the 10^6 store.
 */
async function ingest(store: TrendStore, r: number): Promise<Record<string, number>> {
  const names = Array.from({ length: SWEEP_TARGETS }, (_, i) => `ingest-${i}`);
  const sweeps = Array.from({ length: INGEST_SWEEPS }, (_, k) => {
    const minute = NOW_MINUTE + 1 + r * INGEST_SWEEPS + k;
    const samples: Sample[] = names.flatMap((n) => sweepSamples(n, minute));
    const states: CounterState[] = names.map((n, i) => ({
      target: n,
      instance: `${n}-instance`,
      ts: minute * MINUTE_MS,
      requests: 1000 * (minute - NOW_MINUTE) + i,
      errors: minute - NOW_MINUTE,
      buckets: [
        ['0.01', 500 * (minute - NOW_MINUTE)],
        ['+Inf', 1000 * (minute - NOW_MINUTE)],
      ],
    }));
    return { samples, states };
  });
  let appendMs = 0;
  const t0 = performance.now();
  for (const sweep of sweeps) {
    for (const s of sweep.states) {
      await store.getCounterState(s.target, s.instance);
      await store.setCounterState(s);
    }
    const a0 = performance.now();
    await store.appendSamples(sweep.samples);
    appendMs += performance.now() - a0;
  }
  const totalMs = performance.now() - t0;
  const perSweep = sweeps[0]?.samples.length ?? 0;
  return {
    'ingest samples/s (appendSamples, 400 per sweep)': Math.round(
      (perSweep * INGEST_SWEEPS) / (appendMs / 1000),
    ),
    'ingest ms/sweep (appendSamples of 400)': appendMs / INGEST_SWEEPS,
    'ingest ms/sweep (+ 50 counter states read and written)': totalMs / INGEST_SWEEPS,
  };
}

// ---------------------------------------------------------------------------------------------
// 2: one sweep of 50 targets, 2 of them hanging

interface SweepBench {
  readonly raw: Record<string, number>[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly warmUpMs: number;
}

async function startTargets(): Promise<{ child: ChildProcess; ok: number[]; hang: number[] }> {
  const launch = pinnedNode(1, [TARGETS_FIXTURE, String(SWEEP_TARGETS - HANGING), String(HANGING)]);
  const child = spawn(launch.cmd, launch.args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ ok: number[]; hang: number[] }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { ok: number[]; hang: number[] }));
    child.once('exit', (code) => reject(new Error(`sweep targets exited with ${code}`)));
  });
  return { child, ...ports };
}

async function benchSweep(): Promise<SweepBench> {
  const { child, ok, hang } = await startTargets();
  const store = await openStore(`sqlite:${join(tmp, 'sweep.db')}`, { platform: 'local' });
  const log = createLogger({
    level: 'info',
    destination: pino.destination({ dest: join(tmp, 'sweep.log'), sync: true }),
  });
  const targets = [
    ...ok.map((port, i) => target(`svc-${i}`, `http://127.0.0.1:${port}`)),
    // Last in the list: the worst case for bounded concurrency (they start after the others).
    ...hang.map((port, i) => target(`hanging-${i}`, `http://127.0.0.1:${port}`)),
  ];
  let concurrency = 0;
  let probeMs = 0;
  const deps = {
    store,
    targets,
    rules,
    log,
    // runSweep's own probing, timed; concurrency is what runSweep passes by default.
    probe: async (ts: readonly SweepTarget[], c: number) => {
      concurrency = c;
      const t0 = performance.now();
      const results = await probeAll(ts, c);
      probeMs = performance.now() - t0;
      return results;
    },
  };
  const sweepAt = async (i: number) => {
    const t0 = performance.now();
    const summary = await runSweep(deps, { sweepId: `bench@${i}`, ts: NOW + i * MINUTE_MS });
    const ms = performance.now() - t0;
    const down = summary.targets.filter((t) => !t.up).map((t) => t.name);
    if (down.length !== HANGING || !down.every((n) => n.startsWith('hanging-'))) {
      throw new Error(`sweep ${i}: expected the ${HANGING} hanging targets down, got ${down}`);
    }
    return ms;
  };
  try {
    const warmUpMs = await sweepAt(0);
    const raw: Record<string, number>[] = [];
    for (let i = 1; i <= SWEEPS; i++) {
      const ms = await sweepAt(i);
      raw.push({
        'sweep 50 targets, 2 hanging: ms': round1(ms),
        'sweep ÷ per-target timeout ×': ms / TARGET_DEFAULTS.timeoutMs,
        'sweep probe phase ms': round1(probeMs),
        'sweep after probing (store, rules) ms': round1(ms - probeMs),
      });
      say(`sweep ${i}: ${Math.round(ms)} ms (probing ${Math.round(probeMs)} ms)`);
    }
    return { raw, concurrency, timeoutMs: TARGET_DEFAULTS.timeoutMs, warmUpMs };
  } finally {
    await store.close();
    child.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------

const pg = await benchPostgres(values.postgres);
const backends: Backend[] = ['sqlite'];
if (values.postgres === 'none') say('PostgreSQL: skipped (--postgres none)');
else if (pg.unavailable !== null) say(`PostgreSQL: skipped: ${pg.unavailable}`);
else backends.push('postgres');

const t0 = performance.now();
const results = {} as Record<Backend, BackendResult>;
let sweep: SweepBench;
try {
  sweep = await benchSweep();
  for (const b of backends) results[b] = await benchBackend(b, pg);
} finally {
  await pg.dropSchemas();
  rmSync(tmp, { recursive: true, force: true });
}
const benchSeconds = Math.round((performance.now() - t0) / 1000);

const sweepSummary = Object.fromEntries(
  Object.keys(sweep.raw[0] ?? {}).map((k) => [k, summarize(sweep.raw.map((m) => m[k] ?? 0))]),
);
const variants: Record<string, Record<string, Summary>> = {};
const raw: Record<string, Record<string, number>[]> = {};
for (const b of backends) {
  const r = results[b];
  variants[b] = b === 'sqlite' ? { ...r.summary, ...sweepSummary } : r.summary;
  raw[b] = r.raw;
}
raw['sqlite-sweep'] = sweep.raw;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const verdicts: { target: string; met: boolean; detail: string }[] = [];
for (const b of backends) {
  const s = results[b].summary;
  const name = b === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const get = (k: string) => s[k]?.median ?? Number.NaN;
  for (const [scenario, key] of [
    ['same', 'growth 10^6 / 10^3, same windows ×'],
    ['continuous', 'growth 10^6 / 10^3, continuous ×'],
  ] as const) {
    const growth = get(key);
    const label = SCENARIO_LABEL[scenario];
    verdicts.push({
      target: `${name}: rule evaluation per sweep at 10^6 ≤ 2× at 10^3 stored samples per target (${scenario === 'same' ? 'same windows: the store alone' : 'continuous series: windows fill'})`,
      met: growth <= 2,
      detail: `${fmt(growth, 2)}× (per row read ${fmt(get(`eval ${SCENARIO_LABEL.small}: µs per row read`), 2)} → ${fmt(get(`eval ${label}: µs per row read`), 2)} µs; median ${fmt(get(`eval ${SCENARIO_LABEL.small}: median µs/sweep`), 0)} µs → ${fmt(get(`eval ${label}: median µs/sweep`), 0)} µs; p95 ${fmt(get(`eval ${SCENARIO_LABEL.small}: p95 µs/sweep`), 0)} → ${fmt(get(`eval ${label}: p95 µs/sweep`), 0)} µs; rows read per sweep ${results[b].reads.small} → ${results[b].reads[scenario]}, of which hourly buckets ${results[b].buckets.small} → ${results[b].buckets[scenario]})`,
    });
  }
}
{
  const r = sweepSummary['sweep ÷ per-target timeout ×'];
  verdicts.push({
    target: `sweep of ${SWEEP_TARGETS} targets with ${HANGING} hanging ≤ 1.2× the per-target timeout`,
    met: (r?.median ?? Number.POSITIVE_INFINITY) <= 1.2,
    detail: `median ${fmt(r?.median ?? Number.NaN, 2)}×, worst ${fmt(r?.max ?? Number.NaN, 2)}× (median ${fmt(sweepSummary['sweep 50 targets, 2 hanging: ms']?.median ?? Number.NaN, 0)} ms; timeout ${sweep.timeoutMs} ms; concurrency ${sweep.concurrency})`,
  });
}

const notes = [
  `Command: \`npm run bench:trends\` (${benchSeconds} s here). Machine: ${cpus().length} cores, shared with other jobs while this ran, so absolute figures are noisy; the ratios compare stores measured in interleaved rounds of one run.`,
  `Rule evaluation is the sweep's step 4 exactly (\`evaluate\` from alerts/sweep/sweep.ts): the ${rules.length} committed rules (alerts/definitions/trend-rules/*.yaml), for one target: each rule's reads are planned (alerts/trends/read-plan.ts; widest window ${Math.round(widestMs / 60_000)} min, the 3-day burn-rate ticket pair plus 15 min), each metric's ranges merged across rules and read once; the burn-rate rules read raw deltas only for the hours where an exact window's edge can fall and hourly rollups (store migration 4) between. The series is one sweep a minute, 8 samples per sweep (bench/lib/trend-series.ts): 10^3 samples = 125 minutes, 10^6 = 125,000 minutes (87 days).`,
  `10^6, same windows: the 10^3 store's 125 minutes plus 999,000 older samples ending before the hour in which the widest window starts, so the sweep reads the same ${results.sqlite.reads.small} rows as at 10^3: only the stored history grows. 10^6, continuous: 87 days up to the evaluation time, so the windows fill up (${results.sqlite.reads.continuous} rows per sweep, ${results.sqlite.buckets.continuous} of them hourly buckets; ${fmt(results.sqlite.reads.continuous / results.sqlite.reads.small, 1)}× more); that growth is the rules' windows, not the store.`,
  ...backends.map(
    (b) =>
      `${b === 'sqlite' ? 'SQLite' : 'PostgreSQL'} query plans (10^6 continuous): ${results[b].plans.continuous}.`,
  ),
  'Ingest includes the rollup triggers of store migration 4 (SQLite: one upsert per request or error delta; PostgreSQL: one grouped upsert per statement).',
  ...(backends.includes('postgres')
    ? [
        'PostgreSQL: VACUUM ANALYZE after seeding, as autovacuum does after a bulk insert (statistics, and the visibility map an index-only scan needs); a pg Pool of 4 connections (the store default), server on the same machine.',
      ]
    : [`PostgreSQL: not measured (${pg.unavailable ?? 'skipped with --postgres none'}).`]),
  `Sweep: one real runSweep per round against ${SWEEP_TARGETS} real HTTP servers in a child process on core 1 (${SWEEP_TARGETS - HANGING} answer /health/live, /health and /metrics as the service does, prom-client text with per-instance counters; the last ${HANGING} in the list accept and never answer: the worst place for them under bounded concurrency), a fresh SQLite store, the committed rules, runSweep's default concurrency (${sweep.concurrency}) and the default per-target timeout (${sweep.timeoutMs} ms). After one warm-up sweep (${Math.round(sweep.warmUpMs)} ms: first connections, and the first scrape only sets the counter baselines). A sweep lasts about the time to take the 48 answering targets (about 100 ms on a quiet machine; 8 slots, CPU-bound, so more slots do not help) plus the timeout of the hanging ones that start last; each request's deadline covers reading its body (test: 'probe: a response whose body never ends fails at the request deadline'). Not measured here: a target whose liveness answers just within its timeout and whose /health or /metrics then hangs takes up to 2× its timeout, each request having its own deadline.`,
  `Ingest: bulk = the seed (appendSamples in chunks of ${SEED_CHUNK.toLocaleString('en')} samples, one transaction or statement each, into an empty store). Sweep write path = into the 10^6 store, per sweep of ${SWEEP_TARGETS} targets: getCounterState and setCounterState per target, then one appendSamples of the sweep's ${SWEEP_TARGETS * SAMPLES_PER_MINUTE} samples (what runSweep writes), ${INGEST_SWEEPS} sweeps per round.`,
  'Lab notes on these figures (the indexes and rollups before and after, what ingest costs and why): the trends section of docs/benchmarks.md.',
];

writeResult({
  bench: 'trends',
  title: 'Trends (issue 5)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 3).join(' ') ?? 'unknown'}`,
  rounds: ROUNDS,
  setup: {
    command: 'npm run bench:trends',
    machine: `${cpus().length} cores, shared`,
    'evaluation iterations per store and round': ITERATIONS,
    'sweep rounds': SWEEPS,
    'ingest sweeps per round': INGEST_SWEEPS,
    'sweep concurrency': sweep.concurrency,
    'per-target timeout ms': sweep.timeoutMs,
    'bench core': pinned ? 0 : 'unpinned',
    'targets core': 1,
    postgres: backends.includes('postgres') ? 'yes' : 'no',
  },
  variants,
  raw,
  verdicts,
  notes,
});

// The table on stdout.
const metricNames = Object.keys(variants.sqlite ?? {});
say('');
say(`| metric | ${backends.join(' (min / median / max) | ')} (min / median / max) |`);
say(`|---|${backends.map(() => '---').join('|')}|`);
for (const m of metricNames) {
  const cells = backends.map((b) => {
    const x = variants[b]?.[m];
    return x ? `${fmt(x.min, 2)} / ${fmt(x.median, 2)} / ${fmt(x.max, 2)}` : '–';
  });
  say(`| ${m} | ${cells.join(' | ')} |`);
}
say('');
for (const v of verdicts) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);
for (const n of notes) say(`- ${n}`);
