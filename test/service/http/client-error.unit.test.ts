/**
 * The client-error handler's guards, which no real client can reach on purpose: a socket that
 * can no longer be written, and one whose current response is already under way (a test double
 * stands in for the socket; the answers themselves are checked through real sockets in the
 * bad-input table).
 */
import type { Socket } from 'node:net';
import test from 'ava';
import pino from 'pino';
import { clientError, clientErrorHandler } from '../../../service/http/client-error.js';

const LIMITS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };

function handler() {
  return clientErrorHandler({
    instanceId: 'test-rev-00000001',
    ...LIMITS,
    securityHeaders: { 'cache-control': 'no-store' },
    log: pino({ level: 'silent' }),
  });
}

/** A socket test double recording writes and destruction. */
function fakeSocket(state: { writable: boolean; destroyed?: boolean; headersSent?: boolean }) {
  const writes: string[] = [];
  let destroyed = state.destroyed ?? false;
  const socket = {
    get writable() {
      return state.writable;
    },
    get destroyed() {
      return destroyed;
    },
    write(data: string) {
      writes.push(data);
      return true;
    },
    destroy() {
      destroyed = true;
    },
    ...(state.headersSent === undefined
      ? {}
      : { _httpMessage: { headersSent: state.headersSent } }),
  };
  return { socket: socket as unknown as Socket, writes, isDestroyed: () => destroyed };
}

const parseError = Object.assign(new Error('Parse Error: Invalid method encountered'), {
  code: 'HPE_INVALID_METHOD',
});

test('client errors: a writable socket with no response under way gets the 400 answer, then is destroyed (test double: socket)', (t) => {
  const s = fakeSocket({ writable: true });
  handler()(parseError, s.socket);
  t.is(s.writes.length, 1);
  t.regex(s.writes[0] ?? '', /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.regex(s.writes[0] ?? '', /"code":"SVC_ERR_MALFORMED_HTTP"/);
  t.true(s.isDestroyed());
});

test('client errors: with a response already under way on the socket, nothing is written and the socket is destroyed (test double: socket)', (t) => {
  const s = fakeSocket({ writable: true, headersSent: true });
  handler()(parseError, s.socket);
  t.deepEqual(s.writes, []);
  t.true(s.isDestroyed());
});

test('client errors: a socket that cannot be written is destroyed without a write (test double: socket)', (t) => {
  const s = fakeSocket({ writable: false });
  handler()(parseError, s.socket);
  t.deepEqual(s.writes, []);
  t.true(s.isDestroyed());
});

test('client errors: a reset or already destroyed socket is left alone (test double: socket)', (t) => {
  const reset = fakeSocket({ writable: true });
  handler()(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), reset.socket);
  t.deepEqual(reset.writes, []);
  const gone = fakeSocket({ writable: true, destroyed: true });
  handler()(parseError, gone.socket);
  t.deepEqual(gone.writes, []);
});

test('client errors: the timeout message names both limits with their values', (t) => {
  const e = clientError(
    Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
    LIMITS,
  );
  t.is(e.code, 'SVC_ERR_REQUEST_TIMEOUT');
  t.is(e.statusCode, 408);
  t.regex(e.message, /HEADERS_TIMEOUT_MS \(1000 ms\).*REQUEST_TIMEOUT_MS \(2000 ms\)/);
});
