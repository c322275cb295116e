/**
 * The engine bench's figures, verdicts and printed lines, from the rounds' metrics alone (no
 * I/O), so tests can hold them to tables.
 */
import type { Metrics, Summary } from '../lib/harness.js';
import { quantile, round1 } from '../overload/stats.js';
import { SEED_ALERTS, SEED_GROUPS, SEED_MUTED, SEED_MUTED_GROUPS } from './seed.js';

export interface Verdict {
  readonly target: string;
  readonly met: boolean;
  readonly detail: string;
}

type Raw = Readonly<Record<string, readonly Metrics[]>>;
type Summaries = Readonly<Record<string, Readonly<Record<string, Summary>>>>;

/** Cloud Scheduler's period for alertTick: one tick's work should end before the next. */
const TICK_SECONDS = 60;

/** One finding's way to the webhook, in ms. */
export interface LatencySample {
  /** The in-process hand-off: intake (admit, claim, complete) and engine.receive. */
  readonly handOffMs: number;
  /** From the hand-off's end (the clock stepped over group_wait) to the webhook's request. */
  readonly tickToWebhookMs: number;
  /** The whole tick, prune included. */
  readonly tickMs: number;
  /** Hand-off start to the webhook's request: the latency minus the timer waits. */
  readonly totalMs: number;
}

/** p50 / p99 (nearest rank) of a round's samples. */
export function latencyMetrics(samples: readonly LatencySample[]): Metrics {
  const q = (pick: (s: LatencySample) => number, p: number) =>
    round1(quantile(samples.map(pick), p));
  return {
    'finding → webhook p50 ms': q((s) => s.totalMs, 0.5),
    'finding → webhook p99 ms': q((s) => s.totalMs, 0.99),
    'hand-off p50 ms': q((s) => s.handOffMs, 0.5),
    'hand-off p99 ms': q((s) => s.handOffMs, 0.99),
    'tick → webhook p50 ms': q((s) => s.tickToWebhookMs, 0.5),
    'tick → webhook p99 ms': q((s) => s.tickToWebhookMs, 0.99),
    'whole tick p50 ms': q((s) => s.tickMs, 0.5),
    samples: samples.length,
  };
}

const RATIO_METRICS = ['receives/s', 'flushes/s'] as const;

/**
 * `raw` with each rate also as a ratio of the baseline's in the same round (`flushes/s ÷
 * in-memory`): the share of the engine's own rate a store leaves (the baseline's is 1).
 */
export function withRatios(raw: Raw, baseline: string): Record<string, Metrics[]> {
  const base = raw[baseline] ?? [];
  return Object.fromEntries(
    Object.entries(raw).map(([variant, rounds]) => [
      variant,
      rounds.map((m, i) => ({
        ...m,
        ...Object.fromEntries(
          RATIO_METRICS.map((k) => [
            `${k} ÷ ${baseline}`,
            Math.round(((m[k] ?? 0) / (base[i]?.[k] ?? Number.NaN)) * 10_000) / 10_000,
          ]),
        ),
      })),
    ]),
  );
}

const every = (raw: Raw, ok: (m: Metrics) => boolean) =>
  Object.entries(raw).flatMap(([v, rounds]) =>
    rounds.flatMap((m, i) => (ok(m) ? [] : [`${v} round ${i + 1}`])),
  );

export function decisionVerdicts(
  raw: Raw,
  summary: Summaries,
  options: {
    readonly passes: number;
    readonly stores: readonly string[];
    readonly flushLimit: number;
  },
): Verdict[] {
  const shown = SEED_ALERTS - SEED_MUTED.inhibited - SEED_MUTED.silenced;
  const notified = SEED_GROUPS - SEED_MUTED_GROUPS;
  const seedBad = every(
    raw,
    (m) => m['first notifications'] === notified && m['alerts shown in them'] === shown,
  );
  const steadyBad = every(
    raw,
    (m) => m['steady flushes'] === SEED_GROUPS * options.passes && m['steady notifications'] === 0,
  );
  const perTick = options.flushLimit / TICK_SECONDS;
  return [
    {
      target: `the seed's first flush of ${SEED_GROUPS} groups: ${notified} first notifications showing ${shown} of ${SEED_ALERTS} alerts (${SEED_MUTED.inhibited} inhibited, ${SEED_MUTED.silenced} silenced; ${SEED_MUTED_GROUPS} groups wholly muted send nothing), in every variant and round`,
      met: seedBad.length === 0,
      detail: seedBad.length === 0 ? 'as expected everywhere' : `not in ${seedBad.join(', ')}`,
    },
    {
      target: `steady state: every pass flushes all ${SEED_GROUPS} groups and sends nothing new`,
      met: steadyBad.length === 0,
      detail: steadyBad.length === 0 ? 'as expected everywhere' : `not in ${steadyBad.join(', ')}`,
    },
    ...options.stores.map((store) => {
      const rate = summary[store]?.['flushes/s']?.median ?? 0;
      return {
        target: `${store}: one tick can flush its whole batch (${options.flushLimit} groups, DEFAULT_FLUSH_LIMIT) within the ${TICK_SECONDS} s between ticks: ≥ ${round1(perTick)} flushes/s`,
        met: rate >= perTick,
        detail: `${rate} flushes/s median: ${options.flushLimit} groups in ${round1(options.flushLimit / rate)} s`,
      };
    }),
  ];
}

/** What a notification's path may cost against its timers (group_wait 30 s, a 60 s tick). */
export const LATENCY_P99_TARGET_MS = 1000;

export function latencyVerdicts(raw: Raw, summary: Summaries): Verdict[] {
  const lost = every(raw, (m) => m['findings not at the webhook'] === 0 && (m.samples ?? 0) > 0);
  return [
    {
      target: 'every finding reached the webhook as a firing notification in the tick after it',
      met: lost.length === 0,
      detail: lost.length === 0 ? 'all of them' : `missing in ${lost.join(', ')}`,
    },
    ...Object.keys(raw).map((store) => {
      const p99 = summary[store]?.['finding → webhook p99 ms']?.median ?? Number.NaN;
      return {
        target: `${store}: finding → webhook p99 < ${LATENCY_P99_TARGET_MS} ms without the timer waits (≪ group_wait 30 s + one 60 s tick)`,
        met: p99 < LATENCY_P99_TARGET_MS,
        detail: `p99 ${p99} ms (median of rounds), p50 ${summary[store]?.['finding → webhook p50 ms']?.median} ms`,
      };
    }),
  ];
}

export function decisionLine(round: number, variant: string, m: Metrics): string {
  return `round ${round + 1} ${variant.padEnd(9)} receives ${m['receives/s']}/s flushes ${m['flushes/s']}/s | first: receives ${m['first receives/s']}/s flushes ${m['first flushes/s']}/s (${m['first notifications']} notifications, ${m['alerts shown in them']} alerts shown)`;
}

export function latencyLine(round: number, variant: string, m: Metrics): string {
  return `latency round ${round + 1} ${variant.padEnd(8)} finding → webhook p50 ${m['finding → webhook p50 ms']} ms p99 ${m['finding → webhook p99 ms']} ms (hand-off p50 ${m['hand-off p50 ms']} ms, tick → webhook p50 ${m['tick → webhook p50 ms']} ms; ${m.samples} samples, ${m['findings not at the webhook']} missing)`;
}

/** The printed table: medians per variant, with the ratios to the baseline. */
export function decisionTable(summary: Summaries, baseline: string): string[] {
  const cols = ['receives/s', 'flushes/s', `receives/s ÷ ${baseline}`, `flushes/s ÷ ${baseline}`];
  const rows = Object.entries(summary).map(([variant, s]) =>
    [variant, ...cols.map((c) => String(s[c]?.median ?? 'n/a'))].map((c) => c.padEnd(26)),
  );
  return [['variant', ...cols].map((c) => c.padEnd(26)).join(''), ...rows.map((r) => r.join(''))];
}
