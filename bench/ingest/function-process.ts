/**
 * A Cloud Function under benchmark: the Functions Framework's own entry script (what its
 * `functions-framework` bin runs) in a child process pinned to core 0, with the loopback preload
 * the local stack uses (the framework has no host option), on a port chosen here:
 *
 *   node --import=<stack/loopback-listen.js> <ff>/build/src/main.js --source=… --target=…
 *        --signature-type=cloudevent --port=N
 *
 * Its stdout goes to a file, as on Cloud Run where another process collects the logs, or to a
 * pipe when the bench reads its lines (the latency phase). Readiness is a TCP connect: any HTTP
 * request to a CloudEvent function is an event, which alertIngest would store as poison.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { functionsFrameworkMain, LOOPBACK_PRELOAD } from '../../stack/children.js';
import { pinnedNode } from '../lib/harness.js';

export interface FunctionProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly exited: Promise<void>;
}

export interface FunctionSpec {
  /** The built module that registers `target`. */
  readonly source: string;
  readonly target: string;
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  /** A file for stdout, or 'pipe' to read it from `child.stdout`. */
  readonly stdout: string | 'pipe';
  /** Extra node flags before the entry (`--cpu-prof`, for a diagnosis). */
  readonly nodeArgs?: readonly string[];
}

export function spawnFunction(spec: FunctionSpec): FunctionProcess {
  const launch = pinnedNode(0, [
    ...(spec.nodeArgs ?? []),
    `--import=${pathToFileURL(LOOPBACK_PRELOAD).href}`,
    functionsFrameworkMain(),
    `--source=${spec.source}`,
    `--target=${spec.target}`,
    '--signature-type=cloudevent',
    `--port=${spec.port}`,
  ]);
  const out = spec.stdout === 'pipe' ? 'pipe' : openSync(spec.stdout, 'w');
  const child = spawn(launch.cmd, launch.args, {
    env: { ...spec.env },
    stdio: ['ignore', out, 'inherit'],
  });
  if (typeof out === 'number') closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, port: spec.port, url: `http://127.0.0.1:${spec.port}/`, exited };
}

/** Resolves once the port accepts a connection; rejects if the process exits first. */
export async function waitForListening(fn: FunctionProcess, timeoutMs = 15_000): Promise<void> {
  let exited = false;
  void fn.exited.then(() => {
    exited = true;
  });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`the function on port ${fn.port} exited before it listened`);
    if (performance.now() > deadline) {
      throw new Error(`the function on port ${fn.port} did not listen within ${timeoutMs} ms`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(fn.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function stopFunction(fn: FunctionProcess): Promise<void> {
  if (fn.child.exitCode !== null || fn.child.signalCode !== null) return;
  fn.child.kill('SIGTERM');
  await fn.exited;
}
