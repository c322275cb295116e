/**
 * A server under benchmark, as a child process: pinned to core 0, on a port chosen here, with
 * stdout going to a file, as on Cloud Run, where another process collects the logs (a pipe read
 * by the bench would steal the load generator's core).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { pinnedNode } from './harness.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Spawns `script` on core 0 with `env` plus PORT, its stdout appended to `logFile`. */
export function spawnServer(
  script: string,
  env: Record<string, string>,
  port: number,
  logFile: string,
): ServerProcess {
  const launch = pinnedNode(0, [script]);
  const log = openSync(logFile, 'w');
  const child = spawn(launch.cmd, launch.args, {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', log, 'inherit'],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, port, exited };
}

/** Polls `path` every 5 ms until it answers `status`; resolves with performance.now() then. */
export async function waitFor(
  server: ServerProcess,
  path: string,
  status: number,
): Promise<number> {
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`server on port ${server.port} exited before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      await res.arrayBuffer();
      if (res.status === status) return performance.now();
    } catch {
      // not accepting connections yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function stopServer(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}
