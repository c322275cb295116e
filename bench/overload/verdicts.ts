/**
 * The overload bench's targets (load-shedding issue), as pure functions of a run's typed result:
 * - /health/live p99 ≤ 25 ms under overload, with no probe failed or over 1 s;
 * - 100 % of shed 503s carry Retry-After;
 * - goodput ≥ 0.8 × capacity, judged per pass against its paired capacity;
 * - full stack ≥ 0.85 × bare stack in closed loop at saturation, the lower median of the
 *   paired windows.
 * The shedding targets are judged on the production preset (the full stack). A median over
 * rounds is the harness's (of an even count, the mean of the middle two).
 *
 * A verdict with nothing to judge (no probe answered, no pass, no shed 503, no pair, no capacity)
 * is missed: a figure that was never measured does not meet its target.
 */
import { summarize } from '../lib/harness.js';
import { COMPARE_AT } from './options.js';
import { cellsAt, type OverloadPass, type OverloadRun, passesAt } from './result.js';
import { lowerMedian, ratio, round1 } from './stats.js';

export const LIVE_P99_MAX_MS = 25;
export const GOODPUT_MIN = 0.8;
export const STACK_RATIO_MIN = 0.85;

const PRESET = { variant: 'full-stack', label: 'production preset' } as const;

/** One figure against its limit. */
export interface Check {
  /** What was judged, e.g. 'median goodput ÷ paired capacity'. */
  readonly figure: string;
  readonly value: number;
  readonly comparison: 'at least' | 'at most';
  readonly limit: number;
  readonly met: boolean;
}

export interface Verdict {
  /** The target, as the result file states it. */
  readonly target: string;
  /** Every check met. */
  readonly met: boolean;
  readonly checks: readonly Check[];
  /** The figures behind the verdict, for the result file and the printed report. */
  readonly detail: string;
}

function check(
  figure: string,
  value: number,
  comparison: Check['comparison'],
  limit: number,
): Check {
  const met = comparison === 'at least' ? value >= limit : value <= limit;
  return { figure, value, comparison, limit, met };
}

const verdict = (target: string, checks: readonly Check[], detail: string): Verdict => ({
  target,
  met: checks.every((c) => c.met),
  checks,
  detail,
});

const median = (values: readonly number[]): number => summarize(values).median;
const sum = (values: readonly number[]): number => values.reduce((s, x) => s + x, 0);
const times = (values: readonly number[]): string => values.map((x) => x.toFixed(2)).join(', ');
const noPass = (connections: number) => `no overload pass over ${connections} connections ran`;

/** /health/live p99 ≤ 25 ms over `connections` connections, no probe failed or over 1 s. */
export function liveVerdict(run: OverloadRun, connections: number): Verdict {
  const passes = passesAt(run, PRESET.variant, connections);
  const p99s = passes.map((p) => p.live.p99Ms);
  const p99 = median(p99s);
  const answered = sum(passes.map((p) => p.live.answered));
  const failed = sum(passes.map((p) => p.live.timeouts + p.live.errors));
  return verdict(
    `${PRESET.label}: /health/live p99 ≤ ${LIVE_P99_MAX_MS} ms at ${run.options.factor}× capacity over ${connections} connections`,
    [
      check('live probes answered', answered, 'at least', 1),
      check('median of rounds of the /health/live p99 ms', p99, 'at most', LIVE_P99_MAX_MS),
      check('live probes failed or over 1 s', failed, 'at most', 0),
    ],
    passes.length === 0
      ? noPass(connections)
      : `median of rounds ${round1(p99)} ms (p50 ${round1(median(passes.map((p) => p.live.p50Ms)))} ms; worst round ${round1(Math.max(...p99s))} ms; ${failed} of ${answered + failed} probes failed or took over 1 s)`,
  );
}

/** Every shed 503 of every pass carries Retry-After (and there was at least one). */
export function retryAfterVerdict(run: OverloadRun): Verdict {
  const passes: OverloadPass[] = run.rounds[PRESET.variant].flatMap((r) => r.passes);
  const shed = sum(passes.map((p) => p.replies.shed));
  const withRetry = sum(passes.map((p) => p.replies.shedWithRetryAfter));
  const overloadedCode = sum(passes.map((p) => p.replies.shedOverloadedCode));
  return verdict(
    '100 % of shed 503s carry Retry-After',
    [
      check('shed 503s', shed, 'at least', 1),
      check('shed 503s without Retry-After', shed - withRetry, 'at most', 0),
    ],
    `${withRetry} of ${shed} (all rounds and passes; with code SVC_ERR_OVERLOADED: ${overloadedCode} of ${shed})`,
  );
}

/** Goodput over `connections` connections ≥ 0.8 × the paired capacity (median of rounds). */
export function goodputVerdict(run: OverloadRun, connections: number): Verdict {
  const passes = passesAt(run, PRESET.variant, connections);
  const perRound = passes.map((p) => ratio(p.okPerS, p.pairedCapacity));
  const goodput = median(perRound);
  const ofReference = median(passes.map((p) => ratio(p.okPerS, run.referenceCapacity)));
  return verdict(
    `${PRESET.label}: goodput at ${run.options.factor}× capacity over ${connections} connections ≥ ${GOODPUT_MIN} × capacity`,
    [check('median goodput ÷ paired capacity', goodput, 'at least', GOODPUT_MIN)],
    passes.length === 0
      ? noPass(connections)
      : `median ${goodput.toFixed(2)}× of the paired capacity (${Math.round(median(passes.map((p) => p.okPerS)))} 200/s vs ${Math.round(median(passes.map((p) => p.pairedCapacity)))} req/s; rounds ${times(perRound)}×); against the reference capacity (${run.referenceCapacity} req/s): ${ofReference.toFixed(2)}×`,
  );
}

/** Full stack ≥ 0.85 × bare stack: the lower median of the window pairs' ratios. */
export function stackVerdict(run: OverloadRun): Verdict {
  const ratios = run.stackPairs.map((p) => ratio(p.full, p.bare));
  const pairMedian = lowerMedian(ratios);
  const saturated = (v: 'full-stack' | 'bare-stack') =>
    median(cellsAt(run, v, COMPARE_AT).map((c) => c.okPerS));
  const capacity = (v: 'full-stack' | 'bare-stack') => median(run.rounds[v].map((r) => r.capacity));
  const [full, bare] = [saturated('full-stack'), saturated('bare-stack')];
  const rounded = (side: 'full' | 'bare') =>
    run.stackPairs.map((p) => Math.round(p[side])).join(', ');
  return verdict(
    `full stack ≥ ${STACK_RATIO_MIN} × bare stack, closed loop at saturation (c=${COMPARE_AT})`,
    [
      check(
        'median full ÷ bare 200/s of the window pairs',
        pairMedian,
        'at least',
        STACK_RATIO_MIN,
      ),
    ],
    `median ${pairMedian.toFixed(2)}× over ${ratios.length} paired windows on two live servers (pairs ${times(ratios)}×; full ${rounded('full')} vs bare ${rounded('bare')} 200/s); on fresh servers per round: ${ratio(full, bare).toFixed(2)}× (median 200/s ${Math.round(full)} vs ${Math.round(bare)}), best-cell capacity ${ratio(capacity('full-stack'), capacity('bare-stack')).toFixed(2)}×`,
  );
}

/** Every verdict, in the result file's order. */
export function overloadVerdicts(run: OverloadRun): Verdict[] {
  const { connections } = run.options;
  return [
    ...connections.map((c) => liveVerdict(run, c)),
    retryAfterVerdict(run),
    ...connections.map((c) => goodputVerdict(run, c)),
    stackVerdict(run),
  ];
}
