/**
 * The local stack's configuration (`npm start`), read from the environment here and nowhere else,
 * with the same kit as the service (lib/config/). Everything has a default: `npm start` alone runs
 * the service on :8080, healthSweep on :8081, alertIngest on :8082, alertTick on :8083, a
 * scheduler every 15 s and the SQLite store under `.runwatch/`.
 *
 * The local scheduler calls alertTick at the sweep interval (LOCAL_SWEEP_INTERVAL) rather than on
 * a setting of its own: the engine's timers (group_wait, group_interval, the sweeper heartbeat)
 * then resolve within one sweep interval, and a stack run with a short interval (the tests' 1 s)
 * sees its notifications and SweeperAbsent as quickly as its sweeps.
 *
 * Durations (LOCAL_SWEEP_INTERVAL, SWEEPER_MAX_SILENCE) are a number with an optional unit, `ms`,
 * `s` or `m`; a plain number is seconds: `15`, `15s`, `15000ms` and `0.25m` are all 15 s.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STORE_URL } from '../alerts/store/open.js';
import {
  anyText,
  defineBoundedFormat,
  Expected,
  type Format,
  integer,
  oneOf,
  text,
} from '../lib/config/formats.js';
import { detectPlatform, type Platform } from '../lib/config/platform.js';
import { ConfigError } from '../lib/config/problems.js';
import { type Env, readSettings } from '../lib/config/read.js';
import { setting } from '../lib/config/settings.js';
import { LOG_LEVELS, type LogLevel } from '../lib/logger.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_SWEEP_PORT = 8081;
export const DEFAULT_INGEST_PORT = 8082;
export const DEFAULT_TICK_PORT = 8083;
export const DEFAULT_SWEEP_INTERVAL_MS = 15_000;
/** SWEEPER_MAX_SILENCE defaults to this many sweep intervals. */
export const DEFAULT_MAX_SILENCE_INTERVALS = 3;
export const MIN_SWEEP_INTERVAL_MS = 100;
export const MAX_SWEEP_INTERVAL_MS = 3_600_000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

const durationMs = defineBoundedFormat<number, { min: number; max: number }>({
  name: 'duration',
  coerce: (text) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
    return m ? Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS]) : text;
  },
  validate: (value, { min, max }) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new Expected(
        `a duration from ${min} ms to ${max / 1000} s, as seconds (15), or with a unit: 15s, 15000ms, 1m`,
      );
    }
  },
});

/** `15`, `15s`, `15000ms`, `0.25m` → ms (a plain number is seconds), within [minMs, maxMs]. */
export const duration = (minMs: number, maxMs: number): Format<number> =>
  durationMs({ min: minMs, max: maxMs });

const SERVICE_MAIN = fileURLToPath(new URL('../service/main.js', import.meta.url));

export const STACK_SETTINGS = {
  port: setting({
    env: 'PORT',
    doc: "The service's port; 0 picks a free one before anything starts.",
    format: integer(0, 65535),
    default: DEFAULT_PORT,
  }),
  sweepPort: setting({
    env: 'SWEEP_PORT',
    doc: "healthSweep's port; 0 picks a free one, any other must differ from PORT.",
    format: integer(0, 65535),
    default: DEFAULT_SWEEP_PORT,
  }),
  ingestPort: setting({
    env: 'INGEST_PORT',
    doc: "alertIngest's port (on 127.0.0.1); 0 picks a free one, any other must differ from PORT and SWEEP_PORT.",
    format: integer(0, 65535),
    default: DEFAULT_INGEST_PORT,
  }),
  tickPort: setting({
    env: 'TICK_PORT',
    doc: "alertTick's port (on 127.0.0.1); 0 picks a free one, any other must differ from PORT, SWEEP_PORT and INGEST_PORT. The local scheduler calls it every LOCAL_SWEEP_INTERVAL.",
    format: integer(0, 65535),
    default: DEFAULT_TICK_PORT,
  }),
  host: setting({
    env: 'HOST',
    doc: "The service's listen address in the local stack (passed to the service; the port check binds it). Loopback by default, so nothing off this machine reaches the development service, which needs no key; 0.0.0.0 opens it to the network. healthSweep, which runs without OIDC here, listens on 127.0.0.1 whatever this says.",
    format: text,
    default: '127.0.0.1',
  }),
  sweepIntervalMs: setting({
    env: 'LOCAL_SWEEP_INTERVAL',
    doc: "Time between scheduled sweeps, and between alertTick's ticks: seconds (15, 0.5), or with a unit, 15s, 15000ms, 1m; 100 ms to 1 h.",
    format: duration(MIN_SWEEP_INTERVAL_MS, MAX_SWEEP_INTERVAL_MS),
    default: DEFAULT_SWEEP_INTERVAL_MS,
    defaultDoc: '15 s',
  }),
  maxSilenceMs: setting({
    env: 'SWEEPER_MAX_SILENCE',
    doc: "Silence after which alertTick's heartbeat fires SweeperAbsent (its HEARTBEAT_MAX_SILENCE_MS); the same syntax, longer than LOCAL_SWEEP_INTERVAL.",
    format: duration(MIN_SWEEP_INTERVAL_MS, 24 * MAX_SWEEP_INTERVAL_MS),
    default: null,
    defaultDoc: `${DEFAULT_MAX_SILENCE_INTERVALS} × LOCAL_SWEEP_INTERVAL`,
  }),
  storeUrl: setting({
    env: 'STORE_URL',
    doc: 'The trend store: sqlite:PATH or postgres://…; opened and migrated before the children start. Sensitive (may hold a password).',
    format: text,
    default: DEFAULT_STORE_URL,
    sensitive: true,
  }),
  sweepTargets: setting({
    env: 'SWEEP_TARGETS',
    doc: 'A JSON array of {name, url} for healthSweep to probe instead of the local service.',
    format: anyText,
    default: null,
    defaultDoc: '(none: the local service)',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: "The supervisor's minimum log level (the children read it too).",
    format: oneOf(LOG_LEVELS),
    default: 'info',
  }),
  serviceEntry: setting({
    env: 'STACK_SERVICE_ENTRY',
    doc: 'Test seam: the service script to run (the tests run the drain fixture).',
    format: text,
    default: SERVICE_MAIN,
    defaultDoc: 'build/service/main.js',
  }),
};

export interface StackConfig {
  /** The service's port (PORT); 0 picks a free one before anything starts. */
  readonly port: number;
  /** healthSweep's port (SWEEP_PORT); 0 picks a free one. */
  readonly sweepPort: number;
  /** alertIngest's port (INGEST_PORT); 0 picks a free one. */
  readonly ingestPort: number;
  /** alertTick's port (TICK_PORT); 0 picks a free one. */
  readonly tickPort: number;
  /** The service's listen address (HOST, as the service reads it), for the port check. */
  readonly host: string;
  /** Time between scheduled sweeps, and between ticks (LOCAL_SWEEP_INTERVAL). */
  readonly sweepIntervalMs: number;
  /** Silence after which SweeperAbsent fires (SWEEPER_MAX_SILENCE; alertTick's HEARTBEAT_MAX_SILENCE_MS). */
  readonly maxSilenceMs: number;
  readonly storeUrl: string;
  /** SWEEP_TARGETS as given; undefined sweeps the local service. */
  readonly sweepTargets: string | undefined;
  readonly platform: Platform;
  readonly logLevel: LogLevel;
  /** The service's entry script (STACK_SERVICE_ENTRY, a test seam), absolute. */
  readonly serviceEntry: string;
  /** The environment the children inherit; the supervisor adds its own variables on top. */
  readonly env: Readonly<Record<string, string>>;
}

export function loadStackConfig(env: Env = process.env): StackConfig {
  const platform = detectPlatform(env);
  const { values, report, operator } = readSettings(STACK_SETTINGS, env, { platform });
  const { port, sweepPort, ingestPort, tickPort, sweepIntervalMs } = values;
  // Each port other than 0 must differ from the ones before it (0 picks a free port each time).
  const ports: readonly [string, number][] = [
    ['PORT', port],
    ['SWEEP_PORT', sweepPort],
    ['INGEST_PORT', ingestPort],
    ['TICK_PORT', tickPort],
  ];
  for (const [i, [variable, value]] of ports.entries()) {
    const earlier = ports.slice(0, i);
    if (value !== 0 && earlier.some(([, p]) => p === value)) {
      const names = earlier.map(([v, p]) => `${v} (${p})`);
      const list =
        names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
      report.refuse(variable, String(value), `a port other than ${list}`);
    }
  }
  const maxSilenceMs = values.maxSilenceMs ?? DEFAULT_MAX_SILENCE_INTERVALS * sweepIntervalMs;
  if (maxSilenceMs <= sweepIntervalMs) {
    report.refuse(
      'SWEEPER_MAX_SILENCE',
      operator.text('SWEEPER_MAX_SILENCE'),
      `a duration longer than LOCAL_SWEEP_INTERVAL (${sweepIntervalMs} ms), or SweeperAbsent fires between two healthy sweeps`,
    );
  }
  report.throwIfAny();
  return {
    port,
    sweepPort,
    ingestPort,
    tickPort,
    host: values.host,
    sweepIntervalMs,
    maxSilenceMs,
    storeUrl: values.storeUrl,
    sweepTargets: values.sweepTargets?.trim() ? values.sweepTargets : undefined,
    platform,
    logLevel: values.logLevel,
    serviceEntry: resolve(values.serviceEntry),
    env: Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
}

export { ConfigError };

/**
 * The supervisor's own Google clients (the topology ensure on the emulator) must not look for a
 * GCE metadata server that a developer's machine does not have, as its children are told too.
 */
export function noMetadataServer(): void {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
}
