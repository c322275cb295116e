/**
 * The benchmark harness every bench shares: interleaved rounds (variant A, B, A, B, …, so drift
 * hits both alike), min / median / max per metric, JSON results in bench/results/, and
 * docs/benchmarks.md regenerated from all result files. Server and load generator are pinned to
 * different cores with `taskset` (see `pinnedNode`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { min: s[0] ?? 0, median, max: s[s.length - 1] ?? 0 };
}

export type Metrics = Record<string, number>;

export interface BenchResult {
  /** The result file's name (bench/results/<bench>.json). */
  readonly bench: string;
  /** The section heading in docs/benchmarks.md; default `bench`. */
  readonly title?: string;
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly rounds: number;
  readonly setup: Record<string, unknown>;
  /** variant → metric → summary across rounds. */
  readonly variants: Record<string, Record<string, Summary>>;
  /** variant → per-round raw metrics. */
  readonly raw: Record<string, Metrics[]>;
  readonly verdicts: readonly { target: string; met: boolean; detail: string }[];
  readonly notes: readonly string[];
}

/** Runs every variant once per round, in alternating order, and summarizes each metric. */
export async function interleave(
  rounds: number,
  variants: Record<string, (round: number) => Promise<Metrics>>,
  onRound?: (round: number, variant: string, m: Metrics) => void,
): Promise<{ raw: Record<string, Metrics[]>; summary: Record<string, Record<string, Summary>> }> {
  const names = Object.keys(variants);
  const raw: Record<string, Metrics[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const m = await (variants[name] as (round: number) => Promise<Metrics>)(r);
      raw[name]?.push(m);
      onRound?.(r, name, m);
    }
  }
  const summary: Record<string, Record<string, Summary>> = {};
  for (const name of names) {
    const keys = Object.keys(raw[name]?.[0] ?? {});
    summary[name] = Object.fromEntries(
      keys.map((k) => [k, summarize((raw[name] ?? []).map((m) => m[k] ?? 0))]),
    );
  }
  return { raw, summary };
}

/** `taskset -c <core> node …` when taskset exists and the machine has that core. */
export function pinnedNode(
  core: number,
  args: readonly string[],
): { cmd: string; args: string[]; pinned: boolean } {
  let hasTaskset = false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    hasTaskset = true;
  } catch {
    hasTaskset = false;
  }
  if (hasTaskset && core < cpus().length) {
    return { cmd: 'taskset', args: ['-c', String(core), process.execPath, ...args], pinned: true };
  }
  return { cmd: process.execPath, args: [...args], pinned: false };
}

/** Pins the current process (the load generator) to `core`. */
export function pinSelf(core: number): boolean {
  try {
    execFileSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.bench}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  renderBenchmarksDoc();
  return file;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Regenerates docs/benchmarks.md from every JSON file in bench/results/. */
export function renderBenchmarksDoc(): void {
  const files = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const parts = [
    '# Benchmarks',
    '',
    'Generated from `bench/results/*.json` by the bench scripts; do not edit by hand. Each bench runs',
    'its variants in interleaved rounds in one run, with the server and the load generator pinned to',
    'different cores, and reports min / median / max per metric.',
  ];
  for (const f of files) {
    const r = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchResult;
    parts.push(
      '',
      `## ${r.title ?? r.bench}`,
      '',
      `${r.date} · Node ${r.node} · ${r.cpu} · ${r.rounds} rounds`,
      '',
    );
    parts.push(
      `Setup: ${Object.entries(r.setup)
        .map(([k, v]) => `${k} = ${String(v)}`)
        .join('; ')}.`,
      '',
    );
    const metrics = Object.keys(Object.values(r.variants)[0] ?? {});
    parts.push(
      `| metric | ${Object.keys(r.variants)
        .map((v) => `${v} (min / median / max)`)
        .join(' | ')} |`,
    );
    parts.push(
      `|---|${Object.keys(r.variants)
        .map(() => '---')
        .join('|')}|`,
    );
    for (const m of metrics) {
      parts.push(
        `| ${m} | ${Object.values(r.variants)
          .map((s) => {
            const x = s[m];
            return x ? `${fmt(x.min)} / ${fmt(x.median)} / ${fmt(x.max)}` : '–';
          })
          .join(' | ')} |`,
      );
    }
    parts.push('', '| target | met | detail |', '|---|---|---|');
    for (const v of r.verdicts)
      parts.push(`| ${v.target} | ${v.met ? 'yes' : '**no**'} | ${v.detail} |`);
    if (r.notes.length > 0) parts.push('', ...r.notes.map((n) => `- ${n}`));
  }
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), `${parts.join('\n')}\n`);
}
