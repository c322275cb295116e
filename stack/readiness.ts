/** Waiting for the children: polling with a deadline, an HTTP probe and a TCP probe. */
import net from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A local address to reach a server listening on `host`. */
export function reachable(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Polls `check` every `everyMs` until true, `timeoutMs` passes (false) or `cancelled()`. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  cancelled: () => unknown,
  everyMs = 100,
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (cancelled() === null) {
    if (await check()) return true;
    if (performance.now() >= end) return false;
    await sleep(everyMs);
  }
  return false;
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export interface ReadyCheck {
  /** What is waited for, for the message: `the service (http://…/health/ready)`. */
  readonly what: string;
  readonly check: () => Promise<boolean>;
}

/**
 * Waits for every check at once, each up to `timeoutMs`; resolves with what was not ready (empty
 * when all were), or null when a stop was asked for meanwhile (`cancelled()` not null, or
 * `stopped` settled).
 */
export async function waitAllReady(
  checks: readonly ReadyCheck[],
  timeoutMs: number,
  cancelled: () => unknown,
  stopped: Promise<unknown>,
): Promise<string[] | null> {
  const results = await Promise.race([
    Promise.all(checks.map((c) => until(c.check, timeoutMs, cancelled))),
    stopped.then(() => null),
  ]);
  if (results === null || cancelled() !== null) return null;
  return checks.filter((_, i) => !results[i]).map((c) => c.what);
}
