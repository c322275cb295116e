/**
 * A child process of the stack: spawned in the supervisor's process group (`detached: false`), so
 * a Ctrl-C in the terminal reaches it directly too; its stdout and stderr are read line by line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { lineSplitter } from './output.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  readonly error?: string;
}

export interface StackChild {
  /** `service`, `healthSweep`, `alertIngest` or `alertTick`, for messages. */
  readonly name: string;
  readonly pid: number | undefined;
  readonly exited: Promise<ChildExit>;
  /** Null while it runs. */
  exit(): ChildExit | null;
  /** Sends a signal if the child still runs; true when sent. */
  signal(signal: NodeJS.Signals): boolean;
}

export function spawnChild(opts: {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly onLine: (line: string, stream: 'out' | 'err') => void;
}): StackChild {
  const child: ChildProcess = spawn(process.execPath, opts.args, {
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let result: ChildExit | null = null;
  const streams: Promise<void>[] = [];
  for (const [stream, which] of [
    [child.stdout, 'out'],
    [child.stderr, 'err'],
  ] as const) {
    if (stream === null) continue;
    stream.setEncoding('utf8');
    const lines = lineSplitter((l) => opts.onLine(l, which));
    stream.on('data', (chunk: string) => lines.push(chunk));
    streams.push(
      new Promise((resolve) =>
        stream.once('close', () => {
          lines.end();
          resolve();
        }),
      ),
    );
  }
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (e) => {
      if (child.pid !== undefined) return;
      result = { code: null, signal: null, error: e.message };
      resolve(result);
    });
    child.once('exit', (code, signal) => {
      // The last lines (a fatal log before exit) are read before the exit is reported; a pipe
      // held open by something else does not hold the report back for more than 500 ms.
      const drained = new Promise((r) => setTimeout(r, 500).unref());
      void Promise.race([Promise.all(streams), drained]).then(() => {
        result = { code, signal };
        resolve(result);
      });
    });
  });
  return {
    name: opts.name,
    pid: child.pid,
    exited,
    exit: () => result,
    signal(signal) {
      if (result !== null || child.exitCode !== null || child.signalCode !== null) return false;
      return child.kill(signal);
    },
  };
}
