/**
 * Issue 16's "done when": the real healthSweep (the Functions Framework's own entry script in a
 * child process, with a heap capped at Cloud Functions' smallest memory, 256 MiB, and a real
 * SQLite store) sweeps six hostile targets beside two healthy ones, all real HTTP servers on
 * port 0 in this process: an endless 1 KB-a-line /metrics (the 200 MB repro), a /metrics that
 * drips forever, `instance=""`, two `1e308` series of one instance, a new instance on every line
 * (millions, were they read), and a 5 MB /health status. Three Scheduler calls a minute apart in
 * schedule time: every call answers 200, the healthy targets are recorded in each, each hostile
 * target gets its ScrapeFailed finding with its code, and the function's peak RSS stays under
 * 256 MiB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { openStore } from '../../alerts/store/open.js';
import { FUNCTIONS_SOURCE, functionsFrameworkMain } from '../../stack/children.js';
import {
  drip,
  endless,
  healthStatus,
  newInstanceLine,
  padLine,
  serveTarget,
  type TargetServer,
  text,
} from '../helpers/hostile-target.js';
import { REPO_ROOT } from '../helpers/stack-process.js';

const MIB = 1024 * 1024;
const MEMORY_LIMIT_MIB = 256;
const MIN = 60_000;

/** Target name → the scrape codes its every sweep must report. */
const EXPECTED: Record<string, readonly string[]> = {
  'healthy-a': [],
  'healthy-b': [],
  huge: ['SCRAPE_ERR_TOO_LARGE'],
  dripping: ['SCRAPE_ERR_TIMEOUT'],
  'empty-instance': ['SCRAPE_ERR_SAMPLE_INVALID'],
  'non-finite': ['SCRAPE_ERR_SAMPLE_INVALID'],
  'many-instances': ['SCRAPE_ERR_TOO_MANY_INSTANCES'],
  'big-health': ['SCRAPE_ERR_TOO_LARGE'],
};

async function startTargets(): Promise<Record<string, TargetServer>> {
  const metrics = (...lines: string[]) => text(`${lines.join('\n')}\n`);
  const entries = await Promise.all([
    serveTarget({}, 'healthy-a-00001').then((s) => ['healthy-a', s] as const),
    serveTarget({}, 'healthy-b-00001').then((s) => ['healthy-b', s] as const),
    serveTarget({ metrics: endless(padLine(1000)) }).then((s) => ['huge', s] as const),
    serveTarget({ metrics: drip(100) }).then((s) => ['dripping', s] as const),
    serveTarget({
      metrics: metrics('http_requests_total{instance="",route="/predict",status_class="2xx"} 7'),
    }).then((s) => ['empty-instance', s] as const),
    serveTarget({
      metrics: metrics(
        'http_requests_total{instance="big-1",route="/a",status_class="2xx"} 1e308',
        'http_requests_total{instance="big-1",route="/b",status_class="2xx"} 1e308',
      ),
    }).then((s) => ['non-finite', s] as const),
    serveTarget({ metrics: endless(newInstanceLine) }).then((s) => ['many-instances', s] as const),
    serveTarget({ health: healthStatus('x'.repeat(5 * MIB)) }).then(
      (s) => ['big-health', s] as const,
    ),
  ]);
  return Object.fromEntries(entries);
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function untilListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`healthSweep exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('healthSweep did not listen within 20 s');
}

/** Peak resident set of a process (Linux `VmHWM`), in MiB; null where /proc has no such line. */
function peakRssMib(pid: number): number | null {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? null : Number(kb) / 1024;
}

interface SweepReply {
  targets: {
    name: string;
    up: boolean;
    health: string | null;
    scrape?: string[];
    dropped?: number;
  }[];
  findings: { alertname: string; target: string; state: string }[];
}

test('healthSweep: six hostile targets get their scrape findings, the two healthy ones are recorded in every sweep, and the function stays under 256 MiB', async (t) => {
  const targets = await startTargets();
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-hostile-'));
  const targetsFile = join(dir, 'targets.yaml');
  writeFileSync(
    targetsFile,
    `targets:\n${Object.entries(targets)
      .map(([name, s]) => `  - name: ${name}\n    url: ${s.url}\n    timeout_ms: 1500\n`)
      .join('')}`,
  );
  const storeUrl = `sqlite:${join(dir, 'trends.db')}`;
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${MEMORY_LIMIT_MIB}`,
      functionsFrameworkMain(),
      `--source=${FUNCTIONS_SOURCE}`,
      '--target=healthSweep',
      `--port=${port}`,
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        METADATA_SERVER_DETECTION: 'none',
        STORE_URL: storeUrl,
        SWEEP_TARGETS_FILE: targetsFile,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts)
      if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Slots ending at the current minute, as the real scheduler's would.
  const slot0 = Math.floor(Date.now() / MIN) * MIN - 2 * MIN;
  try {
    await untilListening(port, child);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'x-cloudscheduler-jobname': 'hostile',
          'x-cloudscheduler-scheduletime': new Date(slot0 + i * MIN).toISOString(),
        },
      });
      const raw = await res.text();
      t.is(res.status, 200, `sweep ${i}: ${raw.slice(0, 300)} ${stderr.slice(-500)}`);
      t.true(raw.length < 20_000, `sweep ${i}: the answer is ${raw.length} characters`);
      const reply = JSON.parse(raw) as SweepReply;
      for (const [name, codes] of Object.entries(EXPECTED)) {
        const entry = reply.targets.find((x) => x.name === name);
        t.like(entry, { up: true, scrape: [...codes] }, `sweep ${i}: ${name}`);
        const firing = reply.findings.some(
          (f) => f.alertname === 'ScrapeFailed' && f.target === name && f.state === 'firing',
        );
        t.is(firing, codes.length > 0, `sweep ${i}: ScrapeFailed for ${name}`);
      }
      t.is(reply.targets.find((x) => x.name === 'big-health')?.health, null);
    }
    const peak = peakRssMib(child.pid ?? 0);
    t.log(`healthSweep peak RSS: ${peak?.toFixed(1)} MiB`);
    t.true(peak !== null && peak < MEMORY_LIMIT_MIB, `peak RSS ${peak} MiB`);

    const completed = lines.filter((l) => l.event === 'sweep.completed');
    t.deepEqual(
      completed.map((l) => l.dropped),
      [3, 3, 3],
      'dropped at every sweep: the empty instance series, and both series of the non-finite one',
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
    await Promise.all(Object.values(targets).map((s) => s.close()));
  }

  const store = await openStore(storeUrl, { platform: 'local' });
  try {
    const window = { from: slot0, to: slot0 + 3 * MIN };
    for (const name of ['healthy-a', 'healthy-b']) {
      const up = await store.window({ target: name, metric: 'up', ...window });
      t.deepEqual(
        up.map((s) => [s.ts - slot0, s.value]),
        [
          [0, 1],
          [MIN, 1],
          [2 * MIN, 1],
        ],
        `${name} is recorded in every sweep`,
      );
      const deltas = await store.window({ target: name, metric: 'requests_delta', ...window });
      t.is(deltas.length, 2, `${name}'s counters are recorded after the baseline`);
    }
    const findings = await store.findings({ from: slot0 });
    for (const [name, codes] of Object.entries(EXPECTED)) {
      const mine = findings.filter((f) => f.alertname === 'ScrapeFailed' && f.target === name);
      t.deepEqual(
        mine.map((f) => f.labels.code),
        codes.length === 0 ? [] : [codes[0], codes[0], codes[0]],
        `${name}'s ScrapeFailed findings`,
      );
    }
  } finally {
    await store.close();
  }
});
