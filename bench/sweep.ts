/**
 * Sweep memory benchmark (issue 16, finding 1): the peak resident set of one real `runSweep` of
 * one target, each sweep in a fresh process (bench/fixtures/sweep-once.ts, core 0) so that its
 * `VmHWM` is that sweep's alone, against targets served from another process (core 1,
 * bench/fixtures/scrape-targets.ts):
 *
 * - normal: the service's own /metrics (prom-client, about 20 KB);
 * - at the limits: a /metrics body of exactly the default byte limit holding exactly the default
 *   samples over the default instances, the largest scrape the sweep accepts;
 * - past the limit: the endless 1 KB-a-line body, which the sweep cuts off at the limit.
 *
 * Variants run in interleaved rounds; the verdict is the median peak RSS at the limits over the
 * median normal one (target ≤ 3×).
 *
 *   npm run bench:sweep [-- --rounds 5]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TARGET_DEFAULTS } from '../alerts/sweep/targets.js';
import {
  interleaveRounds,
  type Metrics,
  pinnedNode,
  summarizeRounds,
  writeResult,
} from './lib/harness.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TARGETS = fileURLToPath(new URL('./fixtures/scrape-targets.js', import.meta.url));
const SWEEP_ONCE = fileURLToPath(new URL('./fixtures/sweep-once.js', import.meta.url));
const LIMITS = TARGET_DEFAULTS.limits;
const MIB = 1024 * 1024;
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Once {
  readonly rssBeforeMiB: number;
  readonly peakRssMiB: number;
  readonly sweepMs: number;
  readonly scrape: readonly string[];
  readonly up: boolean;
}

async function startTargets(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(
    TARGETS,
    [String(LIMITS.metricsBytes), String(LIMITS.samples), String(LIMITS.instances)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`scrape targets exited with ${code}`)));
  });
  // The targets get core 1, the sweeps core 0.
  spawn('taskset', ['-pc', '1', String(child.pid)], { stdio: 'ignore' }).on('error', () => {});
  return { child, port };
}

async function sweepOnce(url: string): Promise<Once> {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-bench-sweep-'));
  try {
    const launch = pinnedNode(0, [SWEEP_ONCE, url, dir]);
    const child = spawn(launch.cmd, launch.args, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return await new Promise<Once>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Once));
      child.once('exit', (code) => reject(new Error(`sweep-once exited with ${code}`)));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EXPECTED: Record<string, readonly string[]> = {
  normal: [],
  'at the limits': [],
  'past the limit (endless body)': ['SCRAPE_ERR_TOO_LARGE'],
};
const PATHS: Record<string, string> = {
  normal: 'normal',
  'at the limits': 'limit',
  'past the limit (endless body)': 'endless',
};

const t0 = performance.now();
const { child, port } = await startTargets();
let raw: Record<string, Metrics[]>;
try {
  const variants = Object.fromEntries(
    Object.keys(PATHS).map((name) => [
      name,
      async (): Promise<Metrics> => {
        const once = await sweepOnce(`http://127.0.0.1:${port}/${PATHS[name]}`);
        const want = EXPECTED[name] ?? [];
        if (!once.up || once.scrape.join(',') !== want.join(',')) {
          throw new Error(
            `${name}: expected up with scrape [${want}], got ${JSON.stringify(once)}`,
          );
        }
        return {
          'peak RSS MiB': Math.round(once.peakRssMiB * 10) / 10,
          'RSS before the sweep MiB': Math.round(once.rssBeforeMiB * 10) / 10,
          'growth during the sweep MiB':
            Math.round((once.peakRssMiB - once.rssBeforeMiB) * 10) / 10,
          'sweep ms': Math.round(once.sweepMs),
        };
      },
    ]),
  );
  raw = await interleaveRounds(ROUNDS, variants, (round, variant, m) =>
    say(`round ${round + 1} ${variant}: peak RSS ${m['peak RSS MiB']} MiB, ${m['sweep ms']} ms`),
  );
} finally {
  child.disconnect();
}
const seconds = Math.round((performance.now() - t0) / 1000);
const summary = summarizeRounds(raw);
const median = (variant: string, metric: string) =>
  summary[variant]?.[metric]?.median ?? Number.NaN;
const ratio = median('at the limits', 'peak RSS MiB') / median('normal', 'peak RSS MiB');
const pastRatio =
  median('past the limit (endless body)', 'peak RSS MiB') / median('normal', 'peak RSS MiB');

const verdicts = [
  {
    target:
      'peak RSS of one sweep of a target at the body limit ≤ 3× that of a sweep of a normal target',
    met: ratio <= 3,
    detail: `${ratio.toFixed(2)}× (median ${median('at the limits', 'peak RSS MiB')} MiB vs ${median('normal', 'peak RSS MiB')} MiB; the endless body: ${pastRatio.toFixed(2)}×, ${median('past the limit (endless body)', 'peak RSS MiB')} MiB)`,
  },
];
const notes = [
  `Command: \`npm run bench:sweep\` (${seconds} s here). Machine: ${cpus().length} cores, shared with other jobs while this ran.`,
  `Each sweep is one real runSweep in a fresh Node process on core 0 (bench/fixtures/sweep-once.ts: a new SQLite store, the committed rules, default target limits), so its peak RSS (VmHWM) is that sweep's plus what any sweep process holds (Node, modules, store); "RSS before the sweep" is that process after start-up, "growth" the difference. Targets: one process on core 1 (bench/fixtures/scrape-targets.ts).`,
  `At the limits: a /metrics body of exactly ${LIMITS.metricsBytes / MIB} MiB (limits.metrics_bytes) with exactly ${LIMITS.samples.toLocaleString('en')} samples (limits.samples), all http_requests_total series over ${LIMITS.instances} instances (limits.instances), so the sweep parses, snapshots and stores counter state for the most the limits admit. Normal: the service's own /metrics from prom-client (HTTP counters and histogram, process metrics). Past the limit: 1 KB process_cpu_seconds_total{pad="…"} lines without end, which the sweep cuts off at the byte limit (SCRAPE_ERR_TOO_LARGE).`,
  'Lab notes on these figures: the sweep section of docs/benchmarks.md.',
];

writeResult({
  bench: 'sweep',
  title: 'Sweep memory (issue 16)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 3).join(' ') ?? 'unknown'}`,
  rounds: ROUNDS,
  setup: {
    command: 'npm run bench:sweep',
    machine: `${cpus().length} cores, shared`,
    'metrics body limit bytes': LIMITS.metricsBytes,
    'samples limit': LIMITS.samples,
    'instances limit': LIMITS.instances,
    'sweep core': 0,
    'targets core': 1,
  },
  variants: summary,
  raw,
  verdicts,
  notes,
});

say('');
for (const v of verdicts) say(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);
for (const n of notes) say(`- ${n}`);
