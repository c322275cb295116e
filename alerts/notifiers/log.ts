/**
 * The log notifier: one `event: "alert.notification"` line per alert handed to it, with the
 * fingerprint-to-be (the dedupe key until the engine fingerprints labels), status, reason and
 * receiver. Until the alert engine exists, ingest hands every new alert here directly.
 */
import type { Logger } from '../../lib/logger.js';
import type { IncomingAlert } from '../types.js';

export const LOG_RECEIVER = 'log';

export interface Notification {
  readonly alert: IncomingAlert;
  /** Why this notification is sent, e.g. `new alert`. */
  readonly reason: string;
}

export type Notifier = (notification: Notification) => Promise<void>;

export function createLogNotifier(log: Logger): Notifier {
  return async ({ alert, reason }) => {
    const { labels, annotations } = alert;
    log.info(
      {
        event: 'alert.notification',
        receiver: LOG_RECEIVER,
        reason,
        status: alert.status,
        source: alert.source,
        dedupeKey: alert.dedupeKey,
        alertname: labels.alertname,
        severity: labels.severity,
        labels,
        annotations,
        startsAt: new Date(alert.startsAt).toISOString(),
        ...(alert.endsAt === null ? {} : { endsAt: new Date(alert.endsAt).toISOString() }),
      },
      `[${alert.status}] ${labels.alertname ?? '?'} (${labels.severity ?? '?'}): ${annotations.summary ?? alert.dedupeKey}`,
    );
  };
}
