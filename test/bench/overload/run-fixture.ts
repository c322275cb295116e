/**
 * Typed overload results for the verdict and report tests: a healthy pass, round and run by
 * default (every target met), with any figure overridden.
 */
import { parseOverloadArgs } from '../../../bench/overload/options.js';
import type {
  CapacityCell,
  LiveProbes,
  OverloadPass,
  OverloadRun,
  PassReplies,
  StackPair,
  VariantRound,
} from '../../../bench/overload/result.js';

export const OPTIONS = parseOverloadArgs([]);

export interface PassOverrides extends Partial<Omit<OverloadPass, 'replies' | 'live'>> {
  readonly replies?: Partial<PassReplies>;
  readonly live?: Partial<LiveProbes>;
}

/** A pass over `connections` that meets every target: 0.9× goodput, p99 8 ms, all 503s tagged. */
export function pass(connections: number, o: PassOverrides = {}): OverloadPass {
  return {
    connections,
    targetRate: 40_000,
    answeredPerS: 10_500,
    okPerS: 9_000,
    openingOkPerS: 8_500,
    okBySecond: [],
    pairedCapacity: 10_000,
    shedByReason: {
      queue_full: 0,
      queue_depth: 200,
      event_loop_utilization: 0,
      event_loop_delay: 0,
    },
    meanBatchSize: 8,
    tcp: { accepted: 1000, listenDrops: 0 },
    cpuPct: { server: 98, client: 30 },
    ...o,
    replies: {
      ok: 162_000,
      shed: 200,
      shedWithRetryAfter: 200,
      shedOverloadedCode: 200,
      otherStatus: 0,
      clientTimeouts: 0,
      connectionErrors: 0,
      ...o.replies,
    },
    live: {
      answered: 1000,
      timeouts: 0,
      errors: 0,
      p50Ms: 2,
      p99Ms: 8,
      maxMs: 20,
      timerLatenessP99Ms: 1,
      ...o.live,
    },
  };
}

export const cell = (concurrency: number, okPerS: number): CapacityCell => ({
  concurrency,
  okPerS,
  shedPerS: 0,
  p99Ms: 5,
});

/** A round of closed-loop cells at 16, 32 and 64 (capacity `okPerS`), with `passes`. */
export function round(okPerS: number, passes: readonly OverloadPass[] = []): VariantRound {
  return {
    cells: [cell(16, okPerS * 0.9), cell(32, okPerS * 0.95), cell(64, okPerS)],
    capacity: okPerS,
    passes,
  };
}

/** A run whose full-stack rounds hold `passes[i]` as round i's passes. */
export function run(
  o: {
    readonly passes?: readonly (readonly OverloadPass[])[];
    readonly bare?: readonly VariantRound[];
    readonly stackPairs?: readonly StackPair[];
    readonly referenceCapacity?: number;
  } = {},
): OverloadRun {
  const passes = o.passes ?? [[pass(512), pass(80)]];
  return {
    options: OPTIONS,
    referenceCapacity: o.referenceCapacity ?? 11_000,
    rounds: {
      'full-stack': passes.map((p) => round(10_000, p)),
      'bare-stack': o.bare ?? passes.map(() => round(11_000)),
    },
    stackPairs: o.stackPairs ?? [
      { full: 9_500, bare: 10_000 },
      { full: 9_000, bare: 10_000 },
      { full: 9_800, bare: 10_000 },
    ],
  };
}
