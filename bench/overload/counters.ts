/**
 * What the overload bench records besides the load's own replies, for the diagnosis: CPU of the
 * server and of this process, loopback TCP counters, the server's own counts, and the liveness
 * prober's report. Each reading is taken before and after a pass; the pass keeps the deltas.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LiveProbes, ShedReason } from './result.js';
import { SHED_REASONS } from './result.js';
import { quantile } from './stats.js';
import { ADMIN_KEY } from './variants.js';

const PROBER = fileURLToPath(new URL('../lib/live-prober.js', import.meta.url));

/** CPU seconds (user + system, all threads) of a process so far, from /proc; 0 if unreadable. */
export function procCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are 11 and 12 after the command; clock ticks of 1/100 s.
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

export interface TcpCounters {
  readonly accepts: number;
  readonly listenDrops: number;
}

/** Loopback TCP counters of this network namespace: accepted connections and listen-queue drops. */
export function tcpCounters(): TcpCounters {
  const pick = (file: string, prefix: string, names: readonly string[]): number[] => {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(prefix));
    const keys = lines[0]?.split(' ') ?? [];
    const vals = lines[1]?.split(' ') ?? [];
    return names.map((n) => Number(vals[keys.indexOf(n)] ?? 0));
  };
  try {
    const [accepts = 0] = pick('/proc/net/snmp', 'Tcp:', ['PassiveOpens']);
    const [overflows = 0, drops = 0] = pick('/proc/net/netstat', 'TcpExt:', [
      'ListenOverflows',
      'ListenDrops',
    ]);
    return { accepts, listenDrops: Math.max(overflows, drops) };
  } catch {
    return { accepts: 0, listenDrops: 0 };
  }
}

export interface ServerCounts {
  readonly shed: Readonly<Record<ShedReason, number>>;
  /** Batched model runs so far. */
  readonly runs: number;
  readonly textsScored: number;
}

/** The server's own counts: requests_shed_total by reason (/metrics) and batching (/model_status). */
export async function serverCounts(port: number): Promise<ServerCounts> {
  const headers = { 'x-api-key': ADMIN_KEY };
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
  const found: Record<string, number> = {};
  for (const m of text.matchAll(/^requests_shed_total\{[^}]*reason="(\w+)"[^}]*\} (\S+)$/gm)) {
    found[m[1] ?? ''] = Number(m[2]);
  }
  const status = (await (
    await fetch(`http://127.0.0.1:${port}/model_status`, { headers })
  ).json()) as { batching?: { runs?: number; texts_scored?: number } };
  return {
    shed: Object.fromEntries(SHED_REASONS.map((r) => [r, found[r] ?? 0])) as Record<
      ShedReason,
      number
    >,
    runs: status.batching?.runs ?? 0,
    textsScored: status.batching?.texts_scored ?? 0,
  };
}

/** The prober's IPC reply (bench/lib/live-prober.ts). */
export interface ProbeReport {
  readonly latenciesMs: readonly number[];
  readonly failures: { readonly timeout: number; readonly status: number; readonly error: number };
  readonly latenessMs: readonly number[];
}

/** The figures a pass keeps of a probe report. */
export function summarizeProbes(report: ProbeReport): LiveProbes {
  return {
    answered: report.latenciesMs.length,
    timeouts: report.failures.timeout,
    errors: report.failures.error + report.failures.status,
    p50Ms: quantile(report.latenciesMs, 0.5),
    p99Ms: quantile(report.latenciesMs, 0.99),
    maxMs: quantile(report.latenciesMs, 1),
    timerLatenessP99Ms: quantile(report.latenessMs, 0.99),
  };
}

/** Forks the prober, probing `port` every `intervalMs` from core 1 until `stop` is called. */
export function startProber(port: number, intervalMs: number): { stop(): Promise<ProbeReport> } {
  const prober = fork(PROBER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const report = new Promise<ProbeReport>((resolve) =>
    prober.once('message', (m) => resolve(m as ProbeReport)),
  );
  prober.send({ cmd: 'start', port, intervalMs, core: 1 });
  return {
    stop: () => {
      prober.send({ cmd: 'stop' });
      return report;
    },
  };
}
