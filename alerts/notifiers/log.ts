/**
 * The log notifier: one `event: "alert.notification"` line per alert of a group notification,
 * with its fingerprint, status, the notification's reason and receiver, the group key and the
 * notification id (Cloud Logging picks the line up; a log-based metric can count them). A line
 * never fails to be written, so this notifier never rejects.
 */
import type { Logger } from '../../lib/logger.js';
import type { Notifier } from '../engine/types.js';

export function createLogNotifier(log: Logger): Notifier {
  return {
    type: 'log',
    async send(n) {
      for (const a of n.alerts) {
        log.info(
          {
            event: 'alert.notification',
            receiver: n.receiver,
            reason: n.reason,
            notificationId: n.id,
            groupKey: n.groupKey,
            fingerprint: a.fingerprint,
            status: a.status,
            source: a.source,
            alertname: a.labels.alertname,
            severity: a.labels.severity,
            labels: a.labels,
            annotations: a.annotations,
            startsAt: new Date(a.startsAt).toISOString(),
            ...(a.endsAt === null ? {} : { endsAt: new Date(a.endsAt).toISOString() }),
          },
          `[${a.status}] ${a.labels.alertname ?? '?'} (${a.labels.severity ?? '?'}): ${a.annotations.summary ?? a.fingerprint} (${n.reason}, to ${n.receiver})`,
        );
      }
    },
  };
}
