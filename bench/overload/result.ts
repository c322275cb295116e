/**
 * What one run of the overload bench measured, as typed records. The verdicts (verdicts.ts) and
 * the result file (report.ts) both read these; no figure is looked up by a metric's name. Rates
 * are per second and unrounded; report.ts rounds them for the result file.
 */
import type { ShedReason as PressureReason } from '../../service/protection/pressure.js';
import type { OverloadOptions } from './options.js';
import type { VariantName } from './variants.js';

export type { VariantName } from './variants.js';

/** requests_shed_total's reasons: the pressure limits, and the batcher's full queue. */
export type ShedReason = 'queue_full' | PressureReason;
const SHED_REASON_SET: Readonly<Record<ShedReason, true>> = {
  queue_full: true,
  queue_depth: true,
  event_loop_utilization: true,
  event_loop_delay: true,
};
/** Every reason, in the order the result file lists them. */
export const SHED_REASONS = Object.keys(SHED_REASON_SET) as readonly ShedReason[];

/** One closed-loop window: counted after its warm-up. */
export interface CapacityCell {
  readonly concurrency: number;
  /** 200s per second. */
  readonly okPerS: number;
  /** 503s per second (shedding may refuse part of a closed loop). */
  readonly shedPerS: number;
  /** autocannon's latency p99, ms. */
  readonly p99Ms: number;
}

/** Replies to a pass's load, as the load generator classified them. */
export interface PassReplies {
  readonly ok: number;
  readonly shed: number;
  readonly shedWithRetryAfter: number;
  readonly shedOverloadedCode: number;
  /** Any status but 200 and 503. */
  readonly otherStatus: number;
  /** No answer within autocannon's 10 s timeout. */
  readonly clientTimeouts: number;
  readonly connectionErrors: number;
}

/** The liveness prober's figures over a pass (bench/lib/live-prober.ts). */
export interface LiveProbes {
  /** Probes answered 200 within 1 s; the percentiles are over these, 0 when there are none. */
  readonly answered: number;
  /** Probes not answered within 1 s (Cloud Run's default probe timeout). */
  readonly timeouts: number;
  /** Probes answered with another status, or whose connection failed. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** How late the prober's own timer fired (p99): a bound on the prober's share of a latency. */
  readonly timerLatenessP99Ms: number;
}

/** One overload pass: `factor` × the paired capacity offered over `connections` connections. */
export interface OverloadPass {
  readonly connections: number;
  /** The rate offered (autocannon overallRate): factor × the capacity measured just before. */
  readonly targetRate: number;
  /** Replies of any kind per second of the pass. */
  readonly answeredPerS: number;
  /** 200s per second from the settle to the end of the pass (the goodput). */
  readonly okPerS: number;
  /** 200s per second over the opening seconds after the settle (`options.openingS`). */
  readonly openingOkPerS: number;
  /** 200s in each whole second since the load started. */
  readonly okBySecond: readonly number[];
  /** Mean closed-loop 200/s of the same server just before and just after the pass. */
  readonly pairedCapacity: number;
  readonly replies: PassReplies;
  /** The server's requests_shed_total over the pass, by reason. */
  readonly shedByReason: Readonly<Record<ShedReason, number>>;
  /** Texts scored ÷ batch runs over the pass. */
  readonly meanBatchSize: number;
  readonly live: LiveProbes;
  /** Loopback TCP counters over the pass. */
  readonly tcp: { readonly accepted: number; readonly listenDrops: number };
  /** CPU time ÷ wall time, %: the server (core 0) and this process, the load generator (core 1). */
  readonly cpuPct: { readonly server: number; readonly client: number };
}

/** One variant in one round, on a fresh server. */
export interface VariantRound {
  readonly cells: readonly CapacityCell[];
  /** The best 200/s of the cells. */
  readonly capacity: number;
  /** One per `options.connections`, in order; none for a variant that is not overloaded. */
  readonly passes: readonly OverloadPass[];
}

/** One pair of closed-loop windows on two live servers, seconds apart: 200/s of each. */
export interface StackPair {
  readonly full: number;
  readonly bare: number;
}

export interface OverloadRun {
  readonly options: OverloadOptions;
  /** Full stack, best closed-loop 200/s at REFERENCE_CONCURRENCY on its own server first. */
  readonly referenceCapacity: number;
  /** Per variant, one entry per round. */
  readonly rounds: Readonly<Record<VariantName, readonly VariantRound[]>>;
  /** Full against bare stack, in alternating order. */
  readonly stackPairs: readonly StackPair[];
}

/** The passes over `connections` connections of every round of `variant`. */
export function passesAt(
  run: OverloadRun,
  variant: VariantName,
  connections: number,
): OverloadPass[] {
  return run.rounds[variant].flatMap((r) => r.passes.filter((p) => p.connections === connections));
}

/** The cell at `concurrency` of each round of `variant` that has one. */
export function cellsAt(
  run: OverloadRun,
  variant: VariantName,
  concurrency: number,
): CapacityCell[] {
  return run.rounds[variant].flatMap((r) => r.cells.filter((c) => c.concurrency === concurrency));
}
