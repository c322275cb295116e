/**
 * Socket and request accounting for the drain, at the `http.Server` level so it sees every request
 * (probes, 404s, requests refused before routing) whatever the framework does.
 *
 * Why not `server.close()`: on Node 20 it also calls `closeIdleConnections()`, which destroys idle
 * keep-alive sockets at once; a client that picked such a socket from its pool a moment earlier
 * gets ECONNRESET (cloud-run-and-drain.md §3). Instead the listener is closed with
 * `net.Server.prototype.close` and idle sockets are ended gracefully after a quiet period.
 */
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface SocketState {
  inFlight: number;
  /**
   * Responses on this socket whose request has arrived and that have not closed (more than one
   * only when the client pipelines), so `markDraining` can still add `Connection: close`.
   */
  readonly responses: ServerResponse[];
  endTimer: unknown;
  ended: boolean;
  /** Set while reading is held back after a shed request (`holdBack`). */
  holdTimer: unknown;
}

export interface ConnectionStats {
  /** Requests whose response finished since the drain began. */
  readonly finishedDuringDrain: number;
  readonly inFlight: number;
  readonly sockets: number;
}

export interface ConnectionTracker {
  readonly inFlight: number;
  stats(): ConnectionStats;
  /** From now on every response not yet started carries `Connection: close`. */
  markDraining(): void;
  /** Stops accepting new connections without touching existing sockets. */
  stopAccepting(): void;
  /**
   * Ends (FIN, not RST) every socket that stays idle for `quietMs`; sockets that become idle later
   * get the same treatment. A request arriving during the quiet period is served or refused
   * normally, and its response closes the socket.
   */
  endIdleSockets(quietMs: number): void;
  /** Resolves once no request is in flight and no idle socket is waiting to be ended. */
  whenQuiet(): Promise<void>;
  /** Destroys every remaining socket; returns how many requests were still in flight. */
  destroyAll(): number;
  /**
   * Reads nothing more from `socket` for between `ms`/2 and `ms` (uniformly drawn): the client's
   * next request waits in its own socket, unread and unlost. For a connection whose request was
   * just shed: a client that retries at once, ignoring `Retry-After`, would otherwise make an
   * overloaded instance spend the CPU it needs to catch up on refusing it again. Drawn, not
   * fixed: connections shed in one burst (a connection storm) released in the same millisecond
   * would come back as one burst a turn long, every `ms`, and a liveness probe that met it would
   * wait behind it (docs/benchmarks.md). Ignored while draining; `markDraining`
   * releases every held socket, so a request waiting in one is read and refused with the
   * drain's 503 rather than lost when the idle socket is ended.
   */
  holdBack(socket: Socket, ms: number): void;
  /** Sockets held back now. */
  readonly heldBack: number;
}

export function trackConnections(server: Server, timers: Timers = realTimers): ConnectionTracker {
  // Per-request state lives in arrays on each socket's state, not in a Set of responses: a
  // long-lived Set (or Map) with an add and a delete per request is garbage collection's worst
  // case. Each time its hash table fills with deleted entries V8 moves it to a new table and the
  // old one keeps a link to it; once a full GC has moved one table to the old generation, every
  // later table, and the responses in it (header strings and all), outlives the scavenges that
  // should have freed them, until the next full GC (measured: docs/benchmarks.md). Connections
  // come and go far less often than requests, so the socket Map stays.
  const sockets = new Map<Socket, SocketState>();
  let inFlight = 0;
  let draining = false;
  let quietMs: number | null = null;
  let pendingEnds = 0;
  let finishedDuringDrain = 0;
  let quietWaiters: (() => void)[] = [];

  const settle = (): void => {
    if (inFlight === 0 && pendingEnds === 0 && quietWaiters.length > 0) {
      const waiters = quietWaiters;
      quietWaiters = [];
      for (const w of waiters) w();
    }
  };

  let heldBack = 0;
  const release = (socket: Socket, st: SocketState): void => {
    if (st.holdTimer === undefined) return;
    timers.clearTimeout(st.holdTimer);
    st.holdTimer = undefined;
    heldBack--;
    if (!socket.destroyed) socket.resume();
  };

  const cancelEnd = (st: SocketState): void => {
    if (st.endTimer !== undefined) {
      timers.clearTimeout(st.endTimer);
      st.endTimer = undefined;
      pendingEnds--;
    }
  };

  const scheduleEnd = (socket: Socket, st: SocketState): void => {
    if (quietMs === null || st.ended || st.inFlight > 0 || st.endTimer !== undefined) return;
    if (socket.destroyed) return;
    pendingEnds++;
    st.endTimer = timers.setTimeout(() => {
      st.endTimer = undefined;
      pendingEnds--;
      if (st.inFlight === 0 && !socket.destroyed) {
        st.ended = true;
        socket.end();
      }
      settle();
    }, quietMs);
  };

  const track = (socket: Socket): SocketState => {
    const st: SocketState = {
      inFlight: 0,
      responses: [],
      endTimer: undefined,
      ended: false,
      holdTimer: undefined,
    };
    sockets.set(socket, st);
    socket.once('close', () => {
      release(socket, st);
      cancelEnd(st);
      sockets.delete(socket);
      settle();
    });
    return st;
  };

  server.on('connection', (socket: Socket) => {
    const st = track(socket);
    // A connection that slipped in just before the listener closed is idle too.
    if (quietMs !== null) scheduleEnd(socket, st);
  });

  // Prepended so the count and the Connection header are in place before any handler runs.
  server.prependListener('request', (req, res) => {
    const socket = req.socket;
    // A socket handed to the server without a 'connection' event is tracked from its first request.
    const st = sockets.get(socket) ?? track(socket);
    inFlight++;
    st.inFlight++;
    cancelEnd(st);
    if (draining) res.setHeader('Connection', 'close');
    else st.responses.push(res);
    res.once('close', () => {
      inFlight--;
      if (draining && res.writableFinished) finishedDuringDrain++;
      const i = st.responses.indexOf(res);
      if (i !== -1) st.responses.splice(i, 1);
      st.inFlight--;
      if (st.inFlight === 0) scheduleEnd(socket, st);
      settle();
    });
  });

  return {
    get inFlight() {
      return inFlight;
    },
    stats: () => ({ finishedDuringDrain, inFlight, sockets: sockets.size }),
    get heldBack() {
      return heldBack;
    },
    holdBack(socket: Socket, ms: number) {
      if (draining || ms <= 0) return;
      // Paused on the next check phase, not now: when a response finishes before its request
      // body was read (a request shed before its body), Node dumps the body, and the dump
      // resumes the socket on a later tick. The check phase comes after those ticks and before
      // the next I/O poll, so no request is read in between.
      setImmediate(() => {
        const st = sockets.get(socket);
        if (draining || !st || st.holdTimer !== undefined || socket.destroyed) return;
        socket.pause();
        heldBack++;
        st.holdTimer = timers.setTimeout(
          () => release(socket, st),
          ms * (0.5 + 0.5 * Math.random()),
        );
      });
    },
    markDraining() {
      draining = true;
      for (const [socket, st] of sockets) {
        release(socket, st);
        for (const res of st.responses) {
          if (!res.headersSent) res.setHeader('Connection', 'close');
        }
        st.responses.length = 0;
      }
    },
    stopAccepting() {
      if (server.listening) NetServer.prototype.close.call(server);
    },
    endIdleSockets(ms: number) {
      quietMs = ms;
      for (const [socket, st] of sockets) scheduleEnd(socket, st);
    },
    whenQuiet() {
      return new Promise<void>((resolve) => {
        quietWaiters.push(resolve);
        settle();
      });
    },
    destroyAll() {
      const abandoned = inFlight;
      for (const [socket, st] of sockets) {
        release(socket, st);
        cancelEnd(st);
        socket.destroy();
      }
      return abandoned;
    },
  };
}
