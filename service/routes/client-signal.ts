import type { FastifyReply } from 'fastify';

/**
 * An `AbortSignal` that fires when the client goes away before its response is written: the
 * response's `close` comes before `finish` only when the connection closed under it. Queued
 * texts watch it so a disconnected client's text is dropped instead of scored.
 */
export function clientClosedSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
