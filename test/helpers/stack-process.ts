/**
 * Runs the local stack's supervisor (`build/stack/main.js`, what `npm start` runs) as a real child
 * process from the repository root, and splits its stdout into the URL table and `source | line`
 * log lines (JSON parsed when possible).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../stack/main.js', import.meta.url));

export interface StackLine {
  readonly source: string;
  readonly text: string;
  readonly json: Record<string, unknown> | null;
}

export interface StackExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() at exit. */
  readonly at: number;
}

export interface StackProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: StackLine[];
  readonly exited: Promise<StackExit>;
  /** stdout lines that are not log lines (the URL table). */
  plain(): string[];
  stderr(): string;
  /** The first JSON line of `source` with `event` (optionally matching `where`). */
  waitFor(
    source: string,
    event: string,
    timeoutMs?: number,
    where?: (json: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>>;
  events(source: string, event: string): Record<string, unknown>[];
}

/** A fresh SQLite store URL in a temp directory. */
export function tempStoreUrl(): { url: string; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'runwatch-stack-')), 'runwatch.db');
  return { url: `sqlite:${file}`, file };
}

/**
 * A SWEEP_RULES_DIR holding one rule: InferUnhealthy without its 2-minute `for`, so one unhealthy
 * sweep (a model fault) fires it and the first healthy one resolves it.
 */
export function unhealthyRuleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-rules-'));
  writeFileSync(
    join(dir, 'unhealthy.yaml'),
    [
      'rules:',
      '  - alertname: InferUnhealthy',
      '    type: threshold',
      '    severity: warning',
      '    metric: health_status',
      '    op: ">="',
      '    value: 2',
      '    for: 0s',
      '    summary: "{{target}} reports health_status {{value}}"',
      '',
    ].join('\n'),
  );
  return dir;
}

/**
 * An ALERTING_FILE (in a temp directory) that sends every alert to one receiver with these
 * integration lines (YAML, indented under `integrations:`), grouped by alertname and target, with
 * `group_wait: 0s`: a group's first notification goes out as soon as the engine takes its first
 * alert, not at a tick 30 s later.
 */
export function quickAlertingFile(opts: {
  readonly receiver: string;
  readonly groupInterval: string;
  readonly integrations: readonly string[];
}): string {
  const file = join(mkdtempSync(join(tmpdir(), 'runwatch-alerting-')), 'alerting.yaml');
  const lines = [
    'route:',
    `  receiver: ${opts.receiver}`,
    '  group_by: [alertname, target]',
    '  group_wait: 0s',
    `  group_interval: ${opts.groupInterval}`,
    '  repeat_interval: 4h',
    'receivers:',
    `  - name: ${opts.receiver}`,
    '    integrations:',
    ...opts.integrations.map((l) => `      ${l}`),
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

export function startStack(
  env: Record<string, string>,
  opts: { detached?: boolean } = {},
): StackProcess {
  const child = spawn(process.execPath, [MAIN], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      SWEEP_PORT: '0',
      INGEST_PORT: '0',
      TICK_PORT: '0',
      LOCAL_SWEEP_INTERVAL: '1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  const lines: StackLine[] = [];
  const plain: string[] = [];
  let errText = '';
  let buffer = '';
  const waiters = new Set<() => void>();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    errText += d;
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buffer += d;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
      const m = /^(stack|service|sweep|ingest|tick)\s*\| (.*)$/.exec(text);
      if (m === null) {
        plain.push(text);
        continue;
      }
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(m[2] as string) as Record<string, unknown>;
      } catch {
        // a plain line from a child (the Functions Framework's banner)
      }
      lines.push({ source: m[1] as string, text: m[2] as string, json });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<StackExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const events = (source: string, event: string) =>
    lines
      .filter((l) => l.source === source && l.json?.event === event)
      .map((l) => l.json as Record<string, unknown>);
  const waitFor = (
    source: string,
    event: string,
    timeoutMs = 20_000,
    where: (json: Record<string, unknown>) => boolean = () => true,
  ) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = events(source, event).find(where);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no ${source} "${event}" within ${timeoutMs} ms; stderr: ${errText}; last lines: ${lines
              .slice(-6)
              .map((l) => `${l.source} | ${l.text.slice(0, 200)}`)
              .join('\n')}`,
          ),
        );
      }, timeoutMs);
      const onExit = () => {
        if (!check()) {
          cleanup();
          reject(new Error(`the stack exited before ${source} "${event}"; stderr: ${errText}`));
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      if (check()) return;
      waiters.add(check);
      child.once('exit', onExit);
    });
  return {
    child,
    pid: child.pid ?? 0,
    lines,
    exited,
    plain: () => plain,
    stderr: () => errText,
    waitFor,
    events,
  };
}

/** Whether a process with this pid still exists (a zombie counts as gone: it has exited). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat field 3 is the state; Z is a zombie (exited, not yet reaped).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Cleanup after a test: SIGTERM the supervisor if it still runs, SIGKILL it after 15 s, and
 * SIGKILL any child it reported that outlived it.
 */
export async function stopStack(stack: StackProcess | undefined): Promise<void> {
  if (stack === undefined) return;
  const ready = stack.events('stack', 'stack.ready')[0];
  const pids = (ready?.pids ?? {}) as Record<string, number>;
  if (stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGTERM');
    const timer = setTimeout(() => stack.child.kill('SIGKILL'), 15_000);
    await stack.exited;
    clearTimeout(timer);
  }
  for (const pid of Object.values(pids)) if (alive(pid)) process.kill(pid, 'SIGKILL');
}
