import type { FastifyReply } from 'fastify';
import type { CancelSignal } from './batcher.js';

/**
 * Reads aborted once the client's connection has closed (a destroyed response destroys its
 * socket too). The batcher reads it when it assembles a run, so a disconnected client's queued
 * text is dropped instead of scored.
 *
 * Nothing is registered per request: no AbortController (a large share of the bytes promoted to
 * the old generation under overload) and no `close` listener, which kept every request's objects
 * alive across scavenges (see `CancelSignal`). It holds the socket, not the response: a signal
 * closing over `reply.raw`, queued with its text, did the same (docs/benchmarks.md).
 */
export function clientClosedSignal(reply: FastifyReply): CancelSignal {
  const socket = reply.request.raw.socket;
  return {
    get aborted() {
      return socket.destroyed;
    },
  };
}
