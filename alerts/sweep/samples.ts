/**
 * What one probe of a target records: `up`, `health_status` and `probe_latency_ms`, and the
 * counter-derived samples of each scraped instance against its previous snapshot, which is then
 * saved as the next sweep's baseline.
 *
 * Validated per sample before anything is written (issue 16): a scraped series the store could
 * not take is dropped at the snapshot (`scrapeSnapshots`), and so is any derived sample that
 * `sampleProblem` refuses (a delta summed past the largest double), so the sweep's one
 * `appendSamples` never fails for one target's data. What was dropped is counted by reason.
 */
import { type CounterState, sampleProblem, type TrendStore } from '../store/store.js';
import { HEALTH_STATUS_VALUE, type Sample } from '../types.js';
import { type CounterSnapshot, counterSamples, type Dropped, scrapeSnapshots } from './derive.js';
import type { ProbeResult } from './probe.js';

/** /health verdicts as `health_status` values; a target that does not answer is `down`. */
function healthValue(probe: ProbeResult): number {
  if (!probe.up) return HEALTH_STATUS_VALUE.down;
  switch (probe.health?.status) {
    case 'healthy':
      return HEALTH_STATUS_VALUE.healthy;
    case 'unhealthy':
      return HEALTH_STATUS_VALUE.unhealthy;
    default:
      // degraded, draining (an instance leaving), unknown, or a /health that could not be read
      return HEALTH_STATUS_VALUE.degraded;
  }
}

function snapshotFromState(state: CounterState): CounterSnapshot {
  return {
    ts: state.ts,
    requests: state.requests,
    errors: state.errors,
    buckets: new Map(
      state.buckets.map(([le, n]) => [le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), n]),
    ),
  };
}

function stateFromSnapshot(target: string, instance: string, s: CounterSnapshot): CounterState {
  return {
    target,
    instance,
    ts: s.ts,
    requests: s.requests,
    errors: s.errors,
    buckets: [...s.buckets].map(([le, n]) => [
      le === Number.POSITIVE_INFINITY ? '+Inf' : String(le),
      n,
    ]),
  };
}

export interface TargetSamples {
  /** Every sample is one the store takes. */
  readonly samples: Sample[];
  /** Scraped series and derived samples dropped, by reason (empty when none). */
  readonly dropped: Dropped;
}

export async function samplesOf(
  store: TrendStore,
  probe: ProbeResult,
  ts: number,
): Promise<TargetSamples> {
  const target = probe.target;
  const samples: Sample[] = [
    { target, metric: 'up', instance: null, ts, value: probe.up ? 1 : 0 },
    { target, metric: 'health_status', instance: null, ts, value: healthValue(probe) },
  ];
  if (probe.up) {
    samples.push({
      target,
      metric: 'probe_latency_ms',
      instance: null,
      ts,
      value: probe.latencyMs,
    });
  }
  let dropped: Dropped = new Map();
  if (probe.metrics !== null) {
    const scraped = scrapeSnapshots(probe.metrics.exposition, ts);
    const current = scraped.snapshots;
    dropped = scraped.dropped;
    const previous = new Map<string, CounterSnapshot>();
    for (const instance of current.keys()) {
      const state = await store.getCounterState(target, instance);
      if (state !== null) previous.set(instance, snapshotFromState(state));
    }
    samples.push(...counterSamples(target, ts, previous, current));
    for (const [instance, snapshot] of current) {
      await store.setCounterState(stateFromSnapshot(target, instance, snapshot));
    }
  }
  const valid = samples.filter((s) => {
    const problem = sampleProblem(s);
    if (problem === null) return true;
    const reason = `${s.metric} ${problem.field} is ${problem.value}`;
    dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
    return false;
  });
  return { samples: valid, dropped };
}
