/**
 * The ingest bench's throughput phase: one Functions Framework process per variant and round
 * (core 0), loaded over HTTP by autocannon in this process (core 1) with binary-mode CloudEvents,
 * each request a new message (messages.ts; `setupRequest` builds the next one as the connection
 * sends it). The variants get the same requests:
 *
 * - `hello-world`: a CloudEvent function that returns (bench/fixtures/hello-cloudevent.ts);
 * - `alertIngest-sqlite`: the real alertIngest (build/functions/index.js) on a new SQLite file;
 * - `alertIngest-postgres`: the same on a new PostgreSQL schema.
 *
 * Pub/Sub is off (ALERTS_PUBSUB=off): the path under test is HTTP → decode → intake → store →
 * hand-off, with no emulator in it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { FUNCTIONS_SOURCE } from '../../stack/children.js';
import type { Metrics } from '../lib/harness.js';
import type { BenchPostgres } from '../lib/postgres.js';
import { freePort } from '../lib/server-process.js';
import { spawnFunction, stopFunction, waitForListening } from './function-process.js';
import { benchCloudEvent } from './messages.js';

export const HELLO_SOURCE = fileURLToPath(
  new URL('../fixtures/hello-cloudevent.js', import.meta.url),
);

export const DURABLE_SOURCE = fileURLToPath(
  new URL('../fixtures/durable-cloudevent.js', import.meta.url),
);

/**
 * hello-world is the peer the target is set against; the floors are one durable write per event
 * on each store (bench/fixtures/durable-cloudevent.ts), what no exactly-once intake avoids.
 */
export const THROUGHPUT_VARIANTS = [
  'hello-world',
  'floor-sqlite',
  'floor-postgres',
  'alertIngest-sqlite',
  'alertIngest-postgres',
] as const;
export type ThroughputVariant = (typeof THROUGHPUT_VARIANTS)[number];

export interface ThroughputOptions {
  readonly connections: readonly number[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly logLevel: string;
  /** Per-run files: SQLite databases and the functions' stdout. */
  readonly dir: string;
  /** Null: PostgreSQL unavailable, the variant is not run. */
  readonly postgres: BenchPostgres | null;
}

/** One autocannon window of new CloudEvents of run `run`. */
export interface LoadWindow {
  readonly perSecond: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

export async function loadWindow(
  url: string,
  connections: number,
  seconds: number,
  run: string,
): Promise<LoadWindow> {
  let next = 0;
  const t0 = Date.now();
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/',
        setupRequest: (req) => {
          const event = benchCloudEvent(run, next++, t0);
          return { ...req, headers: { ...event.headers }, body: event.body };
        },
      },
    ],
  });
  return {
    perSecond: Math.round(r['2xx'] / r.duration),
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}

/** utime + stime of `pid` in µs (Linux /proc; USER_HZ is 100), or NaN elsewhere. */
export function processCpuMicros(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/**
 * STORE_URL of a new, empty PostgreSQL schema: the function's store names no schema of its own,
 * so it gets this one through search_path.
 */
export async function scratchPostgresUrl(pg: BenchPostgres): Promise<string> {
  const schema = pg.newSchema();
  await pg.query(schema, `CREATE SCHEMA ${schema}`);
  const url = new URL(pg.url);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return String(url);
}

function baseEnv(logLevel: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ALERTS_PUBSUB: 'off',
    LOG_LEVEL: logLevel,
    LOG_PRETTY: 'false',
  };
}

async function functionEnv(
  variant: ThroughputVariant,
  round: number,
  options: ThroughputOptions,
): Promise<{ source: string; target: string; env: Record<string, string> }> {
  const env = baseEnv(options.logLevel);
  if (variant === 'hello-world') return { source: HELLO_SOURCE, target: 'helloCloudEvent', env };
  if (variant === 'floor-sqlite') {
    const db = join(options.dir, `floor-r${round}.db`);
    return {
      source: DURABLE_SOURCE,
      target: 'durableCloudEvent',
      env: { ...env, STORE_URL: `sqlite:${db}` },
    };
  }
  if (variant === 'floor-postgres') {
    if (options.postgres === null) throw new Error('PostgreSQL is unavailable');
    const url = await scratchPostgresUrl(options.postgres);
    return { source: DURABLE_SOURCE, target: 'durableCloudEvent', env: { ...env, STORE_URL: url } };
  }
  if (variant === 'alertIngest-sqlite') {
    const db = join(options.dir, `ingest-r${round}.db`);
    return {
      source: FUNCTIONS_SOURCE,
      target: 'alertIngest',
      env: { ...env, STORE_URL: `sqlite:${db}` },
    };
  }
  if (options.postgres === null) throw new Error('PostgreSQL is unavailable');
  const url = await scratchPostgresUrl(options.postgres);
  return { source: FUNCTIONS_SOURCE, target: 'alertIngest', env: { ...env, STORE_URL: url } };
}

/** One variant's round: a fresh process and store, a warm-up, then a window per concurrency. */
export async function throughputRound(
  variant: ThroughputVariant,
  round: number,
  options: ThroughputOptions,
): Promise<Metrics> {
  mkdirSync(options.dir, { recursive: true });
  const { source, target, env } = await functionEnv(variant, round, options);
  const fn = spawnFunction({
    source,
    target,
    env,
    port: await freePort(),
    stdout: join(options.dir, `${variant}-r${round}.log`),
  });
  const m: Metrics = {};
  try {
    await waitForListening(fn);
    const tag = `${variant.replace(/^alertIngest-/, '')}-r${round}`;
    const top = Math.max(...options.connections);
    // The first request opens and migrates the store; the warm-up also lets V8 optimise.
    const warm = await loadWindow(fn.url, top, options.warmupSeconds, `${tag}-warm`);
    if (warm.ok === 0) throw new Error(`${variant}: no 2xx in the warm-up (see ${options.dir})`);
    for (const c of options.connections) {
      const cpu0 = processCpuMicros(fn.child.pid);
      const w = await loadWindow(fn.url, c, options.seconds, `${tag}-c${c}`);
      const cpu = processCpuMicros(fn.child.pid) - cpu0;
      m[`c${c} CloudEvents/s`] = w.perSecond;
      m[`c${c} server CPU µs/CloudEvent`] = w.ok > 0 ? Math.round(cpu / w.ok) : 0;
      m[`c${c} p50 ms`] = w.p50;
      m[`c${c} p99 ms`] = w.p99;
      m[`c${c} non-2xx`] = w.non2xx;
      m[`c${c} errors`] = w.errors;
    }
  } finally {
    await stopFunction(fn);
  }
  return m;
}
