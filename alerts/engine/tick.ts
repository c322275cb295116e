/**
 * One tick of the engine's clock (alertTick, from Cloud Scheduler every minute; the local
 * scheduler in `npm start`). Nothing runs between events in a serverless deployment, so every
 * timer is checked here, at the tick's resolution:
 *
 * 1. the store's definitions silences are brought in step with the file: each one it declares
 *    is written by id, and one it no longer declares is ended (the admin API cannot expire a
 *    definitions silence, since this step would write it back: the file is where it is edited);
 * 2. the sweeper's heartbeat: the newest recorded sweep against the allowed silence
 *    (alerts/trends/sweeper-heartbeat.ts), its finding recorded and handed to the alert flow
 *    like any sweep finding (the sweep cannot report its own absence);
 * 3. every due group is flushed: group_wait, group_interval, repeat_interval and
 *    resolve_timeout, `for` and `keep_firing_for` all take effect at these flushes;
 * 4. what is pending in the outbox is delivered (retries included);
 * 5. old engine rows are pruned.
 *
 * A step that fails is logged and reported, and the later steps still run: a broken heartbeat
 * must not stop deliveries.
 */
import type { Logger } from '../../lib/logger.js';
import type { EngineStore } from '../store/engine-store.js';
import type { TrendStore } from '../store/store.js';
import {
  checkSweeperHeartbeat,
  MAX_CLOCK_SKEW_MS,
  SWEEPER_ABSENT,
} from '../trends/sweeper-heartbeat.js';
import type { Finding } from '../types.js';
import type { DeliveryReport } from './deliver.js';
import type { Engine, FlushOutcome } from './engine.js';

export interface HeartbeatSettings {
  /** The sweep job watched (its Scheduler job name). */
  readonly job: string;
  readonly maxSilenceMs: number;
  /** When this watcher began: a cold start gives the sweeper one full silence of grace. */
  readonly watchingSince: number;
  readonly runbookUrl?: string;
}

export interface TickDeps {
  readonly engine: Engine;
  readonly deliver: () => Promise<DeliveryReport>;
  readonly trends: Pick<TrendStore, 'latestSweep' | 'findings' | 'recordFindings'>;
  readonly engineStore: Pick<EngineStore, 'prune'>;
  /** Null: no heartbeat check (no sweep job is watched). */
  readonly heartbeat: HeartbeatSettings | null;
  /** Hands a finding to the alert flow (in-process intake). */
  readonly ingestFinding: (finding: Finding, id: string) => Promise<void>;
  readonly log: Logger;
  readonly now: () => number;
  /** Engine rows older than this many ms go (resolved alerts in no group, settled deliveries). */
  readonly retentionMs: number;
  readonly pruneLimit: number;
}

export interface TickReport {
  readonly at: string;
  readonly silences: { readonly declared: number; readonly expired: number } | null;
  readonly heartbeat: { readonly state: Finding['state'] } | null;
  readonly flushed: readonly FlushOutcome[];
  readonly deliveries: DeliveryReport | null;
  readonly pruned: number | null;
  /** Steps that failed, with their messages. */
  readonly failed: Readonly<Record<string, string>>;
}

/** How far back the heartbeat's previous state is looked for. */
const HEARTBEAT_LOOKBACK_MS = 7 * 86_400_000;

async function checkHeartbeat(deps: TickDeps, h: HeartbeatSettings, t: number) {
  const latest = await deps.trends.latestSweep({ notAfter: t + MAX_CLOCK_SKEW_MS });
  const previous = (
    await deps.trends.findings({ target: h.job, from: t - HEARTBEAT_LOOKBACK_MS })
  ).filter((f) => f.alertname === SWEEPER_ABSENT);
  const finding = checkSweeperHeartbeat({
    job: h.job,
    lastRecordedAt: latest?.recordedAt ?? null,
    watchingSince: h.watchingSince,
    now: t,
    maxSilenceMs: h.maxSilenceMs,
    wasFiring: previous.at(-1)?.state === 'firing',
    ...(h.runbookUrl === undefined ? {} : { runbookUrl: h.runbookUrl }),
  });
  if (finding === null) return null;
  const id = `heartbeat@${new Date(t).toISOString()}`;
  await deps.trends.recordFindings([finding], id);
  const fields = { event: 'heartbeat.finding', ...finding };
  if (finding.state === 'firing') deps.log.error(fields, finding.annotations.summary);
  else deps.log.info(fields, finding.annotations.summary);
  await deps.ingestFinding(finding, id);
  return { state: finding.state };
}

export async function runTick(deps: TickDeps): Promise<TickReport> {
  const t = deps.now();
  const failed: Record<string, string> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      failed[name] = message;
      deps.log.error({ event: 'alert.tick_step_failed', step: name, error: message }, message);
      return null;
    }
  };
  const silences = await step('silences', () => deps.engine.syncSilences());
  const heartbeat =
    deps.heartbeat === null
      ? null
      : await step('heartbeat', () => checkHeartbeat(deps, deps.heartbeat as HeartbeatSettings, t));
  const flushed = (await step('flush', () => deps.engine.flushDue())) ?? [];
  const deliveries = await step('deliver', deps.deliver);
  const pruned = await step('prune', () =>
    deps.engineStore.prune(t - deps.retentionMs, deps.pruneLimit),
  );
  const report: TickReport = {
    at: new Date(t).toISOString(),
    silences,
    heartbeat,
    flushed,
    deliveries,
    pruned,
    failed,
  };
  deps.log.info(
    {
      event: 'alert.tick',
      flushed: flushed.length,
      notified: flushed.filter((f) => f.reason !== null).length,
      deliveries,
      heartbeat: heartbeat?.state ?? null,
      failed: Object.keys(failed),
    },
    `tick: ${flushed.length} group(s) flushed, ${deliveries?.delivered ?? 0} delivered`,
  );
  return report;
}
