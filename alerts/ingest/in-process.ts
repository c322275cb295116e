/**
 * The sweep's findings handed to ingest in-process, when the alert flow runs without Pub/Sub:
 * each finding becomes the message the sweep would have published (alert-event.v1,
 * `findingEvent`), under a messageId derived from its content, and goes through the same intake
 * as a pushed message. So a retried sweep's findings are duplicates, as a redelivery's are.
 *
 * Never rejects: the findings are stored already, and one that fails to be handed off is logged
 * (`sweep.ingest_failed`) and counted.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import type { Finding, PubSubMessage } from '../types.js';
import { findingEvent } from './alert-event.js';
import type { Intake } from './intake.js';

export function findingMessage(finding: Finding, sweepId: string, now: number): PubSubMessage {
  const { json, attributes } = findingEvent(finding, sweepId);
  const data = Buffer.from(JSON.stringify(json), 'utf8');
  const digest = createHash('sha256').update(data).digest('hex').slice(0, 32);
  return { messageId: `in-process:${digest}`, data, attributes, publishTime: now };
}

export function ingestInProcess(intake: Intake, log: Logger, now: () => number) {
  return async (findings: readonly Finding[], sweepId: string) => {
    let ingested = 0;
    for (const finding of findings) {
      try {
        await intake.accept(findingMessage(finding, sweepId, now()));
        ingested++;
      } catch (e) {
        log.error(
          {
            event: 'sweep.ingest_failed',
            sweepId,
            alertname: finding.alertname,
            target: finding.target,
            error: e instanceof Error ? e.message : String(e),
          },
          `finding ${finding.alertname} for ${finding.target} not handed to ingest; it is stored`,
        );
      }
    }
    return { ingested, failed: findings.length - ingested };
  };
}
