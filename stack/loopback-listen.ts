/**
 * Preloaded (`node --import`) into the local stack's Functions Framework process so that its
 * server listens on 127.0.0.1 only: in the local stack healthSweep runs without OIDC, so on all
 * interfaces anyone on the network could trigger sweeps or forge schedule slots.
 *
 * Why a preload: the framework's entry (`main.js`) calls `server.listen(port, callback)` and has
 * no host option (5.0.5: no flag, no env variable), and running its entry keeps everything it does
 * around the server (option parsing, the loader, its signal and crash handlers). So a
 * `listen(port[, callback])` without a host gets `127.0.0.1`; a call that names a host, a path or
 * an options object is left alone. Nothing else in that process listens.
 */
import { Server } from 'node:http';
import { LOOPBACK_HOST } from './children.js';

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]) {
  const [port, second] = args;
  const portOnly = typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port));
  if (portOnly && (args.length === 1 || typeof second === 'function')) {
    return Reflect.apply(listen, this, [Number(port), LOOPBACK_HOST, ...args.slice(1)]) as Server;
  }
  return Reflect.apply(listen, this, args) as Server;
} as Server['listen'];
