/**
 * The ingest bench's command line: each flag once, with its default, parsed from the argv passed
 * in (so tests never touch `process.argv`).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_POSTGRES_URL } from '../lib/postgres.js';

export interface IngestOptions {
  /** Interleaved throughput rounds; each starts a fresh function and store per variant. */
  readonly rounds: number;
  /** Seconds counted per throughput window. */
  readonly durationS: number;
  /** Seconds of load before the windows, at the highest concurrency (store opened, V8 warm). */
  readonly warmupS: number;
  /** One window per concurrency, in this order; the ratio target is judged at the highest. */
  readonly connections: readonly number[];
  /** LOG_LEVEL of the functions in the throughput phase. */
  readonly logLevel: 'warn' | 'info';
  /** Rounds of the latency phase (through the emulator), per store. */
  readonly latencyRounds: number;
  /** Messages published per latency round, after the warm-up ones. */
  readonly latencyMessages: number;
  /** Messages published per second in the latency phase. */
  readonly latencyRate: number;
  readonly postgresUrl: string;
}

export class IngestOptionsError extends Error {}

const FLAGS = {
  rounds: { type: 'string', default: '5' },
  duration: { type: 'string', default: '4' },
  warmup: { type: 'string', default: '2' },
  connections: { type: 'string', default: '1,16' },
  'log-level': { type: 'string', default: 'warn' },
  'latency-rounds': { type: 'string', default: '3' },
  'latency-messages': { type: 'string', default: '200' },
  'latency-rate': { type: 'string', default: '25' },
  'postgres-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
} as const;

type NumberFlag = Exclude<keyof typeof FLAGS, 'connections' | 'log-level' | 'postgres-url'>;

/** Parses the bench's flags; throws IngestOptionsError naming the flag and what it expects. */
export function parseIngestArgs(args: readonly string[]): IngestOptions {
  const { values } = parseArgs({ args: [...args], options: FLAGS });
  const num = (flag: NumberFlag, min: number, integer = true): number => {
    const n = Number(values[flag]);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new IngestOptionsError(
        `--${flag} ${values[flag]}: expected ${integer ? 'a whole number' : 'a number'} ≥ ${min}`,
      );
    }
    return n;
  };
  const connections = values.connections.split(',').map(Number);
  if (connections.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new IngestOptionsError(
      `--connections ${values.connections}: expected connection counts ≥ 1, comma-separated`,
    );
  }
  const logLevel = values['log-level'];
  if (logLevel !== 'warn' && logLevel !== 'info') {
    throw new IngestOptionsError(`--log-level ${logLevel}: expected warn or info`);
  }
  return {
    rounds: num('rounds', 1),
    durationS: num('duration', 1),
    warmupS: num('warmup', 1),
    connections,
    logLevel,
    latencyRounds: num('latency-rounds', 0),
    latencyMessages: num('latency-messages', 1),
    latencyRate: num('latency-rate', 0.1, false),
    postgresUrl: values['postgres-url'],
  };
}
