/**
 * One health sweep, the core shared by the HTTP and Pub/Sub functions (which only adapt their
 * trigger to a `sweepId` and a time):
 *
 * 1. a sweep id already stored answers its stored summary with `duplicate: true` (Cloud
 *    Scheduler and Pub/Sub both retry, so a sweep must be idempotent);
 * 2. probe every target (bounded concurrency, per-request deadlines);
 * 3. record samples: `up`, `probe_latency_ms`, `health_status`, and the counter-derived ones
 *    from each instance's scrape against its previous snapshot (then saved);
 * 4. evaluate every rule over its window for every target it applies to; record the findings;
 * 5. hand the stored findings to `publish`, if given (after they are stored, so a lost
 *    publication loses nothing; before the summary, so a crash in between republishes on the
 *    retry rather than never publishing);
 * 6. store the summary under the sweep id (insert-if-absent: a concurrent duplicate loses and
 *    answers the winner's summary);
 * 7. prune one bounded batch of expired rows, if `prune` is given, so retention is enforced a
 *    little at every sweep and never in one long delete. A failure there is logged
 *    (`sweep.prune_failed`) and does not fail the sweep, which is already recorded.
 *
 * Log events: `sweep.probe` per target, `sweep.finding` per finding, `sweep.pruned` when rows
 * were pruned, `sweep.completed` (the heartbeat that the sweeper's own absence check watches).
 */
import type { Logger } from '../../lib/logger.js';
import { pruneExpired } from '../store/open.js';
import type { CounterState, TrendStore } from '../store/store.js';
import { mergeRanges, type Range, type ReadPlan, readPlan } from '../trends/read-plan.js';
import type { RuleSpec, RuleType } from '../trends/rule.js';
import { RULE_TYPES } from '../trends/rule-types/index.js';
import {
  type Bucket,
  type Finding,
  HEALTH_STATUS_VALUE,
  type MetricName,
  type RollupMetric,
  type Sample,
} from '../trends/sample.js';
import { type CounterSnapshot, counterSamples, snapshotsOf } from './derive.js';
import { type ProbeResult, probeAll } from './probe.js';
import type { SweepTarget } from './targets.js';

export interface SweepDeps {
  readonly store: TrendStore;
  readonly targets: readonly SweepTarget[];
  readonly rules: readonly RuleSpec[];
  readonly log: Logger;
  /** Targets probed at once. */
  readonly concurrency?: number;
  /** Probing; tests and the IAM variant wrap the real one. */
  readonly probe?: typeof probeAll;
  /**
   * Sends the sweep's findings on (e.g. to Pub/Sub). Called only for a sweep that ran, after its
   * findings are stored. It must bound its own time; a rejection is logged and ignored.
   */
  readonly publish?: (findings: readonly Finding[], sweepId: string) => Promise<unknown>;
  /** Retention: after the sweep, delete at most `limit` rows older than `retentionDays`. */
  readonly prune?: { readonly retentionDays: number; readonly limit: number };
  /** Wall clock for pruning, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly duplicate: boolean;
  readonly targets: readonly {
    readonly name: string;
    readonly up: boolean;
    readonly status: number | null;
    readonly latencyMs: number;
    readonly health: string | null;
  }[];
  readonly findings: readonly {
    readonly alertname: string;
    readonly target: string;
    readonly severity: string;
    readonly state: string;
    readonly summary: string;
  }[];
}

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

async function samplesOf(store: TrendStore, probe: ProbeResult, ts: number): Promise<Sample[]> {
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

/**
 * Step 4: every rule over its window for every target it applies to (bench/trends.ts times it).
 * Per target, each rule's reads are planned (`readPlan`: raw sample ranges, and for burn-rate
 * rules hourly buckets where no exact window's edge can fall), then each metric's ranges over all
 * rules are merged and read once, and each rule gets exactly its own ranges, so rules sharing a
 * metric (the two burn-rate alerts) share its reads. Findings come in rule order, then target.
 */
export async function evaluate(
  store: TrendStore,
  rules: readonly RuleSpec[],
  targets: readonly SweepTarget[],
  ts: number,
): Promise<Finding[]> {
  const byRule: Finding[][] = rules.map(() => []);
  // A plan depends on the rule and the time, not on the target: made once per sweep.
  const allPlans: { index: number; rule: RuleSpec; type: RuleType<unknown>; plan: ReadPlan }[] = [];
  rules.forEach((rule, index) => {
    const type = RULE_TYPES[rule.type];
    if (type !== undefined)
      allPlans.push({ index, rule, type, plan: readPlan(type, rule.params, ts) });
  });
  const push = <K>(into: Map<K, Range[]>, key: K, ranges: readonly Range[]) => {
    const list = into.get(key);
    if (list === undefined) into.set(key, [...ranges]);
    else list.push(...ranges);
  };
  for (const target of targets) {
    const plans = allPlans.filter(
      ({ rule }) => rule.targets === undefined || rule.targets.includes(target.name),
    );
    const rawRanges = new Map<MetricName, Range[]>();
    const bucketRanges = new Map<RollupMetric, Range[]>();
    for (const { plan } of plans) {
      for (const r of plan.raw) push(rawRanges, r.metric, r.ranges);
      for (const b of plan.buckets) push(bucketRanges, b.metric, b.ranges);
    }
    // Merged ranges are disjoint and ascending, so the concatenated results are too.
    const raw = new Map<MetricName, Sample[]>();
    for (const [metric, ranges] of rawRanges) {
      const got: Sample[] = [];
      for (const r of mergeRanges(ranges)) {
        const q = { target: target.name, metric, from: r.from + 1, to: r.to + 1 };
        got.push(...(await store.window(q)));
      }
      raw.set(metric, got);
    }
    const rolled = new Map<RollupMetric, Bucket[]>();
    for (const [metric, ranges] of bucketRanges) {
      const got: Bucket[] = [];
      for (const r of mergeRanges(ranges)) {
        const q = { target: target.name, metric, from: r.from + 1, to: r.to + 1 };
        got.push(...(await store.rollups(q)));
      }
      rolled.set(metric, got);
    }
    for (const { index, rule, type, plan } of plans) {
      const samples: Sample[] = [];
      for (const r of plan.raw) {
        for (const range of r.ranges) samples.push(...within(raw.get(r.metric) ?? [], range));
      }
      samples.sort((a, b) => a.ts - b.ts);
      const buckets: Bucket[] = [];
      for (const b of plan.buckets) {
        for (const range of b.ranges) buckets.push(...within(rolled.get(b.metric) ?? [], range));
      }
      buckets.sort((a, b) => a.ts - b.ts);
      const finding = type.evaluate({
        target: target.name,
        now: ts,
        samples,
        ...(plan.buckets.length === 0 ? {} : { buckets }),
        rule,
      });
      if (finding !== null) byRule[index]?.push(finding);
    }
  }
  return byRule.flat();
}

/** The items of `xs` (ascending by ts) with range.from < ts ≤ range.to, by binary search. */
function within<T extends { readonly ts: number }>(xs: readonly T[], range: Range): readonly T[] {
  const firstAbove = (t: number) => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((xs[mid] as T).ts <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const a = firstAbove(range.from);
  const b = firstAbove(range.to);
  return a === 0 && b === xs.length ? xs : xs.slice(a, b);
}

export async function runSweep(
  deps: SweepDeps,
  sweep: { readonly sweepId: string; readonly ts: number },
): Promise<SweepSummary> {
  const { store, log } = deps;
  const stored = await store.getSweep(sweep.sweepId);
  if (stored !== null) {
    log.info(
      { event: 'sweep.duplicate', sweepId: sweep.sweepId },
      'sweep already done; stored summary returned',
    );
    return { ...(stored.summary as unknown as SweepSummary), duplicate: true };
  }
  const t0 = performance.now();
  const probes = await (deps.probe ?? probeAll)(deps.targets, deps.concurrency ?? 8);
  const samples: Sample[] = [];
  for (const probe of probes) {
    log.info(
      {
        event: 'sweep.probe',
        sweepId: sweep.sweepId,
        target: probe.target,
        up: probe.up,
        status: probe.status,
        latencyMs: Math.round(probe.latencyMs * 10) / 10,
        health: probe.health?.status ?? null,
        ...(probe.error ? { error: probe.error } : {}),
        ...(probe.metricsError ? { metricsError: probe.metricsError } : {}),
      },
      `${probe.target} ${probe.up ? 'up' : `down (${probe.error})`}`,
    );
    samples.push(...(await samplesOf(store, probe, sweep.ts)));
  }
  await store.appendSamples(samples);
  const findings = await evaluate(store, deps.rules, deps.targets, sweep.ts);
  await store.recordFindings(findings, sweep.sweepId);
  for (const f of findings) {
    const fields = { event: 'sweep.finding', sweepId: sweep.sweepId, ...f };
    if (f.state === 'firing' && f.severity === 'critical') log.error(fields, f.annotations.summary);
    else log.warn(fields, f.annotations.summary);
  }
  if (deps.publish !== undefined && findings.length > 0) {
    try {
      await deps.publish(findings, sweep.sweepId);
    } catch (e) {
      log.error(
        { event: 'sweep.publish_failed', sweepId: sweep.sweepId, error: (e as Error).message },
        `publishing the findings of ${sweep.sweepId} failed; they are stored`,
      );
    }
  }
  const summary: SweepSummary = {
    sweepId: sweep.sweepId,
    duplicate: false,
    targets: probes.map((p) => ({
      name: p.target,
      up: p.up,
      status: p.status,
      latencyMs: Math.round(p.latencyMs * 10) / 10,
      health: p.health?.status ?? null,
    })),
    findings: findings.map((f) => ({
      alertname: f.alertname,
      target: f.target,
      severity: f.severity,
      state: f.state,
      summary: f.annotations.summary,
    })),
  };
  const { inserted, record } = await store.recordSweep({
    sweepId: sweep.sweepId,
    ts: sweep.ts,
    summary: summary as unknown as Record<string, unknown>,
  });
  const pruned = deps.prune === undefined ? 0 : await pruneBatch(deps, deps.prune, sweep);
  log.info(
    {
      event: 'sweep.completed',
      sweepId: sweep.sweepId,
      targets: probes.length,
      down: probes.filter((p) => !p.up).length,
      findings: findings.length,
      samples: samples.length,
      pruned,
      durationMs: Math.round(performance.now() - t0),
    },
    `sweep ${sweep.sweepId}: ${probes.length} target(s), ${findings.length} finding(s)`,
  );
  return inserted ? summary : { ...(record.summary as unknown as SweepSummary), duplicate: true };
}

/**
 * One retention step. Its clock is the earlier of the wall clock and the sweep time, so a sweep
 * stamped in the future (a wrong X-CloudScheduler-ScheduleTime) cannot prune recent data, and
 * a replayed old sweep prunes only what was already expired then.
 */
async function pruneBatch(
  deps: SweepDeps,
  prune: NonNullable<SweepDeps['prune']>,
  sweep: { readonly sweepId: string; readonly ts: number },
): Promise<number> {
  const now = Math.min((deps.now ?? Date.now)(), sweep.ts);
  try {
    const pruned = await pruneExpired(deps.store, {
      now,
      retentionDays: prune.retentionDays,
      limit: prune.limit,
    });
    if (pruned > 0) {
      deps.log.info(
        {
          event: 'sweep.pruned',
          sweepId: sweep.sweepId,
          pruned,
          limit: prune.limit,
          retentionDays: prune.retentionDays,
        },
        `pruned ${pruned} row(s) older than ${prune.retentionDays} day(s)${pruned === prune.limit ? ' (more remain)' : ''}`,
      );
    }
    return pruned;
  } catch (e) {
    deps.log.warn(
      { event: 'sweep.prune_failed', sweepId: sweep.sweepId, error: (e as Error).message },
      `pruning after ${sweep.sweepId} failed; the sweep is recorded`,
    );
    return 0;
  }
}
