/**
 * A minimal real HTTP target for sweeps, on port 0: under any base path it answers
 * `<base>/health/live` 200, `<base>/health` `{"status":"healthy"}` and `<base>/metrics` an empty
 * Prometheus text, and records every request's path and Authorization header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface SweepTargetServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startSweepTarget(): Promise<SweepTargetServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, authorization: req.headers.authorization });
    if (path.endsWith('/health/live')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path.endsWith('/health')) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"status":"healthy","checks":{}}');
    } else if (path.endsWith('/metrics')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens (connections are refused at once). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
