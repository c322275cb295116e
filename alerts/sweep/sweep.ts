/**
 * One health sweep, the core shared by the HTTP and Pub/Sub functions (which only adapt their
 * trigger to a `sweepId` and a time):
 *
 * 1. a sweep id already stored answers its stored summary with `duplicate: true` (Cloud
 *    Scheduler and Pub/Sub both retry, so a sweep must be idempotent);
 * 2. probe every target (bounded concurrency, per-request deadlines);
 * 3. record samples: `up`, `probe_latency_ms`, `health_status`, and the counter-derived ones
 *    from each instance's scrape against its previous snapshot (then saved). Each sample is
 *    validated first; one the store cannot take is dropped and counted, so one target's data
 *    can never fail the append for all (issue 16);
 * 4. evaluate every rule over its window for every target it applies to, add each target's
 *    `ScrapeFailed` findings (scrape-findings.ts: its problems reading /health and /metrics,
 *    dropped samples among them); record the findings;
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
import { pruneExpired } from '../store/retention.js';
import type { TrendStore } from '../store/store.js';
import { evaluate } from '../trends/evaluate.js';
import type { RuleSpec } from '../trends/rule.js';
import type { Finding, Sample } from '../types.js';
import { type ProbeResult, probeAll, type ScrapeProblem } from './probe.js';
import { samplesOf } from './samples.js';
import { SCRAPE_ERR_SAMPLE_INVALID } from './scrape-errors.js';
import { scrapeFindings, type TargetScrape } from './scrape-findings.js';
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
  /**
   * Wall clock, epoch ms; default `Date.now`. It stamps the stored sweep's `recordedAt` (what the
   * heartbeat trusts) and bounds pruning.
   */
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
    /** The /health state (`unknown` for any other status), or null when none was read. */
    readonly health: string | null;
    /** The codes of this sweep's problems reading the target (ScrapeFailed); empty when none. */
    readonly scrape: readonly string[];
    /** Scraped series and samples dropped because the store could not take them. */
    readonly dropped: number;
  }[];
  readonly findings: readonly {
    readonly alertname: string;
    readonly target: string;
    readonly severity: string;
    readonly state: string;
    readonly summary: string;
  }[];
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
  const scrapes: (TargetScrape & { readonly dropped: number })[] = [];
  for (const probe of probes) {
    const recorded = await samplesOf(store, probe, sweep.ts);
    samples.push(...recorded.samples);
    const dropped = [...recorded.dropped.values()].reduce((a, b) => a + b, 0);
    const problems: ScrapeProblem[] = [...probe.problems];
    if (dropped > 0) problems.push(droppedProblem(recorded.dropped, dropped));
    scrapes.push({ target: probe.target, scraped: probe.up, problems, dropped });
    logProbe(log, sweep.sweepId, probe, problems, dropped);
  }
  await store.appendSamples(samples);
  const findings = [
    ...(await evaluate(store, deps.rules, deps.targets, sweep.ts)),
    ...(await scrapeFindings(store, scrapes, sweep.ts)),
  ];
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
    targets: probes.map((p, i) => ({
      name: p.target,
      up: p.up,
      status: p.status,
      latencyMs: Math.round(p.latencyMs * 10) / 10,
      health: p.health?.status ?? null,
      scrape: [...new Set(scrapes[i]?.problems.map((x) => x.code))],
      dropped: scrapes[i]?.dropped ?? 0,
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
    recordedAt: (deps.now ?? Date.now)(),
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
      dropped: scrapes.reduce((n, x) => n + x.dropped, 0),
      scrapeFailed: scrapes.filter((x) => x.problems.length > 0).length,
      pruned,
      durationMs: Math.round(performance.now() - t0),
    },
    `sweep ${sweep.sweepId}: ${probes.length} target(s), ${findings.length} finding(s)`,
  );
  return inserted ? summary : { ...(record.summary as unknown as SweepSummary), duplicate: true };
}

/** The scrape problem of a target whose samples were dropped: how many, and why. */
function droppedProblem(reasons: ReadonlyMap<string, number>, total: number): ScrapeProblem {
  const why = [...reasons].map(([reason, n]) => `${reason} (${n})`).join(', ');
  return {
    probe: 'metrics',
    code: SCRAPE_ERR_SAMPLE_INVALID,
    message: `${total} sample(s) dropped: ${why}`,
  };
}

/** `sweep.probe`: one line per target, bounded whatever the target sent. */
function logProbe(
  log: Logger,
  sweepId: string,
  probe: ProbeResult,
  problems: readonly ScrapeProblem[],
  dropped: number,
): void {
  log.info(
    {
      event: 'sweep.probe',
      sweepId,
      target: probe.target,
      up: probe.up,
      status: probe.status,
      latencyMs: Math.round(probe.latencyMs * 10) / 10,
      health: probe.health?.status ?? null,
      ...(probe.health?.sample === undefined ? {} : { healthSample: probe.health.sample }),
      ...(probe.error ? { error: probe.error } : {}),
      ...(problems.length > 0
        ? { scrape: problems.map((p) => ({ probe: p.probe, code: p.code, message: p.message })) }
        : {}),
      ...(dropped > 0 ? { dropped } : {}),
    },
    `${probe.target} ${probe.up ? 'up' : `down (${probe.error})`}${problems.length > 0 ? `; scrape: ${[...new Set(problems.map((p) => p.code))].join(', ')}` : ''}`,
  );
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
