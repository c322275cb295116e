/**
 * A keep-alive HTTP/1.1 client over raw sockets that classifies every request's outcome exactly,
 * which autocannon cannot: it counts a refused reconnect as an error, but a refused *new*
 * connection during a drain is correct behaviour. Classes:
 *  - ok: 200 with the whole body;
 *  - closed503: 503 carrying `Connection: close` (the drain refusing politely);
 *  - refused: ECONNREFUSED on a new connection (allowed; the client retries elsewhere);
 *  - reset: the connection failed after the request was sent (failure);
 *  - truncated: the response started but its body was cut (failure);
 *  - other: any other status (failure).
 */
import net from 'node:net';

export type OutcomeClass = 'ok' | 'closed503' | 'refused' | 'reset' | 'truncated' | 'other';

export interface Outcome {
  readonly kind: OutcomeClass;
  readonly at: number;
  readonly startedAt: number;
}

export class KeepAliveConnection {
  #socket: net.Socket | null = null;
  #serverClosed = false;

  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
  ) {}

  async #ensure(): Promise<net.Socket | 'refused'> {
    if (this.#socket && !this.#serverClosed && !this.#socket.destroyed) return this.#socket;
    this.#socket?.destroy();
    this.#serverClosed = false;
    return new Promise((resolve) => {
      const s = net.connect(this.port, this.host);
      s.setNoDelay(true);
      s.once('connect', () => {
        s.removeAllListeners('error');
        s.on('error', () => {});
        s.on('end', () => {
          this.#serverClosed = true;
        });
        this.#socket = s;
        resolve(s);
      });
      s.once('error', () => resolve('refused'));
    });
  }

  async post(path: string, json: unknown): Promise<Outcome> {
    const startedAt = performance.now();
    const s = await this.#ensure();
    if (s === 'refused') return { kind: 'refused', at: performance.now(), startedAt };
    const body = JSON.stringify(json);
    return new Promise<Outcome>((resolve) => {
      let buf = Buffer.alloc(0);
      let headerEnd = -1;
      let status = 0;
      let length = -1;
      let close = false;
      const finish = (kind: OutcomeClass) => {
        s.off('data', onData);
        s.off('close', onClose);
        if (close) {
          this.#serverClosed = true;
          s.end();
        }
        resolve({ kind, at: performance.now(), startedAt });
      };
      const onData = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (headerEnd < 0) {
          headerEnd = buf.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const head = buf.subarray(0, headerEnd).toString('latin1').split('\r\n');
          status = Number(head[0]?.split(' ')[1]);
          for (const h of head.slice(1)) {
            const i = h.indexOf(':');
            const name = h.slice(0, i).trim().toLowerCase();
            const value = h
              .slice(i + 1)
              .trim()
              .toLowerCase();
            if (name === 'content-length') length = Number(value);
            if (name === 'connection' && value === 'close') close = true;
          }
        }
        if (length >= 0 && buf.length - headerEnd - 4 >= length) {
          if (status === 200) finish('ok');
          else if (status === 503 && close) finish('closed503');
          else finish('other');
        }
      };
      const onClose = () => finish(headerEnd >= 0 ? 'truncated' : 'reset');
      s.on('data', onData);
      s.once('close', onClose);
      s.write(
        `POST ${path} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  destroy(): void {
    this.#socket?.destroy();
  }
}
