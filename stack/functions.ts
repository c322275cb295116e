/**
 * The stack's Cloud Functions as child processes on the real Functions Framework: healthSweep
 * (HTTP, called by the local scheduler), alertIngest (CloudEvents, pushed to through the relay or
 * called in-process) and alertTick (HTTP, the engine's clock, called by the local scheduler at the
 * sweep interval; it also watches the sweeper's heartbeat, so SweeperAbsent is the engine's).
 * Each gets the children's common variables, the user's environment, the alert flow's variables
 * and its own on top, in that order.
 */
import type { StackChild } from './child.js';
import { spawnFunction } from './children.js';
import type { StackConfig } from './config.js';
import type { Output } from './output.js';
import { LOCAL_SWEEP_JOB } from './scheduler.js';

export interface FunctionPorts {
  readonly sweep: number;
  readonly ingest: number;
  readonly tick: number;
}

export interface StackFunctions {
  readonly sweep: StackChild;
  readonly ingest: StackChild;
  readonly tick: StackChild;
  /** All three, in start order. */
  readonly all: readonly StackChild[];
}

export function spawnStackFunctions(opts: {
  readonly config: StackConfig;
  readonly ports: FunctionPorts;
  /** What every child gets unless the user's environment says otherwise. */
  readonly common: Readonly<Record<string, string>>;
  /** The alert flow's variables (ALERTS_PUBSUB, the emulator's host). */
  readonly flowEnv: Readonly<Record<string, string>>;
  readonly sweepTargets: string;
  readonly out: Output;
}): StackFunctions {
  const { config, ports, out } = opts;
  const base = {
    ...opts.common,
    ...config.env,
    ...opts.flowEnv,
    STORE_URL: config.storeUrl,
  };
  const sweep = spawnFunction({
    name: 'healthSweep',
    signatureType: 'http',
    port: ports.sweep,
    env: { ...base, SWEEP_TARGETS: opts.sweepTargets },
    onLine: (line, stream) => out.line('sweep', line, stream),
  });
  const ingest = spawnFunction({
    name: 'alertIngest',
    signatureType: 'cloudevent',
    port: ports.ingest,
    env: base,
    onLine: (line, stream) => out.line('ingest', line, stream),
  });
  const tick = spawnFunction({
    name: 'alertTick',
    signatureType: 'http',
    port: ports.tick,
    env: {
      ...base,
      HEARTBEAT_JOB: LOCAL_SWEEP_JOB,
      HEARTBEAT_MAX_SILENCE_MS: String(config.maxSilenceMs),
    },
    onLine: (line, stream) => out.line('tick', line, stream),
  });
  return { sweep, ingest, tick, all: [sweep, ingest, tick] };
}
