/**
 * The engine bench's command line: each flag once, with its default, parsed from the argv passed
 * in (so tests never touch `process.argv`).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_POSTGRES_URL } from '../lib/postgres.js';

export interface EngineBenchOptions {
  /** Interleaved rounds of the decision phase; each a fresh store per variant. */
  readonly rounds: number;
  /** Steady-state passes per decision round: every alert re-sent, then every group flushed. */
  readonly passes: number;
  /** Rounds of the latency phase, per store. */
  readonly latencyRounds: number;
  /** Findings sent to the webhook per latency round, after the warm-up ones. */
  readonly latencySamples: number;
  readonly postgresUrl: string;
}

export class EngineBenchOptionsError extends Error {}

const FLAGS = {
  rounds: { type: 'string', default: '3' },
  passes: { type: 'string', default: '4' },
  'latency-rounds': { type: 'string', default: '3' },
  'latency-samples': { type: 'string', default: '100' },
  'postgres-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
} as const;

type NumberFlag = Exclude<keyof typeof FLAGS, 'postgres-url'>;

/** Parses the bench's flags; throws EngineBenchOptionsError naming the flag and what it expects. */
export function parseEngineArgs(args: readonly string[]): EngineBenchOptions {
  const { values } = parseArgs({ args: [...args], options: FLAGS });
  const num = (flag: NumberFlag, min: number): number => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < min) {
      throw new EngineBenchOptionsError(
        `--${flag} ${values[flag]}: expected a whole number ≥ ${min}`,
      );
    }
    return n;
  };
  return {
    rounds: num('rounds', 1),
    passes: num('passes', 1),
    latencyRounds: num('latency-rounds', 0),
    latencySamples: num('latency-samples', 1),
    postgresUrl: values['postgres-url'],
  };
}
