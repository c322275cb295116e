/**
 * Alertmanager's webhook body, version 4 (prometheus/alertmanager `notify/webhook/webhook.go`
 * `Message` over `template/template.go` `Data`), built from one group notification, so any
 * receiver written for Alertmanager's webhook reads ours unchanged:
 *
 * - every field is present with Alertmanager's type: maps are `{}` when empty, `generatorURL` is
 *   `""` when unknown, `truncatedAlerts` is a number, `routeLabels` (Alertmanager 0.34) is `{}`
 *   (our routes carry no labels) and `notification_reason` (0.32) is the dedup reason;
 * - times are RFC 3339 in UTC as Go's `time.Time` marshals them (fraction only when not zero);
 *   `endsAt` is Go's zero time `0001-01-01T00:00:00Z` while an alert fires;
 * - `receiver` is quoted the way Alertmanager quotes it (`regexp.QuoteMeta`: `web.hook` is sent
 *   as `web\.hook`);
 * - map keys are sorted, as Go's encoder writes them;
 * - `maxAlerts > 0` keeps the first `maxAlerts` alerts (firing ones come first) and reports the
 *   rest in `truncatedAlerts`, with the alerts the group refused because it was full
 *   (`refusedAlerts`): alerts of the group the body does not show, as Alertmanager means it.
 *
 * Two deliberate differences: `status`, `commonLabels` and `commonAnnotations` describe the whole
 * group, not only the alerts kept after truncation (Alertmanager recomputes them over the kept
 * ones, so a truncated body can claim labels the group does not share); and one extension field,
 * `runwatch: { notificationId }`, the notification's id, the same on every delivery attempt, so a
 * receiver that sees only the body can dedupe. Alertmanager's receivers ignore unknown fields.
 */
import type { AlertSnapshot, GroupNotification } from '../../engine/types.js';

export interface AlertmanagerWebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface AlertmanagerWebhookBody {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: AlertmanagerWebhookAlert[];
  readonly notification_reason: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly routeLabels: Record<string, string>;
  readonly externalURL: string;
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly runwatch: { readonly notificationId: string };
}

export interface AlertmanagerFormatOptions {
  /** At most this many alerts in the body; 0 keeps them all. */
  readonly maxAlerts: number;
  /** The backlink Alertmanager sends as `externalURL`; `""` when not given. */
  readonly externalURL?: string;
}

/** Go's zero `time.Time` as `encoding/json` writes it: what Alertmanager sends while firing. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** Epoch ms as Go marshals a UTC `time.Time` (RFC 3339, trailing zeros of the fraction dropped). */
export function goTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

/** Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver name. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as string;
  return out;
}

function alertOf(alert: AlertSnapshot): AlertmanagerWebhookAlert {
  return {
    status: alert.status,
    labels: sorted(alert.labels),
    annotations: sorted(alert.annotations),
    startsAt: goTime(alert.startsAt),
    endsAt: alert.endsAt === null ? GO_ZERO_TIME : goTime(alert.endsAt),
    generatorURL: '',
    fingerprint: alert.fingerprint,
  };
}

/** The first `maxAlerts` alerts (all when 0) and how many were left out. */
export function truncateAlerts<T>(
  alerts: readonly T[],
  maxAlerts: number,
): { kept: readonly T[]; truncated: number } {
  if (maxAlerts > 0 && alerts.length > maxAlerts) {
    return { kept: alerts.slice(0, maxAlerts), truncated: alerts.length - maxAlerts };
  }
  return { kept: alerts, truncated: 0 };
}

export function alertmanagerWebhookBody(
  notification: GroupNotification,
  options: AlertmanagerFormatOptions,
): AlertmanagerWebhookBody {
  const { kept, truncated } = truncateAlerts(notification.alerts, options.maxAlerts);
  return {
    receiver: quoteMeta(notification.receiver),
    status: notification.status,
    alerts: kept.map(alertOf),
    notification_reason: notification.reason,
    groupLabels: sorted(notification.groupLabels),
    commonLabels: sorted(notification.commonLabels),
    commonAnnotations: sorted(notification.commonAnnotations),
    routeLabels: {},
    externalURL: options.externalURL ?? '',
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: truncated + (notification.refusedAlerts ?? 0),
    runwatch: { notificationId: notification.id },
  };
}
