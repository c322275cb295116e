/**
 * The overload bench's result file (bench/results/overload.json, rendered into
 * docs/benchmarks.md) and printed lines, from a run's typed result and verdicts. The only place
 * that knows the result file's metric names: each round of a variant becomes one flat record,
 * rounded as the file has always shown it, and passes are prefixed `@<connections>`.
 */

import { PREDICT_BODIES } from '../lib/bodies.js';
import { type BenchResult, type Metrics, summarizeRounds } from '../lib/harness.js';
import {
  CAPACITY_CONCURRENCY,
  COMPARE_AT,
  type OverloadOptions,
  REFERENCE_CONCURRENCY,
} from './options.js';
import type { OverloadPass, OverloadRun, VariantRound } from './result.js';
import { SHED_REASONS } from './result.js';
import { ratio, round1 } from './stats.js';
import { ORIGIN, VARIANT_NAMES } from './variants.js';
import type { Verdict } from './verdicts.js';

/** How to read the figures, printed under the table; lab notes are in docs/benchmarks.md. */
export const NOTES: readonly string[] = [
  'Ratios compare medians of interleaved rounds within this one run; each round starts a fresh server per variant; every overload pass offers 4× the capacity the same server showed just before it (setup). Metrics prefixed @512 and @80 are the two overload passes (512 connections, then Cloud Run’s CONCURRENCY of 80), run one after the other on the same server.',
  'Rate limiting: RATE_LIMIT_PER_MINUTE=1000000 (the config maximum) in full-stack runs the check without refusing anything, and 0 in bare-stack turns it off; on a build without the rate limiter the setting is unused and the variants differ by metrics and CORS only.',
  'autocannon keeps one request in flight per connection and its rate limit is a per-connection quota per second, so the load is open-loop only while the server answers fast: answered req/s is what the connections got answered, beside target req/s. client CPU % shows whether the load generator ran short of CPU (it did not when well under 100 %).',
  'Liveness probes open a new connection each, like Cloud Run’s; the prober runs in its own process on core 1 beside autocannon, and its timer lateness p99 bounds how much of a probe’s latency was the prober waiting for CPU. A probe over 1 s (Cloud Run’s default probe timeout) counts as failed and is left out of the percentiles. connections accepted and listen queue drops are the loopback TCP counters over the pass.',
  'Shed counts by reason are deltas of the server’s requests_shed_total over the pass (queue_full: the batcher’s full queue; queue_depth, event_loop_utilization, event_loop_delay: load shedding before the body is read); mean batch size is texts scored ÷ runs over the pass.',
  'Goodput is judged per pass against the paired capacity (closed loop on the same server just before and after the pass), not against the reference measured minutes earlier, because the machine’s speed drifts between minutes. The opening seconds after the settle are reported on their own, since a fresh server’s first overload is slowest there; the verdict is over the whole pass after the settle. Lab notes on these figures (history, where the time goes, machine speed): the overload section of docs/benchmarks.md.',
];

/** What a round's record needs besides the round. */
export type RoundContext = Pick<OverloadRun, 'options' | 'referenceCapacity'>;

/** A pass's figures under the result file's names, unprefixed. */
function passMetrics(p: OverloadPass, run: RoundContext): Metrics {
  const { replies, live } = p;
  const shedPct = (n: number) => (replies.shed > 0 ? round1((100 * n) / replies.shed) : 100);
  const ofPaired = (okPerS: number) => round1(100 * ratio(okPerS, p.pairedCapacity));
  return {
    'target req/s': p.targetRate,
    'answered req/s': Math.round(p.answeredPerS),
    '200/s (steady)': Math.round(p.okPerS),
    'goodput % of reference': round1(100 * ratio(p.okPerS, run.referenceCapacity)),
    'paired capacity req/s': Math.round(p.pairedCapacity),
    'goodput % of paired capacity': ofPaired(p.okPerS),
    [`goodput % of paired capacity, first ${run.options.openingS} s after settle`]: ofPaired(
      p.openingOkPerS,
    ),
    '503 count': replies.shed,
    '503 with Retry-After %': shedPct(replies.shedWithRetryAfter),
    '503 SVC_ERR_OVERLOADED %': shedPct(replies.shedOverloadedCode),
    'other status count': replies.otherStatus,
    'client timeouts (10 s)': replies.clientTimeouts,
    'connection errors': replies.connectionErrors,
    ...Object.fromEntries(SHED_REASONS.map((r) => [`shed ${r}`, p.shedByReason[r]])),
    'mean batch size': round1(p.meanBatchSize),
    'live probes': live.answered,
    'live timeouts (> 1 s)': live.timeouts,
    'live errors': live.errors,
    'live p50 ms': round1(live.p50Ms),
    'live p99 ms': round1(live.p99Ms),
    'live max ms': round1(live.maxMs),
    'prober timer lateness p99 ms': round1(live.timerLatenessP99Ms),
    'connections accepted': p.tcp.accepted,
    'listen queue drops': p.tcp.listenDrops,
    'server CPU % (core 0)': round1(p.cpuPct.server),
    'client CPU % (core 1)': round1(p.cpuPct.client),
  };
}

/** One round of a variant as the result file's flat record. */
export function roundMetrics(round: VariantRound, run: RoundContext): Metrics {
  const m: Metrics = {};
  for (const cell of round.cells) {
    m[`c${cell.concurrency} 200/s`] = Math.round(cell.okPerS);
    m[`c${cell.concurrency} 503/s`] = Math.round(cell.shedPerS);
    m[`c${cell.concurrency} p99 ms`] = cell.p99Ms;
  }
  m['capacity req/s'] = Math.round(round.capacity);
  for (const p of round.passes) {
    for (const [k, v] of Object.entries(passMetrics(p, run))) m[`@${p.connections} ${k}`] = v;
  }
  return m;
}

/** The progress line printed after each round of a variant. */
export function roundLine(
  round: number,
  variant: string,
  result: VariantRound,
  run: RoundContext,
): string {
  const m = roundMetrics(result, run);
  return `round ${round + 1}/${run.options.rounds} ${variant.padEnd(10)} ${Object.entries(m)
    .map(([k, x]) => `${k}=${x}`)
    .join(' ')}`;
}

function setup(o: OverloadOptions, referenceCapacity: number, clientPinned: boolean) {
  const window = `${o.durationS} s each after a ${o.warmupS} s warm-up`;
  return {
    model: o.modelPath,
    'reference capacity': `${referenceCapacity} req/s: full stack, best 200/s of closed-loop c=${REFERENCE_CONCURRENCY.join(' and c=')} on its own server before the rounds; goodput is also reported against it`,
    'paired capacity': `per pass, the mean 200/s of closed-loop c=${COMPARE_AT} on the same server just before and just after the pass (${window}); goodput is judged against it`,
    capacity: `per variant and round, best 200s/s of closed-loop c=${CAPACITY_CONCURRENCY.join(', ')} (${window})`,
    overload: `${o.factor} × the closed-loop capacity measured on the same server just before the pass (autocannon overallRate) over ${o.connections.join(' and then ')} connections (one pass each, metrics prefixed @connections) for ${o.overloadS} s, full-stack variants only; goodput = 200s/s over the last ${o.overloadS - o.settleS} s ÷ paired capacity`,
    'stack comparison': `full against bare stack: both servers live, each warmed with ${o.stackWarmS} s of closed loop c=${COMPARE_AT}, then ${o.stackPairs} pairs of c=${COMPARE_AT} windows (${window}), order alternating; the verdict is the median pair ratio (lower median)`,
    liveness: `forked prober on core 1, GET /health/live every ${o.probeIntervalMs} ms on a fresh connection, 1 s timeout`,
    requests: `POST /predict, ${PREDICT_BODIES.length} bodies of 1–60 words, cycled, Origin: ${ORIGIN}`,
    'service env':
      'ENVIRONMENT=production (shedding: SHED_EVENT_LOOP_DELAY_MS=200, utilization off, SHED_QUEUE_DEPTH=64, MAX_QUEUE_DEPTH=256, SHED_HOLD_MS=2000), AUTH_MODE=iam, LOG_LEVEL=info, logs to a file',
    'full-stack': `METRICS_ENABLED=true, CORS_ORIGINS=${ORIGIN}, RATE_LIMIT_PER_MINUTE=1000000 (the maximum the config accepts)`,
    'bare-stack': 'METRICS_ENABLED=false, CORS_ORIGINS= (off), RATE_LIMIT_PER_MINUTE=0',
    'server core': 0,
    'client core': clientPinned ? '1 (autocannon, and the prober in its own process)' : 'unpinned',
    tool: 'autocannon 8.0.0',
  };
}

/** Where and when the run happened. */
export interface RunMeta {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  /** Whether this process (the load generator) is pinned to core 1. */
  readonly clientPinned: boolean;
}

/** The result file's contents. */
export function overloadResult(
  run: OverloadRun,
  verdicts: readonly Verdict[],
  meta: RunMeta,
): BenchResult {
  const raw = Object.fromEntries(
    VARIANT_NAMES.map((v) => [v, run.rounds[v].map((r) => roundMetrics(r, run))]),
  );
  return {
    bench: 'overload',
    date: meta.date,
    node: meta.node,
    cpu: meta.cpu,
    rounds: run.options.rounds,
    setup: setup(run.options, run.referenceCapacity, meta.clientPinned),
    variants: summarizeRounds(raw),
    raw,
    verdicts: verdicts.map(({ target, met, detail }) => ({ target, met, detail })),
    notes: NOTES,
  };
}

/** One printed line per verdict. */
export const verdictLines = (verdicts: readonly Verdict[]): string[] =>
  verdicts.map((v) => `${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.detail}`);
