/**
 * The overload bench's command line: each flag once, with its default, parsed from argv passed in
 * (so tests never touch `process.argv`). Also the concurrency levels the bench measures at, which
 * are not flags.
 */
import { parseArgs } from 'node:util';

/** Closed-loop concurrency of the capacity cells; beyond 64 the queue only adds latency. */
export const CAPACITY_CONCURRENCY = [16, 32, 64] as const;
/** Concurrency of the reference capacity's cells (one server, before the rounds). */
export const REFERENCE_CONCURRENCY = [32, 64] as const;
/** Concurrency of the paired capacity and of the full-against-bare windows. */
export const COMPARE_AT = 64;
/** The most opening seconds after the settle reported on their own. */
const OPENING_MAX_S = 3;

export interface OverloadOptions {
  /** Interleaved rounds; each starts a fresh server per variant. */
  readonly rounds: number;
  /** Seconds counted per closed-loop window. */
  readonly durationS: number;
  /** Seconds of warm-up before each closed-loop window. */
  readonly warmupS: number;
  /** Seconds per overload pass (whole seconds). */
  readonly overloadS: number;
  /** Whole seconds at the start of a pass not counted in goodput (ramp and queue filling). */
  readonly settleS: number;
  /** Seconds after the settle also reported on their own (at most 3, within the pass). */
  readonly openingS: number;
  /** Offered load as a multiple of the paired capacity. */
  readonly factor: number;
  /** One overload pass per connection count, in this order. */
  readonly connections: readonly number[];
  /** ms between liveness probes. */
  readonly probeIntervalMs: number;
  /** Window pairs of the full-against-bare comparison. */
  readonly stackPairs: number;
  /** Seconds of closed loop that warm each server before the pairs. */
  readonly stackWarmS: number;
  /** The model package the service loads. */
  readonly modelPath: string;
}

export class OverloadOptionsError extends Error {}

const FLAGS = {
  rounds: { type: 'string', default: '3' },
  duration: { type: 'string', default: '4' },
  warmup: { type: 'string', default: '1' },
  'overload-duration': { type: 'string', default: '20' },
  settle: { type: 'string', default: '2' },
  factor: { type: 'string', default: '4' },
  connections: { type: 'string', default: '512,80' },
  'probe-interval': { type: 'string', default: '20' },
  'stack-pairs': { type: 'string', default: '16' },
  'stack-warmup': { type: 'string', default: '15' },
  model: { type: 'string', default: 'models/emotion-ekman' },
} as const;

/** Parses the bench's flags; throws OverloadOptionsError naming the flag and what it expects. */
export function parseOverloadArgs(args: readonly string[]): OverloadOptions {
  const { values } = parseArgs({ args: [...args], options: FLAGS });
  const num = (flag: Exclude<keyof typeof FLAGS, 'model' | 'connections'>): number => {
    const n = Number(values[flag]);
    if (!Number.isFinite(n) || n < 0) {
      throw new OverloadOptionsError(`--${flag} ${values[flag]}: expected a number ≥ 0`);
    }
    return n;
  };
  const settleS = num('settle');
  const overloadS = num('overload-duration');
  // Goodput is counted in whole seconds of a pass, after the settle.
  if (!Number.isInteger(settleS) || !Number.isInteger(overloadS) || overloadS <= settleS) {
    throw new OverloadOptionsError(
      `--settle ${values.settle} and --overload-duration ${values['overload-duration']}: expected whole seconds, the duration longer than the settle`,
    );
  }
  const connections = values.connections.split(',').map(Number);
  if (connections.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new OverloadOptionsError(
      `--connections ${values.connections}: expected connection counts ≥ 1, comma-separated`,
    );
  }
  return {
    rounds: num('rounds'),
    durationS: num('duration'),
    warmupS: num('warmup'),
    overloadS,
    settleS,
    openingS: Math.min(OPENING_MAX_S, overloadS - settleS),
    factor: num('factor'),
    connections,
    probeIntervalMs: num('probe-interval'),
    stackPairs: num('stack-pairs'),
    stackWarmS: num('stack-warmup'),
    modelPath: values.model,
  };
}
