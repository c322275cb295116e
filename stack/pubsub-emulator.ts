/**
 * Google's Cloud Pub/Sub emulator, found and run for the local stack and the tests.
 *
 * `findEmulator` looks where it can be installed: `PUBSUB_EMULATOR_BIN` (which, when set, is the
 * only place looked), `cloud-pubsub-emulator` on PATH, then under a Cloud SDK root
 * (`/usr/lib/google-cloud-sdk`, the Debian package's, and the root of the `gcloud` on PATH) in
 * `platform/pubsub-emulator/bin/`. It also needs Java (`JAVA_HOME` or `java` on PATH): the
 * launcher script runs it.
 *
 * `startPubSubEmulator` runs that launcher directly (it `exec`s java, so the pid is the JVM's;
 * `gcloud beta emulators pubsub start` would add a Python parent that SIGTERM does not pass
 * through), on 127.0.0.1 and a free port, under `setpriv --pdeathsig SIGTERM` when setpriv
 * exists, so the JVM dies with the thread that started it even if that crashes. Its output goes
 * to a log file, which is polled for this process's own `Server started, listening on <port>`:
 * a port that merely answers may be another emulator's. A JVM that cannot bind logs
 * `BindException` and never exits by itself, so it is stopped; with no port asked for, a fresh
 * free port is tried again. Every failure stops the JVM before it is reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Env } from '../lib/config/read.js';
import {
  EMULATOR_ERR_EXITED,
  EMULATOR_ERR_MISSING,
  EMULATOR_ERR_NOT_READY,
  EMULATOR_ERR_PORT_IN_USE,
  EmulatorError,
} from './pubsub-errors.js';

export const EMULATOR_BINARY = 'cloud-pubsub-emulator';
const SDK_RELATIVE = join('platform', 'pubsub-emulator', 'bin', EMULATOR_BINARY);
/** The Debian package's Cloud SDK root (google-cloud-cli-pubsub-emulator). */
export const DEBIAN_SDK_ROOT = '/usr/lib/google-cloud-sdk';

export const EMULATOR_INSTALL_HINT =
  'install it with `gcloud components install pubsub-emulator`, or the Debian package google-cloud-cli-pubsub-emulator from Google’s apt repository (Java 17 or later), or set PUBSUB_EMULATOR_BIN to its cloud-pubsub-emulator';

/**
 * JVM options for the launcher script (it honours CLOUD_PUBSUB_EMULATOR_OPTS and JAVA_OPTS; the
 * former is its own): a small heap, the serial collector and C1 only start it faster and
 * smaller, which suits an emulator that carries a few messages. A CLOUD_PUBSUB_EMULATOR_OPTS in
 * the environment wins.
 */
export const EMULATOR_JVM_OPTIONS = '-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1';

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 5_000;
/** Attempts on fresh free ports when one is taken between choosing it and the JVM binding it. */
const FREE_PORT_ATTEMPTS = 3;
const POLL_MS = 50;

export type EmulatorSearch =
  | { readonly path: string; readonly found: string }
  | { readonly path: null; readonly reason: string };

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(env: Env, name: string): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function javaOf(env: Env): string | null {
  if (env.JAVA_HOME) {
    const java = join(env.JAVA_HOME, 'bin', 'java');
    return isExecutableFile(java) ? java : null;
  }
  return onPath(env, 'java');
}

/** The Cloud SDK roots to look under: the Debian package's, then the one of `gcloud` on PATH. */
export function sdkRoots(env: Env): string[] {
  const roots = [DEBIAN_SDK_ROOT];
  const gcloud = onPath(env, 'gcloud');
  if (gcloud !== null) {
    try {
      // <root>/bin/gcloud, usually reached through a symlink such as /usr/bin/gcloud.
      roots.push(dirname(dirname(realpathSync(gcloud))));
    } catch {
      // A dangling symlink: no root there.
    }
  }
  return [...new Set(roots)];
}

/**
 * Where the emulator is, or why none can run, in one line that ends with how to install one.
 * `roots` replaces the Cloud SDK roots looked under (tests).
 */
export function findEmulator(env: Env, roots: readonly string[] = sdkRoots(env)): EmulatorSearch {
  let path: string | null = null;
  let found = '';
  if (env.PUBSUB_EMULATOR_BIN) {
    if (!isExecutableFile(env.PUBSUB_EMULATOR_BIN)) {
      return {
        path: null,
        reason: `PUBSUB_EMULATOR_BIN=${env.PUBSUB_EMULATOR_BIN} is not an executable file; ${EMULATOR_INSTALL_HINT}`,
      };
    }
    path = env.PUBSUB_EMULATOR_BIN;
    found = 'PUBSUB_EMULATOR_BIN';
  } else {
    path = onPath(env, EMULATOR_BINARY);
    found = 'PATH';
    for (const root of roots) {
      if (path !== null) break;
      const candidate = join(root, SDK_RELATIVE);
      if (isExecutableFile(candidate)) {
        path = candidate;
        found = `the Cloud SDK at ${root}`;
      }
    }
    if (path === null) {
      return {
        path: null,
        reason: `no Pub/Sub emulator: ${EMULATOR_BINARY} is neither on PATH nor under ${roots.map((r) => join(r, SDK_RELATIVE)).join(' or ')}; ${EMULATOR_INSTALL_HINT}`,
      };
    }
  }
  if (javaOf(env) === null) {
    return {
      path: null,
      reason: `the Pub/Sub emulator at ${path} needs Java, and there is ${env.JAVA_HOME ? `no ${join(env.JAVA_HOME, 'bin', 'java')} (JAVA_HOME)` : 'no java on PATH'}; install Java 17 or later`,
    };
  }
  return { path, found };
}

export interface EmulatorOptions {
  /** The launcher, from `findEmulator`. */
  readonly bin: string;
  /** The environment it runs in (PATH and JAVA_HOME find Java). */
  readonly env: Env;
  /** 0 or unset: a free port. */
  readonly port?: number;
  /** Where its output goes; unset: a new temporary file, removed by a clean stop(). */
  readonly logFile?: string;
  readonly startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

export interface EmulatorExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface PubSubEmulator {
  /** `127.0.0.1:N`: PUBSUB_EMULATOR_HOST, or the client's `apiEndpoint` with `emulatorMode`. */
  readonly host: string;
  readonly port: number;
  /** The JVM's. */
  readonly pid: number;
  readonly logFile: string;
  /** From spawn to the ready line. */
  readonly startMs: number;
  /** Settles when the JVM exits, whoever ends it. */
  readonly exited: Promise<EmulatorExit>;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves once the JVM has exited. */
  stop(): Promise<EmulatorExit>;
}

let setprivPath: string | null | undefined;

function setpriv(env: Env): string | null {
  if (setprivPath === undefined) setprivPath = onPath(env, 'setpriv');
  return setprivPath;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last lines of a log text that say something (no stack frames), for messages. */
function logTail(text: string, lines = 4): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '))
    .slice(-lines)
    .join(' | ');
}

/** What was appended to `path` since `offset`, and the offset after it. */
function readFrom(path: string, offset: number): { text: string; end: number } {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    let at = offset;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      at += n;
    }
    // The log is ASCII (Java's default logging); a split character would only blur a message.
    return { text: Buffer.concat(chunks).toString('utf8'), end: at };
  } finally {
    closeSync(fd);
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<EmulatorExit>;
  exit(): EmulatorExit | null;
}

function launch(bin: string, port: number, logFile: string, env: Env): Running {
  const fd = openSync(logFile, 'w');
  const args = [`--host=127.0.0.1`, `--port=${port}`];
  const wrapper = setpriv(env);
  let child: ChildProcess;
  try {
    child =
      wrapper === null
        ? spawn(bin, args, { env: runEnv(env), stdio: ['ignore', fd, fd] })
        : spawn(wrapper, ['--pdeathsig', 'SIGTERM', '--', bin, ...args], {
            env: runEnv(env),
            stdio: ['ignore', fd, fd],
          });
  } finally {
    closeSync(fd);
  }
  let result: EmulatorExit | null = null;
  const exited = new Promise<EmulatorExit>((resolve) => {
    child.once('exit', (code, signal) => {
      result = { code, signal };
      resolve(result);
    });
    child.once('error', () => {
      if (child.pid !== undefined) return;
      result = { code: null, signal: null };
      resolve(result);
    });
  });
  // No pid: the spawn failed, and `exited` settles at once.
  return { child, pid: child.pid ?? -1, exited, exit: () => result };
}

function runEnv(env: Env): Record<string, string> {
  const out = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  out.CLOUD_PUBSUB_EMULATOR_OPTS ??= EMULATOR_JVM_OPTIONS;
  return out;
}

async function terminate(r: Running, stopTimeoutMs: number): Promise<EmulatorExit> {
  const done = r.exit();
  if (done !== null) return done;
  r.child.kill('SIGTERM');
  const timer = sleep(stopTimeoutMs).then(() => null);
  const first = await Promise.race([r.exited, timer]);
  if (first !== null) return first;
  r.child.kill('SIGKILL');
  return r.exited;
}

type Outcome = 'ready' | 'bind' | 'exited' | 'timeout';

async function awaitReady(
  r: Running,
  logFile: string,
  port: number,
  timeoutMs: number,
): Promise<{ outcome: Outcome; log: string }> {
  const ready = new RegExp(`Server started, listening on ${port}\\b`);
  const deadline = performance.now() + timeoutMs;
  let log = '';
  let offset = 0;
  const read = () => {
    const { text, end } = readFrom(logFile, offset);
    log += text;
    offset = end;
  };
  for (;;) {
    read();
    if (ready.test(log)) return { outcome: 'ready', log };
    if (log.includes('BindException')) return { outcome: 'bind', log };
    if (r.exit() !== null) {
      // Whatever it wrote before exiting is in the file by now.
      read();
      return { outcome: ready.test(log) ? 'ready' : 'exited', log };
    }
    if (performance.now() >= deadline) return { outcome: 'timeout', log };
    await Promise.race([sleep(POLL_MS), r.exited]);
  }
}

export async function startPubSubEmulator(options: EmulatorOptions): Promise<PubSubEmulator> {
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const ownDir =
    options.logFile === undefined ? mkdtempSync(join(tmpdir(), 'runwatch-pubsub-emulator-')) : null;
  const logFile = options.logFile ?? join(ownDir as string, 'emulator.log');
  if (!isExecutableFile(options.bin)) {
    throw new EmulatorError(
      EMULATOR_ERR_MISSING,
      503,
      `the Pub/Sub emulator at ${options.bin} is not an executable file; ${EMULATOR_INSTALL_HINT}`,
    );
  }
  const attempts = options.port ? 1 : FREE_PORT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const port = options.port || (await freePort());
    const began = performance.now();
    const r = launch(options.bin, port, logFile, options.env);
    const { outcome, log } = await awaitReady(r, logFile, port, startTimeoutMs);
    if (outcome === 'ready') {
      const startMs = Math.round(performance.now() - began);
      return {
        host: `127.0.0.1:${port}`,
        port,
        pid: r.pid,
        logFile,
        startMs,
        exited: r.exited,
        async stop() {
          const exit = await terminate(r, stopTimeoutMs);
          if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
          return exit;
        },
      };
    }
    const exit = await terminate(r, stopTimeoutMs);
    if (outcome === 'bind' && attempt < attempts) continue;
    const where = `127.0.0.1:${port}`;
    if (outcome === 'bind') {
      throw new EmulatorError(
        EMULATOR_ERR_PORT_IN_USE,
        503,
        `the Pub/Sub emulator could not bind ${where} (BindException: the port is taken) and was stopped; ${options.port ? 'choose another port, or 0 for a free one' : `${attempts} free ports were taken before it could bind them`}. Log: ${logFile}`,
        { field: 'port' },
      );
    }
    if (outcome === 'exited') {
      throw new EmulatorError(
        EMULATOR_ERR_EXITED,
        503,
        `the Pub/Sub emulator (${options.bin}) exited before it was ready (${exit.signal ?? `code ${exit.code}`}): ${logTail(log) || 'no output'}. Log: ${logFile}`,
      );
    }
    throw new EmulatorError(
      EMULATOR_ERR_NOT_READY,
      503,
      `the Pub/Sub emulator did not log "Server started, listening on ${port}" within ${startTimeoutMs} ms and was stopped: ${logTail(log) || 'no output'}. Log: ${logFile}`,
    );
  }
}
