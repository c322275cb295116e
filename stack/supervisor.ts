/**
 * The local stack (`npm start`): the service, healthSweep, alertIngest and alertTick as child
 * processes (stack/functions.ts), the alert flow's Pub/Sub (stack/alert-flow.ts: the emulator, its
 * topology, the Eventarc relay), and a local Cloud Scheduler calling healthSweep and alertTick
 * (whose tick watches the sweeper's heartbeat), under one supervisor.
 *
 * Start: check the ports (a taken one fails before anything starts), the sweep targets and the
 * store (opened and migrated here, so the functions' first calls never race a migration), start
 * the alert flow, spawn the children, wait until the service is ready and the functions listen,
 * print the URL table, then start the scheduler's two jobs (each one's first call is the current
 * slot). SIGUSR2 pauses and resumes the sweeps only, so the ticks go on and SweeperAbsent fires.
 *
 * Stop, on SIGINT, SIGTERM or SIGHUP: stop the scheduler; give the children 300 ms
 * to show they got the signal themselves (a Ctrl-C in a terminal reaches the whole process group:
 * a second signal would make the service give up its drain and exit 1), then SIGTERM the ones
 * that did not; SIGKILL whatever still runs 12 s after the signal. Further signals while stopping
 * are ignored (npm forwards the Ctrl-C the terminal already delivered, so two arrive at once); a
 * second Ctrl-C still hard-stops the service, which receives it from the terminal directly.
 *
 * The relay and the emulator stop after the children.
 *
 * A child that exits on its own stops the stack: the others are stopped the same way, and the
 * supervisor exits with the child's code (1 if it had none).
 */

import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { TOPICS } from '../alerts/pubsub/topology.js';
import { openStore, parseStoreUrl } from '../alerts/store/open.js';
import { StoreError, type TrendStore } from '../alerts/store/store.js';
import { loadTargets, TargetError } from '../alerts/sweep/targets.js';
import { EXIT_CONFIG } from '../lib/config/problems.js';
import { createLogger } from '../lib/logger.js';
import { redactUrl } from '../lib/redact.js';
import { type AlertFlow, AlertFlowError, startAlertFlow } from './alert-flow.js';
import { spawnChild } from './child.js';
import { describeExit, functionsFrameworkMain, LOOPBACK_HOST, stoppedAsAsked } from './children.js';
import type { StackConfig } from './config.js';
import {
  STACK_ERR_CHILD_EXITED,
  STACK_ERR_NOT_READY,
  STACK_ERR_PUBSUB,
  STACK_EXIT,
  StackError,
} from './errors.js';
import { spawnStackFunctions } from './functions.js';
import { createOutput } from './output.js';
import { claimPorts } from './ports.js';
import { httpOk, reachable, sleep, tcpOpen, waitAllReady } from './readiness.js';
import {
  createLocalScheduler,
  LOCAL_SWEEP_JOB,
  LOCAL_TICK_JOB,
  type LocalScheduler,
  TICK_FUNCTION,
} from './scheduler.js';
import { stopChildren } from './stop-children.js';
import { renderStackTable } from './table.js';

/** The stack's own files (the emulator's log), relative to the working directory. */
export const STATE_DIR = '.runwatch';
/** How long the children get to come up (the service loads and warms its model). */
export const READY_TIMEOUT_MS = 60_000;
/** After a stop signal, how long children get to show they received it themselves. */
export const SIGNAL_SETTLE_MS = 300;
/** From the stop signal to SIGKILL for any child still running (the stack exits within 15 s). */
export const STOP_KILL_AFTER_MS = 12_000;
/** The service's DRAIN_TIMEOUT_MS unless set: Cloud Run's budget, inside the stop budget. */
export const SERVICE_DRAIN_TIMEOUT_MS = 8_000;

export interface ProcessLike {
  readonly pid: number;
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
}

export interface StackOptions {
  readonly config: StackConfig;
  readonly proc: ProcessLike;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Pretty, coloured log lines (stdout is a terminal). */
  readonly isTTY: boolean;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
type StopReason =
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'failure'; readonly exitCode: number };

/** Runs the stack until it stops; resolves with the exit code. */
export async function runStack(opts: StackOptions): Promise<number> {
  const { config } = opts;
  const out = createOutput({ stdout: opts.stdout, stderr: opts.stderr, pretty: opts.isTTY });
  const log = createLogger({
    level: config.logLevel,
    base: { component: 'stack' },
    destination: { write: (s: string) => out.line('stack', s.replace(/\n$/, '')) },
  });
  /** A failure the user must act on: a log line, and the plain message on stderr. */
  const fail = (code: string, message: string, fields: Record<string, unknown> = {}) => {
    log.error({ event: 'stack.failed', code, ...fields }, message);
    opts.stderr.write(`runwatch stack: ${message}\n`);
  };

  let stopReason: StopReason | null = null;
  let resolveStop: (r: StopReason) => void = () => {};
  const stopRequested = new Promise<StopReason>((r) => {
    resolveStop = r;
  });
  const requestStop = (reason: StopReason) => {
    if (stopReason !== null) {
      if (reason.kind === 'signal')
        log.info(
          { event: 'stack.signal_ignored', signal: reason.signal },
          `${reason.signal} while stopping: already stopping`,
        );
      return;
    }
    stopReason = reason;
    resolveStop(reason);
  };
  let scheduler: LocalScheduler | null = null;
  let tickScheduler: LocalScheduler | null = null;
  const onStopSignal = (signal: NodeJS.Signals) => requestStop({ kind: 'signal', signal });
  const onPauseSignal = () => {
    if (scheduler === null || stopReason !== null) return;
    if (scheduler.paused) scheduler.resume();
    else scheduler.pause();
  };
  for (const s of STOP_SIGNALS) opts.proc.on(s, onStopSignal);
  opts.proc.on('SIGUSR2', onPauseSignal);
  const removeSignalHandlers = () => {
    for (const s of STOP_SIGNALS) opts.proc.off(s, onStopSignal);
    opts.proc.off('SIGUSR2', onPauseSignal);
  };

  // 1. Preflight: nothing is started until every check passed.
  let port: number;
  let sweepPort: number;
  let ingestPort: number;
  let tickPort: number;
  try {
    [port, sweepPort, ingestPort, tickPort] = (await claimPorts([
      { variable: 'PORT', port: config.port, host: config.host },
      { variable: 'SWEEP_PORT', port: config.sweepPort, host: LOOPBACK_HOST },
      { variable: 'INGEST_PORT', port: config.ingestPort, host: LOOPBACK_HOST },
      { variable: 'TICK_PORT', port: config.tickPort, host: LOOPBACK_HOST },
    ])) as [number, number, number, number];
  } catch (e) {
    if (!(e instanceof StackError)) throw e;
    fail(e.code, e.message, { variable: e.field });
    removeSignalHandlers();
    return STACK_EXIT.PORT_IN_USE;
  }
  const serviceUrl = `http://${reachable(config.host)}:${port}`;
  const sweepUrl = `http://${LOOPBACK_HOST}:${sweepPort}/`;
  const ingestUrl = `http://${LOOPBACK_HOST}:${ingestPort}/`;
  const tickUrl = `http://${LOOPBACK_HOST}:${tickPort}/`;
  const sweepTargets = config.sweepTargets ?? JSON.stringify([{ name: 'local', url: serviceUrl }]);
  let targets: { name: string; url: string }[];
  let store: TrendStore;
  // Fails here, before anything starts, when the Functions Framework is not installed.
  functionsFrameworkMain();
  try {
    targets = loadTargets('', 'SWEEP_TARGETS', sweepTargets).map((t) => ({
      name: t.name,
      url: t.url,
    }));
    store = await openStore(config.storeUrl, { platform: config.platform });
  } catch (e) {
    if (!(e instanceof TargetError || e instanceof StoreError)) throw e;
    const configProblem =
      e instanceof TargetError ||
      e.code === 'STORE_ERR_URL_INVALID' ||
      e.code === 'STORE_ERR_REFUSED_ON_CLOUD_RUN';
    fail(e.code, e.message);
    removeSignalHandlers();
    return configProblem ? EXIT_CONFIG : STACK_EXIT.FAILED;
  }
  const storeLocation = parseStoreUrl(config.storeUrl, { platform: config.platform });
  if (stopReason !== null) {
    await store.close();
    removeSignalHandlers();
    return STACK_EXIT.STOPPED;
  }

  // The alert flow's Pub/Sub (the emulator, its topology, the relay), before the functions.
  let flow: AlertFlow;
  try {
    flow = await startAlertFlow({
      env: config.env,
      ingestUrl,
      // Beside a SQLite store (so two stacks never share a log), else under STATE_DIR.
      stateDir:
        storeLocation.kind === 'sqlite' && storeLocation.path !== ':memory:'
          ? dirname(resolve(storeLocation.path))
          : resolve(STATE_DIR),
      log,
    });
  } catch (e) {
    if (!(e instanceof AlertFlowError)) throw e;
    await store.close();
    removeSignalHandlers();
    // A Ctrl-C reaches the emulator too: one that dies of it while starting is the stop asked for.
    if (stopReason !== null) return STACK_EXIT.STOPPED;
    fail(STACK_ERR_PUBSUB, e.message);
    return STACK_EXIT.FAILED;
  }
  if (stopReason !== null) {
    await flow.stop().catch(() => {});
    await store.close();
    removeSignalHandlers();
    return STACK_EXIT.STOPPED;
  }
  if (flow.mode === 'in-process') {
    log.warn(
      { event: 'stack.pubsub_off', reason: flow.reason },
      `alert flow in-process, without Pub/Sub: ${flow.reason}`,
    );
  }

  // 2. The children.
  const common: Record<string, string> = {
    METADATA_SERVER_DETECTION: 'none',
    GOOGLE_CLOUD_PROJECT: 'runwatch-local',
  };
  let serviceDraining = false;
  const service = spawnChild({
    name: 'service',
    args: [config.serviceEntry],
    env: {
      ...common,
      // The local stack is a developer's: the service runs its development preset unless told
      // otherwise (in a container without a terminal it would otherwise refuse to guess).
      ENVIRONMENT: 'development',
      DRAIN_TIMEOUT_MS: String(SERVICE_DRAIN_TIMEOUT_MS),
      ...config.env,
      // The service logs JSON to the supervisor, which renders it and watches for drain.started.
      LOG_PRETTY: config.env.LOG_PRETTY ?? 'false',
      PORT: String(port),
      HOST: config.host,
    },
    onLine: (line, stream) => {
      if (stream === 'out' && line.includes('"drain.started"')) serviceDraining = true;
      out.line('service', line, stream);
    },
  });
  const {
    sweep,
    ingest,
    tick,
    all: functions,
  } = spawnStackFunctions({
    config,
    ports: { sweep: sweepPort, ingest: ingestPort, tick: tickPort },
    common,
    flowEnv: flow.childEnv,
    sweepTargets,
    out,
  });
  const children = [service, ...functions];
  // Should the supervisor itself crash, its children must not outlive it.
  const orphanGuard = () => {
    for (const c of children) c.signal('SIGTERM');
  };
  opts.proc.once('exit', orphanGuard);
  for (const c of children) {
    log.info({ event: 'stack.child_started', child: c.name, pid: c.pid }, `${c.name} pid ${c.pid}`);
    void c.exited.then(async (e) => {
      if (stopReason !== null) return;
      // A Ctrl-C reaches the children too; one may exit before our own handler has run.
      await sleep(200);
      if (stopReason !== null) return;
      const message = `${c.name} (pid ${c.pid}) ${describeExit(e)} unexpectedly; stopping the stack`;
      fail(STACK_ERR_CHILD_EXITED, message, { child: c.name, pid: c.pid, exit: e });
      requestStop({
        kind: 'failure',
        exitCode: e.code !== null && e.code !== 0 ? e.code : STACK_EXIT.FAILED,
      });
    });
  }

  // 3. Ready: the service answers /health/ready, the functions listen.
  const notReady = await waitAllReady(
    [
      {
        what: `the service (${serviceUrl}/health/ready)`,
        check: () => httpOk(`${serviceUrl}/health/ready`),
      },
      { what: `healthSweep (port ${sweepPort})`, check: () => tcpOpen(sweepPort) },
      { what: `alertIngest (port ${ingestPort})`, check: () => tcpOpen(ingestPort) },
      { what: `alertTick (port ${tickPort})`, check: () => tcpOpen(tickPort) },
    ],
    READY_TIMEOUT_MS,
    () => stopReason,
    stopRequested,
  );
  if (stopReason === null && notReady !== null && notReady.length > 0) {
    fail(
      STACK_ERR_NOT_READY,
      `${notReady.join(', ')} not ready within ${READY_TIMEOUT_MS / 1000} s; stopping the stack`,
      { notReady },
    );
    requestStop({ kind: 'failure', exitCode: STACK_EXIT.FAILED });
  }
  if (stopReason === null) {
    const pids = {
      stack: opts.proc.pid,
      service: service.pid ?? 0,
      sweep: sweep.pid ?? 0,
      ingest: ingest.pid ?? 0,
      tick: tick.pid ?? 0,
      ...(flow.mode === 'pubsub' && flow.emulator !== null ? { pubsub: flow.emulator.pid } : {}),
    };
    out.raw(
      renderStackTable({
        serviceUrl,
        sweepUrl,
        pids,
        job: LOCAL_SWEEP_JOB,
        intervalMs: config.sweepIntervalMs,
        maxSilenceMs: config.maxSilenceMs,
        targets,
        store: redactUrl(config.storeUrl),
        storeFile: storeLocation.kind === 'sqlite' ? storeLocation.path : null,
        ingestUrl,
        tickUrl,
        tickJob: LOCAL_TICK_JOB,
        pubsub:
          flow.mode === 'pubsub'
            ? {
                host: flow.host,
                pid: flow.emulator?.pid ?? null,
                logFile: flow.emulator?.logFile ?? null,
                topic: TOPICS.ingest,
                relay: flow.pushEndpoint,
              }
            : { off: flow.reason },
      }),
    );
    log.info(
      {
        event: 'stack.ready',
        serviceUrl,
        sweepUrl,
        ingestUrl,
        tickUrl,
        pids,
        pubsub: flow.mode === 'pubsub' ? flow.host : 'off',
        store: redactUrl(config.storeUrl),
        intervalMs: config.sweepIntervalMs,
        maxSilenceMs: config.maxSilenceMs,
      },
      'stack ready',
    );
    scheduler = createLocalScheduler({ url: sweepUrl, intervalMs: config.sweepIntervalMs, log });
    tickScheduler = createLocalScheduler({
      url: tickUrl,
      target: TICK_FUNCTION,
      job: LOCAL_TICK_JOB,
      intervalMs: config.sweepIntervalMs,
      log,
    });
    scheduler.start();
    tickScheduler.start();
  }

  // 4. Stop.
  const reason = await stopRequested;
  const t0 = performance.now();
  log.info(
    { event: 'stack.stopping', reason: reason.kind === 'signal' ? reason.signal : 'failure' },
    reason.kind === 'signal' ? `${reason.signal}: stopping the stack` : 'stopping the stack',
  );
  scheduler?.stop();
  tickScheduler?.stop();
  const killed = await stopChildren({
    service,
    functions,
    serviceDraining: () => serviceDraining,
    signalled: reason.kind === 'signal',
    startedAt: t0,
    settleMs: SIGNAL_SETTLE_MS,
    killAfterMs: STOP_KILL_AFTER_MS,
    log,
  });
  // The emulator last: the functions may publish until they exit.
  await flow.stop().catch((e: unknown) => {
    log.warn({ event: 'stack.pubsub_stop_failed', err: String(e) }, `Pub/Sub stop: ${String(e)}`);
  });
  await store.close().catch(() => {});
  removeSignalHandlers();
  opts.proc.off('exit', orphanGuard);
  const exits = Object.fromEntries(children.map((c) => [c.name, c.exit()]));
  const clean = killed.length === 0 && children.every((c) => stoppedAsAsked(c.exit()));
  const exitCode =
    reason.kind === 'failure' ? reason.exitCode : clean ? STACK_EXIT.STOPPED : STACK_EXIT.FAILED;
  log.info(
    {
      event: 'stack.stopped',
      exitCode,
      exits,
      killed,
      durationMs: Math.round(performance.now() - t0),
    },
    `stack stopped in ${Math.round(performance.now() - t0)} ms (exit ${exitCode})`,
  );
  return exitCode;
}
