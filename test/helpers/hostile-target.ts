/**
 * Sweep targets that misbehave, as real HTTP servers on 127.0.0.1, port 0 (issue 16): each of
 * `/health/live`, `/health` and `/metrics` is answered by a handler, by default the way the
 * service answers (`healthy()` counters per instance, a healthy /health). The handlers below are
 * the hostile answers: an endless body, a dripping one, a given text, a given /health status.
 * A handler's `stats` record what the server did, so a test can tell that the sweep stopped
 * reading (the connection closed before an endless body could end).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HandlerStats {
  /** Requests this handler answered. */
  requests: number;
  /** Body bytes written, over all requests. */
  bytesWritten: number;
  /** Responses whose connection closed before the body was complete. */
  closedEarly: number;
}

export type Handler = ((req: http.IncomingMessage, res: http.ServerResponse) => void) & {
  readonly stats: HandlerStats;
};

function handler(fn: (res: http.ServerResponse, stats: HandlerStats) => void): Handler {
  const stats: HandlerStats = { requests: 0, bytesWritten: 0, closedEarly: 0 };
  return Object.assign(
    (_req: http.IncomingMessage, res: http.ServerResponse) => {
      stats.requests++;
      res.on('close', () => {
        if (!res.writableFinished) stats.closedEarly++;
      });
      fn(res, stats);
    },
    { stats },
  );
}

const PROM = { 'content-type': 'text/plain; version=0.0.4' };

/** A fixed answer. */
export function text(body: string, headers: Record<string, string> = PROM, status = 200): Handler {
  return handler((res, stats) => {
    stats.bytesWritten += Buffer.byteLength(body);
    res.writeHead(status, headers).end(body);
  });
}

/** `/health` JSON with this status (any string, of any length) and no checks. */
export function healthStatus(status: string, code = 200): Handler {
  return text(JSON.stringify({ status, checks: {} }), { 'content-type': 'application/json' }, code);
}

/**
 * The service's counters for one instance, growing by `perScrape` requests (1 in 10 a 5xx) at
 * every scrape, with a latency histogram, and `X-Instance-Id`: what a healthy target exposes.
 */
export function counters(instance: string, perScrape = 10): Handler {
  let scrapes = 0;
  return handler((res, stats) => {
    scrapes++;
    const n = scrapes * perScrape;
    const body = [
      '# TYPE http_requests_total counter',
      `http_requests_total{instance="${instance}",route="/predict",status_class="2xx"} ${n - scrapes}`,
      `http_requests_total{instance="${instance}",route="/predict",status_class="5xx"} ${scrapes}`,
      '# TYPE http_request_duration_seconds histogram',
      `http_request_duration_seconds_bucket{instance="${instance}",route="/predict",le="0.1"} ${n}`,
      `http_request_duration_seconds_bucket{instance="${instance}",route="/predict",le="+Inf"} ${n}`,
      '',
    ].join('\n');
    stats.bytesWritten += Buffer.byteLength(body);
    res.writeHead(200, { ...PROM, 'x-instance-id': instance }).end(body);
  });
}

/**
 * A body that never ends: `line(n)` for n = 0, 1, … as fast as the client reads (backpressure is
 * honoured, so the server never buffers more than a socket's worth), until the client closes.
 */
export function endless(line: (n: number) => string, headers: Record<string, string> = PROM) {
  return handler((res, stats) => {
    res.writeHead(200, headers);
    let n = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const pump = () => {
      while (!closed) {
        const chunk = Array.from({ length: 64 }, () => line(n++)).join('');
        stats.bytesWritten += Buffer.byteLength(chunk);
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Headers at once, then `chunk` every `intervalMs`, forever: never idle, never done. */
export function drip(intervalMs = 50, chunk = '#\n', headers: Record<string, string> = PROM) {
  return handler((res, stats) => {
    res.writeHead(200, headers);
    const timer = setInterval(() => {
      stats.bytesWritten += chunk.length;
      res.write(chunk);
    }, intervalMs);
    res.on('close', () => clearInterval(timer));
  });
}

export interface TargetServer {
  readonly url: string;
  readonly handlers: {
    readonly live: Handler;
    readonly health: Handler;
    readonly metrics: Handler;
  };
  close(): Promise<void>;
}

/** A target whose probe paths are answered by the given handlers (defaults: healthy). */
export async function serveTarget(
  handlers: { live?: Handler; health?: Handler; metrics?: Handler } = {},
  instance = 'healthy-00001',
): Promise<TargetServer> {
  const routes = {
    live: handlers.live ?? text('ok', { 'content-type': 'text/plain' }),
    health: handlers.health ?? healthStatus('healthy'),
    metrics: handlers.metrics ?? counters(instance),
  };
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/health/live') routes.live(req, res);
    else if (path === '/health') routes.health(req, res);
    else if (path === '/metrics') routes.metrics(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handlers: routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `process_cpu_seconds_total{pad="ppp…"} 1` lines of about `size` bytes: the 200 MB body. */
export const padLine = (size = 1000) => {
  const line = `process_cpu_seconds_total{pad="${'p'.repeat(Math.max(1, size - 40))}"} 1\n`;
  return () => line;
};

/** A new instance on every line: `http_requests_total{instance="i<n>"} 1`. */
export const newInstanceLine = (n: number) =>
  `http_requests_total{instance="i${n}",route="/predict",status_class="2xx"} 1\n`;
