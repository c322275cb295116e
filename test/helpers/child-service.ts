/**
 * Spawns the drain fixture as a real child process on port 0, reads the port from its
 * `server.listening` log line, and records every JSON log line and the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyModelPackage } from './tiny-model.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/drain-service.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../service/main.js', import.meta.url));

export interface LogLine {
  readonly event?: string;
  readonly severity?: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when the exit was observed. */
  readonly at: number;
}

export interface ChildService {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: LogLine[];
  readonly exited: Promise<Exit>;
  waitForEvent(event: string, timeoutMs?: number): Promise<LogLine>;
  kill(signal: NodeJS.Signals): number;
  stderr(): string;
}

let modelDir: Promise<string> | null = null;

/** One tiny model package shared by every child in this test process. */
export function tinyModelDir(): Promise<string> {
  modelDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runwatch-model-'));
    await writeTinyModelPackage(dir);
    return dir;
  })();
  return modelDir;
}

export async function startChild(
  env: Record<string, string> = {},
  opts: {
    waitForReady?: boolean;
    /** Run `service/main.js` (what the container runs) with its default MODEL_PATH, not the fixture. */
    main?: boolean;
  } = {},
): Promise<ChildService> {
  const modelEnv: Record<string, string> = opts.main ? {} : { MODEL_PATH: await tinyModelDir() };
  const child = spawn(process.execPath, [opts.main ? MAIN : FIXTURE], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      ENVIRONMENT: 'development',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      HEALTH_CHECK_INTERVAL_MS: '200',
      ...modelEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { event: string; resolve: (l: LogLine) => void }[] = [];
  let buffer = '';
  let errText = '';
  child.stderr?.on('data', (d: Buffer) => {
    errText += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { message: text, event: 'non-json' };
      }
      lines.push(line);
      for (const w of waiters.filter((x) => x.event === line.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });

  const waitForEvent = (event: string, timeoutMs = 15000): Promise<LogLine> => {
    const seen = lines.find((l) => l.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no "${event}" log line within ${timeoutMs} ms; stderr: ${errText}; lines: ${JSON.stringify(lines.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        event,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void exited.then(() => {
        clearTimeout(timer);
        const l = lines.find((x) => x.event === event);
        if (l) resolve(l);
        else
          reject(
            new Error(
              `child exited before "${event}"; stderr: ${errText}; lines: ${JSON.stringify(lines.slice(-5))}`,
            ),
          );
      });
    });
  };

  const listening = await waitForEvent('server.listening');
  if (opts.waitForReady !== false) await waitForEvent('model.ready');
  return {
    child,
    port: listening.port as number,
    lines,
    exited,
    waitForEvent,
    kill: (signal) => {
      child.kill(signal);
      return performance.now();
    },
    stderr: () => errText,
  };
}

export interface Outcome {
  readonly status?: number;
  readonly headers?: http.IncomingHttpHeaders;
  readonly body?: string;
  readonly error?: string;
  /** performance.now() when the outcome was known. */
  readonly at: number;
}

/** One HTTP request over `agent`; resolves with the response or the socket error code. */
export function request(
  port: number,
  path: string,
  opts: {
    agent?: http.Agent;
    method?: string;
    body?: unknown;
    timeoutMs?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? (body ? 'POST' : 'GET'),
        agent: opts.agent ?? false,
        headers: {
          ...(body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
            : {}),
          ...opts.headers,
        },
        timeout: opts.timeoutMs ?? 40000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            at: performance.now(),
          }),
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            error: `truncated:${e.code ?? e.message}`,
            at: performance.now(),
          }),
        );
        res.on('aborted', () =>
          resolve({
            status: res.statusCode ?? 0,
            error: 'truncated:aborted',
            at: performance.now(),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ error: e.code ?? e.message, at: performance.now() }),
    );
    if (body) req.write(body);
    req.end();
  });
}

/** A raw TCP connection, for requests on a chosen existing socket. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes one GET on `socket` and reads one response (status line + headers + body by length). */
export function rawGet(
  socket: net.Socket,
  path: string,
  timeoutMs = 5000,
): Promise<{ status: number; headers: Record<string, string>; body: string } | { error: string }> {
  return new Promise((resolve) => {
    let data = '';
    const done = (
      v: { status: number; headers: Record<string, string>; body: string } | { error: string },
    ) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      data += c.toString();
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...headerLines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const i = h.indexOf(':');
        headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      const len = Number(headers['content-length'] ?? 0);
      const body = data.slice(end + 4);
      if (body.length >= len) done({ status: Number(statusLine.split(' ')[1]), headers, body });
    };
    const onClose = () => done({ error: data === '' ? 'closed-before-response' : 'truncated' });
    const onError = (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message });
    const timer = setTimeout(() => done({ error: 'timeout' }), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it holds (true) or `timeoutMs` passes (false). */
export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
