/**
 * What both sweep functions share: the configuration, the logger, and the per-instance
 * context (store, targets, rules, publisher, ID tokens) that one `runSweep` needs. Built lazily
 * on first use and kept in the closure of the function that owns it (the Functions Framework
 * gives no start-up hook); a failed build is retried on the next call rather than cached.
 *
 * Two stages, so a request can be refused (bad token, poison event) before the store is
 * touched: `settings()` is the configuration and logger only; `sweep()` opens the rest.
 */
import { readFileSync } from 'node:fs';
import { ingestInProcess } from '../../alerts/ingest/in-process.js';
import { openStores, type Stores } from '../../alerts/store/open.js';
import { googleIdTokens, type IdTokenSource, iamHeaders } from '../../alerts/sweep/id-tokens.js';
import { probeAll } from '../../alerts/sweep/probe.js';
import {
  createPubSubFindingsPublisher,
  type FindingsPublisher,
} from '../../alerts/sweep/publish-findings.js';
import { runSweep, type SweepDeps, type SweepSummary } from '../../alerts/sweep/sweep.js';
import { loadTargets, type SweepTarget } from '../../alerts/sweep/targets.js';
import { loadRules } from '../../alerts/trends/load-rules.js';
import type { Logger } from '../../lib/logger.js';
import { type AlertPipeline, buildAlertPipeline } from './alert-pipeline.js';
import { resolveSecretRef } from './config.js';
import { type FunctionSettings, functionSettings, lazyContext } from './function-settings.js';
import type { CertsProvider } from './oidc.js';

export interface SweepRuntimeOptions {
  /** The environment to configure from; default `process.env` (read in config.ts). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: a Cloud Logging JSON logger at LOG_LEVEL. */
  readonly log?: Logger;
  /** Google's ID-token certificates for healthSweep's OIDC check; default fetched from Google. */
  readonly certs?: CertsProvider;
  /** ID tokens for `iam: true` targets; default `GoogleAuth.getIdTokenClient`. */
  readonly idTokens?: IdTokenSource;
  /** Wall clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

interface SweepContext {
  /** What every sweep of this instance runs with: built once, with the store. */
  readonly deps: SweepDeps;
  readonly stores: Stores;
  readonly publisher: FindingsPublisher | null;
  /** Without Pub/Sub: the intake, engine and delivery the findings go through in-process. */
  readonly pipeline: AlertPipeline | null;
}

export interface SweepRuntime {
  /** Configuration and logger; throws `ConfigError` (again on every call) while invalid. */
  settings(): FunctionSettings;
  /** A logger that works even when the configuration does not, for reporting that. */
  log(): Logger;
  now(): number;
  /** One sweep through `runSweep`, opening the store etc. on first use. */
  sweep(sweep: { readonly sweepId: string; readonly ts: number }): Promise<SweepSummary>;
  /** Closes the store and the publisher (tests; instances just stop). */
  close(): Promise<void>;
}

export function createSweepRuntime(
  functionName: string,
  options: SweepRuntimeOptions = {},
): SweepRuntime {
  const now = options.now ?? Date.now;

  const source = functionSettings(functionName, options, 'sweep');
  const loadSettings = source.settings;

  const context = lazyContext(async (): Promise<SweepContext> => {
    const { config, log } = loadSettings();
    const targetsText = config.sweepTargets?.trim() ? '' : readFileSync(config.targetsFile, 'utf8');
    const targets = loadTargets(targetsText, config.targetsFile, config.sweepTargets);
    const rules = loadRules(config.rulesDir);
    const stores = await openStores(config.storeUrl, { platform: config.platform });
    const store = stores.trends;
    // With Pub/Sub the findings go to alert-ingest; without, to the same intake in-process.
    const publisher = !config.pubsub
      ? null
      : createPubSubFindingsPublisher({
          topic: config.findingsTopic,
          projectId: config.projectId,
          emulatorHost: config.pubsubEmulatorHost,
          timeoutMs: config.publishTimeoutMs,
          log,
        });
    const pipeline: AlertPipeline | null =
      publisher === null
        ? buildAlertPipeline({ stores, config, log, now, deadLetter: null, env: options.env })
        : null;
    // One token source per runtime: it keeps one ID-token client (and its cached token) per
    // audience, and creates nothing until a target with `iam: true` is probed.
    const idTokens = options.idTokens ?? googleIdTokens();
    const deps: SweepDeps = {
      store,
      targets,
      rules,
      log,
      concurrency: config.sweepConcurrency,
      now,
      ...(targets.some((t) => t.iam || t.adminKey)
        ? {
            probe: (all: readonly SweepTarget[], concurrency: number) =>
              probeAll(all, concurrency, {
                headers: iamHeaders(idTokens),
                metricsHeaders: (target) =>
                  target.adminKey
                    ? { 'x-api-key': resolveSecretRef(target.adminKey, options.env) }
                    : {},
              }),
          }
        : {}),
      publish:
        publisher !== null
          ? (findings, sweepId) => publisher.publish(findings, sweepId)
          : ingestInProcess((pipeline as AlertPipeline).intake, log, now),
      ...(config.pruneBatch > 0
        ? { prune: { retentionDays: config.retentionDays, limit: config.pruneBatch } }
        : {}),
    };
    return { deps, stores, publisher, pipeline };
  });

  return {
    settings: loadSettings,
    log: source.log,
    now,
    async sweep(sweep) {
      return runSweep((await context.get()).deps, sweep);
    },
    async close() {
      const ctx = await context.take();
      await ctx?.publisher?.close();
      await ctx?.pipeline?.close();
      await ctx?.stores.close();
    },
  };
}
