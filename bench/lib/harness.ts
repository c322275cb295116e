/**
 * The benchmark harness every bench shares: interleaved rounds (variant A, B, A, B, …, so drift
 * hits both alike), min / median / max per metric, JSON results in bench/results/, and
 * docs/benchmarks.md regenerated from all result files, its hand-written lab notes kept. Server
 * and load generator are pinned to different cores with `taskset` (see `pinnedNode`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Runs every variant once per round, in alternating order; each variant's results in round order. */
export async function interleaveRounds<T>(
  rounds: number,
  variants: Record<string, (round: number) => Promise<T>>,
  onRound?: (round: number, variant: string, result: T) => void,
): Promise<Record<string, T[]>> {
  const names = Object.keys(variants);
  const raw: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const result = await (variants[name] as (round: number) => Promise<T>)(r);
      raw[name]?.push(result);
      onRound?.(r, name, result);
    }
  }
  return raw;
}

/** variant → metric → min / median / max across rounds, for the metrics of each first round. */
export function summarizeRounds(
  raw: Record<string, readonly Metrics[]>,
): Record<string, Record<string, Summary>> {
  const summary: Record<string, Record<string, Summary>> = {};
  for (const [name, rounds] of Object.entries(raw)) {
    const keys = Object.keys(rounds[0] ?? {});
    summary[name] = Object.fromEntries(
      keys.map((k) => [k, summarize(rounds.map((m) => m[k] ?? 0))]),
    );
  }
  return summary;
}

/** Runs every variant once per round, in alternating order, and summarizes each metric. */
export async function interleave(
  rounds: number,
  variants: Record<string, (round: number) => Promise<Metrics>>,
  onRound?: (round: number, variant: string, m: Metrics) => void,
): Promise<{ raw: Record<string, Metrics[]>; summary: Record<string, Record<string, Summary>> }> {
  const raw = await interleaveRounds(rounds, variants, onRound);
  return { raw, summary: summarizeRounds(raw) };
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

/**
 * A hand-written block of docs/benchmarks.md that regeneration keeps: lab notes, history and
 * investigations behind a bench's figures, between `<!-- lab-notes:<bench> -->` and
 * `<!-- /lab-notes:<bench> -->`, placed under that bench's generated section.
 */
const LAB_NOTES = /<!-- lab-notes:([\w-]+) -->\n[\s\S]*?<!-- \/lab-notes:\1 -->/g;

/** bench → its lab-notes block (markers included), as found in `markdown`. */
export function labNotesOf(markdown: string): Map<string, string> {
  return new Map([...markdown.matchAll(LAB_NOTES)].map((m) => [m[1] ?? '', m[0]]));
}

/** docs/benchmarks.md for `results` (sorted by file), each section followed by its lab notes. */
export function benchmarksMarkdown(
  results: readonly BenchResult[],
  labNotes: ReadonlyMap<string, string>,
): string {
  const parts = [
    '# Benchmarks',
    '',
    'Generated from `bench/results/*.json` by the bench scripts; do not edit by hand, except the lab',
    'notes between `<!-- lab-notes:<bench> -->` markers, which regeneration keeps as they are. Each',
    'bench runs its variants in interleaved rounds in one run, with the server and the load generator',
    'pinned to different cores, and reports min / median / max per metric.',
  ];
  for (const r of results) {
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
    const notes = labNotes.get(r.bench);
    if (notes !== undefined) parts.push('', notes);
  }
  // A bench whose result file is gone keeps its notes, so no hand-written text is lost.
  const benches = new Set(results.map((r) => r.bench));
  for (const [bench, notes] of labNotes) {
    if (!benches.has(bench)) parts.push('', `## ${bench}`, '', notes);
  }
  return `${parts.join('\n')}\n`;
}

/** Regenerates docs/benchmarks.md from every JSON file in bench/results/, keeping its lab notes. */
export function renderBenchmarksDoc(): void {
  const results = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchResult);
  const doc = join(ROOT, 'docs', 'benchmarks.md');
  const labNotes = labNotesOf(existsSync(doc) ? readFileSync(doc, 'utf8') : '');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(doc, benchmarksMarkdown(results, labNotes));
}
