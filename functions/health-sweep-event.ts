/**
 * `healthSweepEvent`, the CloudEvent function for Cloud Scheduler's Pub/Sub target (through
 * Eventarc): the same sweep as `healthSweep`, keyed by the message (functions/sweep-event.ts).
 *
 * Acknowledge or retry, by what a retry could change (gcp-formats.md §2.1, §10):
 * - a poison event (not a usable messagePublished event) would fail identically on every one
 *   of Pub/Sub's redeliveries for 24 h, so it is logged at ERROR (`sweep.event_rejected`, code
 *   `SWEEP_ERR_EVENT_INVALID`) and the handler returns normally: 204, acknowledged;
 * - a failure of the sweep itself (the store unreachable, a bad deployment) may pass, so it is
 *   logged (`sweep.failed`) and thrown: 500, nacked, redelivered with backoff when the trigger
 *   has retries on. The redelivery carries the same messageId, so a sweep that did complete
 *   before the failure is a duplicate, not a second set of samples.
 *
 * Authentication is Eventarc's: the trigger's service account needs roles/run.invoker, and Cloud
 * Run IAM checks its token before the framework sees the request.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { SweepEventError, sweepErrorCode } from './shared/errors.js';
import { parseSweepEvent } from './shared/sweep-event.js';
import { createSweepRuntime, type SweepRuntimeOptions } from './shared/sweep-runtime.js';
import { sweepTimeProblem } from './shared/sweep-time.js';

export type HealthSweepEventHandler = ((event: CloudEvent<unknown>) => Promise<void>) & {
  close(): Promise<void>;
};

export function createHealthSweepEvent(options: SweepRuntimeOptions = {}): HealthSweepEventHandler {
  const runtime = createSweepRuntime('healthSweepEvent', options);
  // An invalid configuration refuses to start rather than fail every delivery.
  runtime.settings();
  const handler = async (event: CloudEvent<unknown>): Promise<void> => {
    try {
      const { config } = runtime.settings();
      const sweep = parseSweepEvent(event);
      const problem = sweepTimeProblem(sweep.ts, runtime.now(), config.retentionDays);
      if (problem !== null) {
        throw new SweepEventError(
          `field data.message.publishTime is ${new Date(sweep.ts).toISOString()}, ${problem}`,
          'data.message.publishTime',
        );
      }
      await runtime.sweep({ sweepId: sweep.sweepId, ts: sweep.ts });
    } catch (e) {
      const log = runtime.log();
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof SweepEventError) {
        log.error(
          {
            event: 'sweep.event_rejected',
            code: e.code,
            field: e.field,
            reason: message,
            ceId: typeof event.id === 'string' ? event.id.slice(0, 100) : null,
            ceType: typeof event.type === 'string' ? event.type.slice(0, 100) : null,
          },
          `CloudEvent rejected and acknowledged (a retry would fail the same way): ${message}`,
        );
        return;
      }
      const code = sweepErrorCode(e);
      log.error(
        { event: 'sweep.failed', code, error: message, ceId: event.id ?? null },
        `sweep failed, the event will be retried: ${message}`,
      );
      throw e;
    }
  };
  return Object.assign(handler, { close: () => runtime.close() });
}
