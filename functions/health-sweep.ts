/**
 * `healthSweep`, the HTTP target of a Cloud Scheduler job: a thin adapter from the Scheduler
 * request to `runSweep` (alerts/sweep/sweep.ts). The sweep id is `<job>@<scheduleTime>` from
 * the `X-CloudScheduler-JobName` and `X-CloudScheduler-ScheduleTime` headers, so a retried
 * delivery of the same scheduled run is a duplicate; without them (a manual call) it is
 * `manual@<now>`.
 */

import { readFileSync } from 'node:fs';
import type { Request, Response } from '@google-cloud/functions-framework';
import { openStore } from '../alerts/store/open.js';
import type { TrendStore } from '../alerts/store/store.js';
import { runSweep } from '../alerts/sweep/sweep.js';
import { loadTargets, type SweepTarget } from '../alerts/sweep/targets.js';
import { loadRules } from '../alerts/trends/load-rules.js';
import type { RuleSpec } from '../alerts/trends/rule.js';
import { RunwatchError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { type FunctionsConfig, loadFunctionsConfig } from './config.js';

interface SweepContext {
  readonly config: FunctionsConfig;
  readonly store: TrendStore;
  readonly targets: SweepTarget[];
  readonly rules: RuleSpec[];
  readonly log: Logger;
}

/**
 * Built on the first request and reused: an instance opens its store, reads its targets and
 * rules once. (The Functions Framework gives no start-up hook; a failed build is retried on the
 * next request rather than cached.)
 */
let context: Promise<SweepContext> | null = null;

function sweepContext(): Promise<SweepContext> {
  context ??= (async () => {
    const config = loadFunctionsConfig();
    const log = createLogger({ level: config.logLevel, base: { function: 'healthSweep' } });
    const targetsText = config.sweepTargets?.trim() ? '' : readFileSync(config.targetsFile, 'utf8');
    return {
      config,
      log,
      targets: loadTargets(targetsText, config.targetsFile, config.sweepTargets),
      rules: loadRules(config.rulesDir),
      store: await openStore(config.storeUrl, { platform: config.platform }),
    };
  })().catch((e: unknown) => {
    context = null;
    throw e;
  });
  return context;
}

/** `<job>@<scheduleTime>` and the sweep time, from Scheduler's headers or now. */
export function sweepIdentity(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): { sweepId: string; ts: number } {
  const one = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const job = one('x-cloudscheduler-jobname');
  const scheduled = one('x-cloudscheduler-scheduletime');
  const parsed = scheduled === undefined ? Number.NaN : Date.parse(scheduled);
  const ts = Number.isNaN(parsed) ? now : parsed;
  return { sweepId: `${job ?? 'manual'}@${new Date(ts).toISOString()}`, ts };
}

export async function healthSweep(req: Request, res: Response): Promise<void> {
  try {
    const ctx = await sweepContext();
    const { sweepId, ts } = sweepIdentity(req.headers, Date.now());
    const summary = await runSweep(
      {
        store: ctx.store,
        targets: ctx.targets,
        rules: ctx.rules,
        log: ctx.log,
        concurrency: ctx.config.sweepConcurrency,
      },
      { sweepId, ts },
    );
    res.status(200).json(summary);
  } catch (e) {
    const code = e instanceof RunwatchError ? e.code : 'SWEEP_ERR_INTERNAL';
    const message = e instanceof Error ? e.message : String(e);
    res.status(500).json({ error: { code, message } });
  }
}
