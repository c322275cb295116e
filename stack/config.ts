/**
 * The local stack's configuration (`npm start`), read from the environment here and nowhere else.
 * Everything has a default: `npm start` alone runs the service on :8080, healthSweep on :8081, a
 * scheduler every 15 s and the SQLite store under `.runwatch/`.
 *
 * Durations (LOCAL_SWEEP_INTERVAL, SWEEPER_MAX_SILENCE) are a number with an optional unit, `ms`,
 * `s` or `m`; a plain number is seconds: `15`, `15s`, `15000ms` and `0.25m` are all 15 s.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STORE_URL } from '../alerts/store/open.js';
import {
  ConfigError,
  Expected,
  intRange,
  nonEmptyString,
  oneOf,
  type Parser,
  ProblemList,
} from '../lib/config-kit.js';
import { LOG_LEVELS, type LogLevel } from '../lib/logger.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_SWEEP_PORT = 8081;
export const DEFAULT_SWEEP_INTERVAL_MS = 15_000;
/** SWEEPER_MAX_SILENCE defaults to this many sweep intervals. */
export const DEFAULT_MAX_SILENCE_INTERVALS = 3;
export const MIN_SWEEP_INTERVAL_MS = 100;
export const MAX_SWEEP_INTERVAL_MS = 3_600_000;

export interface StackConfig {
  /** The service's port (PORT); 0 picks a free one before anything starts. */
  readonly port: number;
  /** healthSweep's port (SWEEP_PORT); 0 picks a free one. */
  readonly sweepPort: number;
  /** The service's listen address (HOST, as the service reads it), for the port check. */
  readonly host: string;
  /** Time between scheduled sweeps (LOCAL_SWEEP_INTERVAL). */
  readonly sweepIntervalMs: number;
  /** Silence after which SweeperAbsent fires (SWEEPER_MAX_SILENCE). */
  readonly maxSilenceMs: number;
  readonly storeUrl: string;
  /** SWEEP_TARGETS as given; undefined sweeps the local service. */
  readonly sweepTargets: string | undefined;
  readonly platform: 'cloud-run' | 'local';
  readonly logLevel: LogLevel;
  /** The service's entry script (STACK_SERVICE_ENTRY, a test seam), absolute. */
  readonly serviceEntry: string;
  /** The environment the children inherit; the supervisor adds its own variables on top. */
  readonly env: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** `15`, `15s`, `15000ms`, `0.25m` → ms (a plain number is seconds), within [min, max]. */
export const durationText =
  (minMs: number, maxMs: number): Parser<number> =>
  (raw) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
    const ms = m ? Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS]) : NaN;
    if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
      throw new Expected(
        `a duration from ${minMs} ms to ${maxMs / 1000} s, as seconds (15), or with a unit: 15s, 15000ms, 1m`,
      );
    }
    return ms;
  };

const SERVICE_MAIN = fileURLToPath(new URL('../service/main.js', import.meta.url));

export function loadStackConfig(env: Env = process.env): StackConfig {
  const problems = new ProblemList();
  const port = problems.read(env, 'PORT', intRange(0, 65535)) ?? DEFAULT_PORT;
  const sweepPort = problems.read(env, 'SWEEP_PORT', intRange(0, 65535)) ?? DEFAULT_SWEEP_PORT;
  if (port !== 0 && port === sweepPort) {
    problems.add('SWEEP_PORT', String(sweepPort), `a port other than PORT (${port})`);
  }
  const sweepIntervalMs =
    problems.read(
      env,
      'LOCAL_SWEEP_INTERVAL',
      durationText(MIN_SWEEP_INTERVAL_MS, MAX_SWEEP_INTERVAL_MS),
    ) ?? DEFAULT_SWEEP_INTERVAL_MS;
  const maxSilenceMs =
    problems.read(
      env,
      'SWEEPER_MAX_SILENCE',
      durationText(MIN_SWEEP_INTERVAL_MS, 24 * MAX_SWEEP_INTERVAL_MS),
    ) ?? DEFAULT_MAX_SILENCE_INTERVALS * sweepIntervalMs;
  if (maxSilenceMs <= sweepIntervalMs) {
    problems.add(
      'SWEEPER_MAX_SILENCE',
      env.SWEEPER_MAX_SILENCE,
      `a duration longer than LOCAL_SWEEP_INTERVAL (${sweepIntervalMs} ms), or SweeperAbsent fires between two healthy sweeps`,
    );
  }
  const config: StackConfig = {
    port,
    sweepPort,
    host: problems.read(env, 'HOST', nonEmptyString) ?? '0.0.0.0',
    sweepIntervalMs,
    maxSilenceMs,
    storeUrl: problems.read(env, 'STORE_URL', nonEmptyString, true) ?? DEFAULT_STORE_URL,
    sweepTargets: env.SWEEP_TARGETS?.trim() ? env.SWEEP_TARGETS : undefined,
    platform: env.K_SERVICE ? 'cloud-run' : 'local',
    logLevel: problems.read(env, 'LOG_LEVEL', oneOf(LOG_LEVELS)) ?? 'info',
    serviceEntry: resolve(
      problems.read(env, 'STACK_SERVICE_ENTRY', nonEmptyString) ?? SERVICE_MAIN,
    ),
    env: Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
  problems.throwIfAny();
  return config;
}

export { ConfigError };
