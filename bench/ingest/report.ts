/**
 * The ingest bench's verdicts and the lines it prints, from the rounds' metrics alone (no I/O),
 * so tests can hold them to tables.
 */
import type { Metrics, Summary } from '../lib/harness.js';

/** alertIngest's throughput over a hello-world function's, per store (issue 17). */
export const RATIO_TARGET = 0.6;

export interface Verdict {
  readonly target: string;
  readonly met: boolean;
  readonly detail: string;
}

type Summaries = Readonly<Record<string, Readonly<Record<string, Summary>>>>;
type Raw = Readonly<Record<string, readonly Metrics[]>>;

const fixed = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Each round's ratio of `variant` to `baseline` on `metric` (rounds paired by index). */
export function pairedRatios(raw: Raw, variant: string, baseline: string, metric: string) {
  const a = raw[variant] ?? [];
  const b = raw[baseline] ?? [];
  return a.map((m, i) => (m[metric] ?? 0) / (b[i]?.[metric] ?? Number.NaN));
}

export function throughputVerdicts(
  summary: Summaries,
  raw: Raw,
  options: {
    readonly connections: readonly number[];
    readonly baseline: string;
    readonly variants: readonly string[];
  },
): Verdict[] {
  const verdicts: Verdict[] = options.variants.flatMap((variant) =>
    options.connections.map((c) => {
      const metric = `c${c} CloudEvents/s`;
      const base = summary[options.baseline]?.[metric]?.median ?? Number.NaN;
      const median = summary[variant]?.[metric]?.median ?? Number.NaN;
      const ratio = median / base;
      const paired = pairedRatios(raw, variant, options.baseline, metric).filter(Number.isFinite);
      const cpu = `c${c} server CPU µs/CloudEvent`;
      const cpuOf = (v: string) => summary[v]?.[cpu]?.median;
      const cpuDetail =
        cpuOf(variant) === undefined
          ? ''
          : `; server CPU ${cpuOf(variant)} vs ${cpuOf(options.baseline)} µs per CloudEvent`;
      return {
        target: `${variant}: ≥ ${RATIO_TARGET}× the CloudEvents/s of a hello-world Functions Framework function at concurrency ${c}`,
        met: ratio >= RATIO_TARGET,
        detail: `${fixed(ratio)}× (median ${median} vs ${base} CloudEvents/s; per round ${fixed(Math.min(...paired))}–${fixed(Math.max(...paired))}×${cpuDetail})`,
      };
    }),
  );
  const failures = Object.entries(raw).flatMap(([variant, rounds]) => {
    const bad = rounds.reduce(
      (n, m) =>
        n +
        Object.entries(m)
          .filter(([k]) => k.endsWith(' non-2xx') || k.endsWith(' errors'))
          .reduce((s, [, v]) => s + v, 0),
      0,
    );
    return bad > 0 ? [`${variant}: ${bad}`] : [];
  });
  verdicts.push({
    target: 'every request answered 2xx (non-2xx responses and connection errors counted)',
    met: failures.length === 0,
    detail: failures.length === 0 ? 'none in any round' : failures.join('; '),
  });
  return verdicts;
}

export function latencyVerdicts(raw: Raw): Verdict[] {
  const lost = Object.entries(raw).flatMap(([variant, rounds]) => {
    const missing = rounds.reduce((n, m) => n + (m['messages not handled'] ?? 0), 0);
    const failed = rounds.reduce((n, m) => n + (m['relay forward failures'] ?? 0), 0);
    const again = rounds.reduce((n, m) => n + (m.redeliveries ?? 0), 0);
    return missing + failed + again > 0
      ? [
          `${variant}: ${missing} not handled, ${failed} relay forward failures, ${again} redeliveries`,
        ]
      : [];
  });
  const handled = Object.values(raw)
    .flat()
    .reduce((n, m) => n + (m['messages handled'] ?? 0), 0);
  return [
    {
      target:
        'every published message handled once through the emulator, the relay and alertIngest (no forward failure, no redelivery)',
      met: lost.length === 0 && handled > 0,
      detail: lost.length === 0 ? `${handled} messages, all handled` : lost.join('; '),
    },
  ];
}

export function throughputLine(
  round: number,
  variant: string,
  m: Metrics,
  connections: readonly number[],
) {
  const cells = connections.map(
    (c) =>
      `c${c}: ${m[`c${c} CloudEvents/s`]}/s p99 ${m[`c${c} p99 ms`]} ms cpu ${m[`c${c} server CPU µs/CloudEvent`]} µs` +
      ((m[`c${c} non-2xx`] ?? 0) + (m[`c${c} errors`] ?? 0) > 0
        ? ` (${m[`c${c} non-2xx`]} non-2xx, ${m[`c${c} errors`]} errors)`
        : ''),
  );
  return `round ${round + 1} ${variant.padEnd(21)} ${cells.join(' | ')}`;
}

export function latencyLine(round: number, variant: string, m: Metrics) {
  return `latency round ${round + 1} ${variant.padEnd(21)} handled p50 ${m['publish → handled p50 ms']} ms p99 ${m['publish → handled p99 ms']} ms (${m['messages handled']} handled, ${m['messages not handled']} not)`;
}

/**
 * Where the store floor sits (bench/fixtures/durable-cloudevent.ts): per store and concurrency,
 * the floor's CloudEvents/s over hello-world's, and alertIngest's over its floor. The target is
 * met only if the floor clears it; the second figure is what alertIngest's own work costs.
 */
export function floorLines(summary: Summaries, connections: readonly number[]): string[] {
  const median = (variant: string, metric: string) =>
    summary[variant]?.[metric]?.median ?? Number.NaN;
  return ['sqlite', 'postgres'].flatMap((store) => {
    const floor = `floor-${store}`;
    const ingest = `alertIngest-${store}`;
    if (summary[floor] === undefined) return [];
    const cells = connections.map((c) => {
      const metric = `c${c} CloudEvents/s`;
      const f = median(floor, metric);
      return `c${c}: floor ${fixed(f / median('hello-world', metric))}× hello-world, alertIngest ${fixed(median(ingest, metric) / f)}× the floor (${median(ingest, metric)} vs ${f} CloudEvents/s)`;
    });
    return [`${store}, one durable write per CloudEvent: ${cells.join('; ')}`];
  });
}
