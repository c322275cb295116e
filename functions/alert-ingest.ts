/**
 * `alertIngest`, the CloudEvent function on the `alert-ingest` topic (through Eventarc in
 * production; through the emulator's push and the Eventarc relay locally): Cloud Monitoring
 * incidents, log-sink entries and runwatch's own findings, each normalised, deduplicated, stored
 * and handed off once (alerts/ingest/intake.ts; docs/ingest-formats.md).
 *
 * Acknowledge or retry, by what a retry could change:
 * - poison (undecodable, unknown shape, missing fields, attributes only) is acknowledged (the
 *   handler returns: 204), logged `alert.poison` with its code, kept in the store and published
 *   to the dead-letter topic; a loop (`origin=runwatch`) is acknowledged and dropped;
 * - a duplicate is acknowledged and logged `alert.duplicate`;
 * - a transient failure (the store, the dead-letter publish, a hand-off in progress elsewhere) is
 *   logged `alert.ingest_failed` and thrown: 500, so Pub/Sub redelivers it with backoff and the
 *   subscription's dead-letter policy bounds the retries.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { RunwatchError } from '../lib/errors.js';
import { createIngestRuntime, type IngestRuntimeOptions } from './shared/ingest-runtime.js';

export type AlertIngestHandler = ((event: CloudEvent<unknown>) => Promise<void>) & {
  close(): Promise<void>;
};

export function createAlertIngest(options: IngestRuntimeOptions = {}): AlertIngestHandler {
  const runtime = createIngestRuntime('alertIngest', options);
  // An invalid configuration refuses to start rather than fail every delivery.
  runtime.settings();
  const handler = async (event: CloudEvent<unknown>): Promise<void> => {
    try {
      await runtime.handle(event);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      runtime.log().error(
        {
          event: 'alert.ingest_failed',
          // INGEST_ERR_BUSY, a STORE_ERR_*, ...; null for an error without a code (a bug).
          code: e instanceof RunwatchError ? e.code : null,
          error: message,
          ceId: typeof event?.id === 'string' ? event.id.slice(0, 100) : null,
        },
        `alert ingest failed, the message will be redelivered: ${message}`,
      );
      throw e;
    }
  };
  return Object.assign(handler, { close: () => runtime.close() });
}
