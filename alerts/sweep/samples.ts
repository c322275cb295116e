/**
 * What one probe of a target records: `up`, `health_status` and `probe_latency_ms`, and the
 * counter-derived samples of each scraped instance against its previous snapshot, which is then
 * saved as the next sweep's baseline.
 */
import type { CounterState, TrendStore } from '../store/store.js';
import { HEALTH_STATUS_VALUE, type Sample } from '../types.js';
import { type CounterSnapshot, counterSamples, snapshotsOf } from './derive.js';
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
      // degraded, draining (an instance leaving), or a /health that said nothing usable
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

export async function samplesOf(
  store: TrendStore,
  probe: ProbeResult,
  ts: number,
): Promise<Sample[]> {
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
  if (probe.metrics !== null) {
    const current = snapshotsOf(probe.metrics.exposition, ts);
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
  return samples;
}
