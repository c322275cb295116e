/**
 * Publishes a sweep's findings to a Pub/Sub topic with the real @google-cloud/pubsub client: one
 * message per finding, exactly `findingEvent` (alerts/ingest/alert-event.ts): the JSON body of
 * the `alert-event.v1` schema (alerts/definitions/alert-event.v1.json, which alert ingest
 * validates), and attributes `alertname`, `target`, `severity`, `state`, `sweepId` (for
 * subscription filters and consumer dedupe: a retried sweep may publish again) and `schema`,
 * no ordering key.
 *
 * Publishing is bounded: every call gets the gax call option `{timeout}`, which for Publish
 * (a retrying method) caps the whole retry loop, not one attempt; and the wait is raced against
 * a deadline of the same length, which also covers what happens before the RPC (client set-up,
 * credentials). A message not confirmed by then is logged as failed (`sweep.publish_failed`).
 * Nothing here throws: the findings are already stored, so publishing is best effort and never
 * fails the sweep.
 *
 * `emulatorHost` (PUBSUB_EMULATOR_HOST) sends in plaintext to that host:port instead of Google.
 */

import type { Logger } from '../../lib/logger.js';
import { findingEvent } from '../ingest/alert-event.js';
import { lazyTopic } from '../pubsub/client.js';
import type { Finding } from '../types.js';

export interface PubSubFindingsOptions {
  /** A topic id, or its full name `projects/P/topics/T`. */
  readonly topic: string;
  /** Unset: the client library detects the project (metadata server, credentials). */
  readonly projectId?: string | undefined;
  readonly emulatorHost?: string | undefined;
  /** The longest one `publish` call may take, ms. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

export interface PublishOutcome {
  readonly published: number;
  readonly failed: number;
  readonly durationMs: number;
}

export interface FindingsPublisher {
  /** Publishes every finding; resolves within `timeoutMs` (plus scheduling), never rejects. */
  publish(findings: readonly Finding[], sweepId: string): Promise<PublishOutcome>;
  /** Closes the client's channels; pending publishes fail. */
  close(): Promise<void>;
}

type Settled = { ok: true; messageId: string } | { ok: false; error: string };

export function createPubSubFindingsPublisher(options: PubSubFindingsOptions): FindingsPublisher {
  // A sweep's findings go out together in one request as soon as they are queued.
  const topic = lazyTopic({ ...options, batchMessages: 1000 });

  return {
    async publish(findings, sweepId) {
      const t0 = performance.now();
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const timedOut = new Promise<'timeout'>((resolve) => {
        deadline.addEventListener('abort', () => resolve('timeout'), { once: true });
      });
      const results: (Settled | undefined)[] = new Array(findings.length);
      const sends = findings.map(async (finding, i) => {
        try {
          const messageId = await topic.get().publishMessage(findingEvent(finding, sweepId));
          results[i] = { ok: true, messageId };
        } catch (e) {
          results[i] = { ok: false, error: (e as Error).message ?? String(e) };
        }
      });
      await Promise.race([Promise.all(sends), timedOut]);
      const durationMs = Math.round(performance.now() - t0);
      let published = 0;
      for (const [i, finding] of findings.entries()) {
        const result = results[i] ?? {
          ok: false,
          error: `no answer within ${options.timeoutMs} ms (SWEEP_PUBLISH_TIMEOUT_MS)`,
        };
        if (result.ok) {
          published++;
          continue;
        }
        options.log.error(
          {
            event: 'sweep.publish_failed',
            sweepId,
            topic: options.topic,
            alertname: finding.alertname,
            target: finding.target,
            error: result.error,
            durationMs,
          },
          `finding ${finding.alertname} for ${finding.target} not published to ${options.topic}: ${result.error}; it is stored`,
        );
      }
      if (published > 0) {
        options.log.info(
          { event: 'sweep.published', sweepId, topic: options.topic, published, durationMs },
          `${published} finding(s) published to ${options.topic}`,
        );
      }
      return { published, failed: findings.length - published, durationMs };
    },
    close: () => topic.close(),
  };
}
