/**
 * Raw HTTP/1.1 over `node:net`, for requests no well-behaved client will send: huge headers,
 * lying Content-Length, broken chunked encoding, invalid request lines. `rawExchange` writes the
 * bytes on a fresh socket and reads one final response (1xx interim responses are skipped),
 * however the server frames it (Content-Length, chunked, or until close); the socket is handed
 * back so the caller can see whether the server closed it or it still serves a next request.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawExchange {
  /** null when the server closed the socket (or the timeout passed) before a whole response. */
  readonly response: RawResponse | null;
  readonly socket: net.Socket;
  /** Whether the socket had closed by the time the response was read. */
  readonly closed: boolean;
}

/** One parsed response at the start of `buf`, and the bytes it used; null while incomplete. */
function parseResponse(
  buf: Buffer,
  ended: boolean,
): { response: RawResponse; used: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const status = Number(statusLine.split(' ')[1]);
  let at = end + 4;
  if (status >= 100 && status < 200) return { response: { status, headers, body: '' }, used: at };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return null;
      if (buf.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) {
        at = lineEnd + 4;
        break;
      }
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return { response: { status, headers, body: Buffer.concat(parts).toString('utf8') }, used: at };
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    if (buf.length < at + n) return null;
    return {
      response: { status, headers, body: buf.subarray(at, at + n).toString('utf8') },
      used: at + n,
    };
  }
  // Neither framing: the body runs to the close.
  if (!ended) return null;
  return {
    response: { status, headers, body: buf.subarray(at).toString('utf8') },
    used: buf.length,
  };
}

/** Writes `payload` on a new connection to 127.0.0.1:`port` and reads one final response. */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  timeoutMs = 5000,
): Promise<RawExchange> {
  const socket = net.connect(port, '127.0.0.1');
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(exchangeOn(socket, payload, timeoutMs));
    });
  });
}

/**
 * Writes `payload` on an open `socket` (a keep-alive connection from `rawExchange`) and reads
 * one final response.
 */
export function exchangeOn(
  socket: net.Socket,
  payload: string | Buffer,
  timeoutMs = 5000,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let closed = socket.destroyed;
    let settled = false;
    const finish = (response: RawResponse | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ response, socket, closed });
    };
    const tryParse = (ended: boolean) => {
      for (;;) {
        const parsed = parseResponse(buf, ended);
        if (parsed === null) return ended ? finish(null) : undefined;
        buf = buf.subarray(parsed.used);
        if (parsed.response.status >= 200) return finish(parsed.response);
      }
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      tryParse(false);
    };
    const onClose = () => {
      closed = true;
      tryParse(true);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('data', onData);
    // A reset after the server's answer is still an answer: keep what arrived.
    socket.on('error', () => undefined);
    socket.once('close', onClose);
    if (closed) onClose();
    else socket.write(payload);
  });
}

/** Resolves true once `socket` closes, false if it is still open after `timeoutMs`. */
export function closesWithin(socket: net.Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed || socket.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(false);
    }, timeoutMs);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', onClose);
  });
}
