/**
 * The graceful drain, sized for Cloud Run's 10 s between SIGTERM and SIGKILL.
 *
 * Order (the service-foundation issue fixes it; the tests in test/service/lifecycle prove it):
 *  1. state → draining: `/health/ready` answers 503; responses not yet started get
 *     `Connection: close`;
 *  2. optional pre-close delay (Kubernetes: endpoints take seconds to update), still serving;
 *  3. the listener closes without touching existing sockets; new requests on them get 503
 *     `SVC_ERR_DRAINING` + `Connection: close`; idle sockets are ended after a quiet period;
 *  4. in-flight requests finish, up to `timeoutMs`; whatever remains is destroyed and counted as
 *     abandoned;
 *  5. shutdown handlers run in order, each bounded and try/catch-logged;
 *  6. exit 0 when everything drained and every handler succeeded, else 1.
 *
 * A second signal exits 1 at once. Fatal errors (uncaughtException, unhandledRejection) take the
 * same path and exit 1. Every effect (timers, exit, clock) is injected, so unit tests drive the
 * drainer without killing the test process.
 */
import type { Logger } from '../../lib/logger.js';
import { type ConnectionTracker, realTimers, type Timers } from './connections.js';
import type { Lifecycle } from './state.js';

/** A step run after the drain, such as closing the model or flushing logs. */
export interface ShutdownHandler {
  readonly name: string;
  run(): Promise<void> | void;
}

export interface DrainBudgets {
  readonly preCloseDelayMs: number;
  readonly timeoutMs: number;
  /** Total for all handlers; each gets an equal share of what is left when it starts. */
  readonly handlersTimeoutMs: number;
  /** How long an idle socket must stay idle before it is ended. At most 100 ms. */
  readonly idleQuietMs?: number;
}

export interface DrainerDeps {
  readonly lifecycle: Lifecycle;
  readonly connections: ConnectionTracker;
  readonly budgets: DrainBudgets;
  readonly handlers: readonly ShutdownHandler[];
  readonly log: Logger;
  readonly terminate: (code: number) => void;
  /** Told how many in-flight requests the deadline cut (for `requests_abandoned_total`). */
  readonly onAbandoned?: (count: number) => void;
  readonly timers?: Timers;
  readonly now?: () => number;
}

export type DrainReason =
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'error'; readonly error: unknown; readonly origin: string };

export interface DrainResult {
  readonly exitCode: number;
  readonly drained: number;
  readonly refused: number;
  readonly abandoned: number;
  readonly failedHandlers: readonly string[];
  readonly durationMs: number;
}

export interface Drainer {
  /** Starts the drain; a second call exits 1 at once. Resolves after `terminate` was called. */
  drain(reason: DrainReason): Promise<DrainResult | null>;
  readonly draining: boolean;
}

export const DEFAULT_IDLE_QUIET_MS = 100;

class HandlerTimeout extends Error {}

export function createDrainer(deps: DrainerDeps): Drainer {
  const { lifecycle, connections, budgets, handlers, log, terminate } = deps;
  const timers: Timers = deps.timers ?? realTimers;
  const now = deps.now ?? Date.now;
  let started = false;
  let terminated = false;

  const exit = (code: number): void => {
    if (terminated) return;
    terminated = true;
    terminate(code);
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      timers.setTimeout(resolve, ms);
    });

  const runHandler = async (handler: ShutdownHandler, budgetMs: number): Promise<void> => {
    let timer: unknown;
    try {
      await Promise.race([
        Promise.resolve().then(() => handler.run()),
        new Promise<never>((_, reject) => {
          timer = timers.setTimeout(
            () => reject(new HandlerTimeout(`did not finish within ${Math.round(budgetMs)} ms`)),
            budgetMs,
          );
        }),
      ]);
    } finally {
      timers.clearTimeout(timer);
    }
  };

  const drain = async (reason: DrainReason): Promise<DrainResult | null> => {
    if (started) {
      log.warn(
        { event: 'drain.forced', reason: describe(reason) },
        'second shutdown request while draining; exiting now',
      );
      exit(1);
      return null;
    }
    started = true;
    const t0 = now();
    const inFlightAtStart = connections.inFlight;
    lifecycle.beginDrain();
    connections.markDraining();
    log.info(
      {
        event: 'drain.started',
        reason: describe(reason),
        inFlight: inFlightAtStart,
        preCloseDelayMs: budgets.preCloseDelayMs,
        timeoutMs: budgets.timeoutMs,
      },
      'drain started',
    );

    if (budgets.preCloseDelayMs > 0) await sleep(budgets.preCloseDelayMs);

    lifecycle.beginClosing();
    connections.stopAccepting();
    connections.endIdleSockets(Math.min(budgets.idleQuietMs ?? DEFAULT_IDLE_QUIET_MS, 100));

    let deadline: unknown;
    const finished = await Promise.race([
      connections.whenQuiet().then(() => true),
      new Promise<boolean>((resolve) => {
        deadline = timers.setTimeout(() => resolve(false), budgets.timeoutMs);
      }),
    ]);
    timers.clearTimeout(deadline);
    // Sockets ended gracefully may still wait for the client's FIN; nothing is in flight on them.
    const abandoned = connections.destroyAll();
    if (abandoned > 0) deps.onAbandoned?.(abandoned);
    const stats = connections.stats();
    const refused = lifecycle.refused;
    const drained = Math.max(0, stats.finishedDuringDrain - refused);
    const drainMs = now() - t0;
    const fields = { event: 'drain.completed', drained, refused, abandoned, durationMs: drainMs };
    if (finished) log.info(fields, 'drain completed');
    else log.warn(fields, `drain deadline reached; ${abandoned} in-flight request(s) abandoned`);

    const failedHandlers: string[] = [];
    const handlersStart = now();
    for (let i = 0; i < handlers.length; i++) {
      const handler = handlers[i] as ShutdownHandler;
      const left = budgets.handlersTimeoutMs - (now() - handlersStart);
      const share = Math.max(0, left) / (handlers.length - i);
      try {
        await runHandler(handler, share);
      } catch (error) {
        failedHandlers.push(handler.name);
        log.error(
          {
            event: 'shutdown.handler.failed',
            handler: handler.name,
            timedOut: error instanceof HandlerTimeout,
            err: error,
          },
          `shutdown handler ${handler.name} failed`,
        );
      }
    }

    const clean = abandoned === 0 && failedHandlers.length === 0 && reason.kind === 'signal';
    const result: DrainResult = {
      exitCode: clean ? 0 : 1,
      drained,
      refused,
      abandoned,
      failedHandlers,
      durationMs: now() - t0,
    };
    log.info(
      { event: 'shutdown.completed', exitCode: result.exitCode, durationMs: result.durationMs },
      'shutdown completed',
    );
    exit(result.exitCode);
    return result;
  };

  return {
    drain,
    get draining() {
      return started;
    },
  };
}

function describe(reason: DrainReason): string {
  return reason.kind === 'signal' ? reason.signal : reason.origin;
}

/** The process-facing side: signals and fatal errors start (or force) the drain. */
export interface ProcessLike {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export function installDrainTriggers(proc: ProcessLike, drainer: Drainer, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    void drainer.drain({ kind: 'signal', signal });
  };
  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);
  const onFatal = (error: unknown, origin: string): void => {
    log.fatal({ event: 'process.fatal', origin, err: error }, `${origin}; draining and exiting 1`);
    void drainer.drain({ kind: 'error', error, origin });
  };
  proc.on('uncaughtException', (error, origin) => onFatal(error, origin));
  proc.on('unhandledRejection', (reason) => onFatal(reason, 'unhandledRejection'));
}
