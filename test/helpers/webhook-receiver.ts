/**
 * A webhook receiver as a real HTTP server on 127.0.0.1, port 0: it records every request
 * (headers, body, when it arrived) and answers the n-th with the n-th answer (the last one
 * repeats). Answers: a status with a body, one that never answers, and the hostile bodies of
 * hostile-target.ts (any `(req, res)` handler).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the body had arrived. */
  readonly at: number;
}

export type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Receiver {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Answers with `status`, `body` and `headers`. */
export function status(code: number, body = '', headers: Record<string, string> = {}): Answer {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain', ...headers }).end(body);
  };
}

/** Never answers: headers never come, until the client gives up. */
export const hang: Answer = () => {};

export async function serveReceiver(answers: readonly Answer[]): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      });
      const answer = answers[Math.min(n, answers.length - 1)] ?? status(200);
      answer(req, res);
    });
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
