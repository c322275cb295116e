/**
 * One alertTick instance's state: configuration, logger, and (opened on first use) the stores
 * and the alert pipeline (intake, engine, delivery). `tick` runs the engine's timer work
 * (alerts/engine/tick.ts); `admin` is what the admin API reads and changes.
 */

import { runTick, type TickReport } from '../../alerts/engine/tick.js';
import { ingestInProcess } from '../../alerts/ingest/in-process.js';
import { openStores, type Stores } from '../../alerts/store/open.js';
import type { Logger } from '../../lib/logger.js';
import { type AlertPipeline, buildAlertPipeline } from './alert-pipeline.js';
import type { FunctionsConfig } from './config.js';
import { functionSettings, lazyContext } from './function-settings.js';

export interface TickRuntimeOptions {
  /** The environment to configure from; default `process.env` (read in config.ts). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: Logger;
  /** Wall clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

export interface TickContext {
  readonly stores: Stores;
  readonly pipeline: AlertPipeline;
}

export interface TickRuntime {
  settings(): { readonly config: FunctionsConfig; readonly log: Logger };
  log(): Logger;
  now(): number;
  tick(): Promise<TickReport>;
  context(): Promise<TickContext>;
  close(): Promise<void>;
}

/** Engine rows are pruned in batches of at most this many per tick when STORE_PRUNE_BATCH is 0. */
const DEFAULT_PRUNE_LIMIT = 1000;

export function createTickRuntime(
  functionName: string,
  options: TickRuntimeOptions = {},
): TickRuntime {
  const now = options.now ?? Date.now;
  const source = functionSettings(functionName, options, 'sweep');
  // The heartbeat's grace starts when this instance does.
  const watchingSince = now();

  const context = lazyContext(async (): Promise<TickContext> => {
    const { config, log } = source.settings();
    const stores = await openStores(config.storeUrl, { platform: config.platform });
    try {
      const pipeline = buildAlertPipeline({
        stores,
        config,
        log,
        now,
        deadLetter: null,
        env: options.env,
      });
      return { stores, pipeline };
    } catch (e) {
      await stores.close();
      throw e;
    }
  });

  return {
    settings: source.settings,
    log: source.log,
    now,
    context: () => context.get(),
    async tick() {
      const { config, log } = source.settings();
      const { stores, pipeline } = await context.get();
      const handOver = ingestInProcess(pipeline.intake, log, now);
      return runTick({
        engine: pipeline.engine,
        deliver: () => pipeline.worker.run(),
        trends: stores.trends,
        engineStore: stores.engine,
        heartbeat:
          config.heartbeatJob === undefined
            ? null
            : {
                job: config.heartbeatJob,
                maxSilenceMs: config.heartbeatMaxSilenceMs,
                watchingSince,
              },
        ingestFinding: async (finding, id) => {
          const { failed } = await handOver([finding], id);
          if (failed > 0) throw new Error(`the ${finding.alertname} finding was not handed over`);
        },
        log,
        now,
        retentionMs: config.retentionDays * 86_400_000,
        pruneLimit: config.pruneBatch > 0 ? config.pruneBatch : DEFAULT_PRUNE_LIMIT,
      });
    },
    async close() {
      const ctx = await context.take();
      await ctx?.pipeline.close();
      await ctx?.stores.close();
    },
  };
}
