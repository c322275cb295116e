/**
 * The `alerts` topic's message, `runwatch.alert.v1`: one message per alert of a group
 * notification, in the notification's order (firing first), its JSON body exactly the schema
 * alerts/definitions/alert.v1.json, which is the Avro schema alert.v1.avsc attached to the topic
 * in Pub/Sub's JSON encoding of Avro: the union `endsAt` is `null` or `{"string": "..."}`.
 *
 * Attributes, for subscription filters and for consumers that route before parsing: `severity`,
 * `status`, `fingerprint`, `alertname`, `notificationId`, `schema` and `origin=runwatch`, which
 * alert ingest drops as a loop should the topic ever be wired back to its input. Every message of
 * one group has the same ordering key, a hash of the group key (a group key can be longer than
 * an ordering key may be).
 */
import { createHash } from 'node:crypto';
import type { AlertSnapshot, GroupNotification, NotificationReason } from '../engine/types.js';
import { ORIGIN_ATTRIBUTE, RUNWATCH_ORIGIN } from '../ingest/normalise.js';
import { attributeValue } from '../pubsub/attributes.js';
import type { AlertSource } from '../types.js';

export const ALERT_MESSAGE_SCHEMA = 'runwatch.alert.v1';

/** The body of one message, field for field the schema's (and in its order). */
export interface AlertMessageV1 {
  readonly schema: typeof ALERT_MESSAGE_SCHEMA;
  readonly notificationId: string;
  readonly createdAt: string;
  readonly alertIndex: number;
  readonly alertCount: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly reason: NotificationReason;
  readonly status: AlertSnapshot['status'];
  readonly groupStatus: GroupNotification['status'];
  readonly fingerprint: string;
  readonly source: AlertSource;
  readonly alertname: string;
  readonly severity: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  /** Avro's JSON encoding of `["null", "string"]`. */
  readonly endsAt: null | { readonly string: string };
  readonly groupLabels: Readonly<Record<string, string>>;
}

export interface AlertPublish {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
}

/** The ordering key of a group: 32 hex digits of the SHA-256 of its key. */
export const groupOrderingKey = (groupKey: string): string =>
  createHash('sha256').update(groupKey).digest('hex').slice(0, 32);

const iso = (ms: number): string => new Date(ms).toISOString();

export function alertMessageBody(
  notification: GroupNotification,
  alert: AlertSnapshot,
  alertIndex: number,
): AlertMessageV1 {
  return {
    schema: ALERT_MESSAGE_SCHEMA,
    notificationId: notification.id,
    createdAt: iso(notification.createdAt),
    alertIndex,
    alertCount: notification.alerts.length,
    groupKey: notification.groupKey,
    receiver: notification.receiver,
    reason: notification.reason,
    status: alert.status,
    groupStatus: notification.status,
    fingerprint: alert.fingerprint,
    source: alert.source,
    alertname: alert.labels.alertname ?? '',
    severity: alert.labels.severity ?? '',
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: iso(alert.startsAt),
    endsAt: alert.endsAt === null ? null : { string: iso(alert.endsAt) },
    groupLabels: notification.groupLabels,
  };
}

/** What the notifier publishes for `notification`: one message per alert, in its order. */
export function alertMessages(notification: GroupNotification): AlertPublish[] {
  const orderingKey = groupOrderingKey(notification.groupKey);
  return notification.alerts.map((alert, i) => {
    const body = alertMessageBody(notification, alert, i);
    return {
      data: Buffer.from(JSON.stringify(body), 'utf8'),
      attributes: {
        severity: attributeValue(body.severity),
        status: body.status,
        fingerprint: body.fingerprint,
        alertname: attributeValue(body.alertname),
        notificationId: attributeValue(body.notificationId),
        schema: ALERT_MESSAGE_SCHEMA,
        [ORIGIN_ATTRIBUTE]: RUNWATCH_ORIGIN,
      },
      orderingKey,
    };
  });
}
