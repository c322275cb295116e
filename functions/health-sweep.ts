/**
 * `healthSweep`, the HTTP target of a Cloud Scheduler job: a thin adapter from the Scheduler
 * request to `runSweep` (alerts/sweep/sweep.ts). The sweep id is `<job>@<scheduleTime>` from
 * the `X-CloudScheduler-JobName` and `X-CloudScheduler-ScheduleTime` headers, so a retried
 * delivery of the same scheduled run is a duplicate; without them (a manual call) it is
 * `manual@<now>`.
 *
 * With SWEEP_AUDIENCE set, the request must carry the job's OIDC token (shared/oidc.ts):
 * otherwise 401 `SWEEP_ERR_UNAUTHENTICATED`, before the store is touched. Without it, no token
 * is checked, which on Cloud Run the config allows only with SWEEP_IAM_GUARDED=true (the
 * platform's IAM admits only allowed invokers); an invalid configuration refuses to start.
 *
 * A schedule time more than 15 s ahead of now, or older than the retention, is refused with 400
 * `SWEEP_ERR_SCHEDULE_INVALID` before anything is probed (shared/sweep-time.ts).
 *
 * Answers: 200 `{sweepId, duplicate, targets, findings}`; 400/401/503 and 500
 * `{error: {code, message}}`.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import {
  SweepAuthError,
  SweepAuthUnavailableError,
  SweepScheduleError,
  sweepErrorCode,
} from './shared/errors.js';
import { createSchedulerAuth } from './shared/scheduler-auth.js';
import { createSweepRuntime, type SweepRuntimeOptions } from './shared/sweep-runtime.js';
import { sweepTimeProblem } from './shared/sweep-time.js';

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

export type HealthSweepHandler = ((req: Request, res: Response) => Promise<void>) & {
  /** Closes the store and publisher this handler opened (tests). */
  close(): Promise<void>;
};

export function createHealthSweep(options: SweepRuntimeOptions = {}): HealthSweepHandler {
  const runtime = createSweepRuntime('healthSweep', options);
  // An invalid configuration refuses to start (the Functions Framework fails to load the
  // function) rather than answering every caller with its problems.
  runtime.settings();
  // Per handler (so per instance): the verifier keeps its certificate cache between requests.
  const authenticate = createSchedulerAuth(() => runtime.settings().config, options.certs);

  const handler = async (req: Request, res: Response): Promise<void> => {
    try {
      await authenticate(req);
      const now = runtime.now();
      const { sweepId, ts } = sweepIdentity(req.headers, now);
      const problem = sweepTimeProblem(ts, now, runtime.settings().config.retentionDays);
      if (problem !== null) {
        throw new SweepScheduleError(
          `header X-CloudScheduler-ScheduleTime is ${new Date(ts).toISOString()}, ${problem}`,
        );
      }
      res.status(200).json(await runtime.sweep({ sweepId, ts }));
    } catch (e) {
      const code = sweepErrorCode(e);
      const message = e instanceof Error ? e.message : String(e);
      const log = runtime.log();
      if (e instanceof SweepAuthError) {
        log.warn({ event: 'sweep.unauthenticated', code, reason: message }, message);
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        res.status(e.statusCode).json({ error: { code, message } });
        return;
      }
      if (e instanceof SweepScheduleError) {
        log.warn({ event: 'sweep.schedule_refused', code, reason: message }, message);
        res.status(e.statusCode).json({ error: { code, message } });
        return;
      }
      if (e instanceof SweepAuthUnavailableError) {
        log.error({ event: 'sweep.auth_unavailable', code, error: message }, message);
        res.set('Retry-After', '10');
        res.status(e.statusCode).json({ error: { code, message } });
        return;
      }
      log.error({ event: 'sweep.failed', code, error: message }, `sweep failed: ${message}`);
      res.status(500).json({ error: { code, message } });
    }
  };
  return Object.assign(handler, { close: () => runtime.close() });
}
