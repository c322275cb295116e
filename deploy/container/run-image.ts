/**
 * Runs the built image the way the toolchain allows here (`podman run` fails on setrlimit in this
 * sandbox): `buildah from` the image, then `buildah run --isolation chroot --user <its USER>` of
 * exactly its Entrypoint and Cmd, with the variables Cloud Run and the production service spec
 * set. Chroot isolation shares the host's network, so the service's PORT is reached on loopback;
 * it has no PID namespace, so SIGTERM goes to the node process itself, as Cloud Run sends it to
 * the container's PID 1 (node, by the exec-form Entrypoint).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ContainerTestError } from './errors.js';
import { run, tail } from './exec.js';
import type { ImageConfig } from './images.js';

export interface RunningImage {
  readonly container: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The argv run: the image's Entrypoint then Cmd. */
  readonly argv: readonly string[];
  readonly user: string;
  output(): string;
  /** Resolves with buildah run's exit code once the program has ended. */
  readonly exited: Promise<number | null>;
}

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The argv an image runs: Entrypoint, then Cmd (Docker's rule for exec-form entrypoints). */
export function programOf(config: ImageConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

export async function startImage(
  image: string,
  config: ImageConfig,
  env: Readonly<Record<string, string>>,
): Promise<RunningImage> {
  const argv = programOf(config);
  const user = config.User ?? '';
  if (argv.length === 0) {
    throw new ContainerTestError(
      'CONTAINER_ERR_CHECK_FAILED',
      `${image} has no Entrypoint or Cmd: expected ENTRYPOINT ["node", "build/service/main.js"]`,
    );
  }
  const step = `starting ${image}`;
  const container = (await run('buildah', ['from', '--pull=never', image], { step })).stdout.trim();
  const envFlags = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const child = spawn(
    'buildah',
    [
      'run',
      '--isolation',
      'chroot',
      ...(user === '' ? [] : ['--user', user]),
      ...envFlags,
      container,
      '--',
      ...argv,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    container,
    port: Number(env.PORT),
    child,
    argv,
    user,
    output: () => output,
    exited,
  };
}

/** Parent pid of each process, from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      // the process has gone
    }
  }
  return map;
}

/** The descendant of `ancestor` whose argv is `argv` (the image's program), or undefined. */
export function findProgram(ancestor: number, argv: readonly string[]): number | undefined {
  const ppids = parents();
  const isDescendant = (pid: number): boolean => {
    for (let p = ppids.get(pid); p !== undefined && p > 1; p = ppids.get(p)) {
      if (p === ancestor) return true;
    }
    return false;
  };
  for (const pid of ppids.keys()) {
    if (!isDescendant(pid)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
    } catch {
      continue;
    }
    // The program runs under its path in the image (`node` → /usr/local/bin/node).
    const [first, ...rest] = cmdline;
    if (
      first !== undefined &&
      (first === argv[0] || first.endsWith(`/${argv[0]}`)) &&
      rest.join('\0') === argv.slice(1).join('\0')
    ) {
      return pid;
    }
  }
  return undefined;
}

export async function stopImage(running: RunningImage): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    const pid =
      running.child.pid === undefined ? undefined : findProgram(running.child.pid, running.argv);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    running.child.kill('SIGKILL');
    await running.exited;
  }
  await run('buildah', ['rm', running.container], { allowFailure: true });
}

export const outputTail = (running: RunningImage): string => tail(running.output(), 15);
