/**
 * A Slack incoming-webhook message for one group notification: a `text` line (the title and the
 * reason: what notifications and clients without attachments show) and one attachment whose
 * colour is the status and severity, with blocks: a header (`[FIRING:2] InferDown (prod)`), a
 * context line (reason, receiver, group), then one section per alert (status, summary,
 * description, runbook link when `annotations.runbook_url` is an http(s) URL).
 *
 * Bounded to Slack's limits whatever the alerts hold: at most `SLACK_MAX_BLOCKS` blocks (alerts
 * past that, or past `maxAlerts`, are counted in a last "and N more" line), a header of at most
 * `SLACK_HEADER_CHARS` characters, sections of at most `SLACK_SECTION_CHARS`, and `text` of at
 * most `SLACK_TEXT_CHARS`. Alert text is escaped for Slack's mrkdwn (`&`, `<`, `>`), so an
 * annotation cannot inject links or mentions.
 */
import type { AlertSnapshot, GroupNotification } from '../../engine/types.js';
import { cut } from '../../ingest/fields.js';
import { truncateAlerts } from './alertmanager-v4.js';

/** Slack's limits (api.slack.com: blocks per message, header text, section text, message text). */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_HEADER_CHARS = 150;
export const SLACK_SECTION_CHARS = 3000;
export const SLACK_TEXT_CHARS = 40_000;

/** Raw description characters kept, before escaping (which can lengthen it). */
const DESCRIPTION_CHARS = 2000;

/** Header and context before the alerts, the "and N more" line after them. */
const FRAME_BLOCKS = 3;

export const SLACK_COLORS = {
  resolved: '#2eb886',
  critical: '#a30200',
  warning: '#daa038',
  info: '#439fe0',
} as const;

const SEVERITY_COLOR: Readonly<Record<string, string>> = {
  critical: SLACK_COLORS.critical,
  page: SLACK_COLORS.critical,
  error: SLACK_COLORS.critical,
  warning: SLACK_COLORS.warning,
  ticket: SLACK_COLORS.warning,
  info: SLACK_COLORS.info,
};

type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'section'; text: TextObject };

export interface SlackMessage {
  readonly text: string;
  readonly attachments: [{ readonly color: string; readonly blocks: SlackBlock[] }];
}

export interface SlackFormatOptions {
  /** At most this many alerts shown; 0: as many as the block limit allows. */
  readonly maxAlerts: number;
}

/** Escapes text for Slack's mrkdwn, which treats `<…>` as links and mentions. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Alertmanager's default subject: `[FIRING:2] InferDown (prod)`, `[RESOLVED] InferDown (prod)`. */
export function slackTitle(notification: GroupNotification): string {
  const { groupLabels, commonLabels } = notification;
  const status =
    notification.status === 'firing'
      ? `FIRING:${notification.alerts.filter((a) => a.status === 'firing').length}`
      : 'RESOLVED';
  const alertname = groupLabels.alertname ?? commonLabels.alertname ?? 'alert';
  const others = Object.keys(groupLabels)
    .filter((name) => name !== 'alertname')
    .sort()
    .map((name) => groupLabels[name]);
  return `[${status}] ${alertname}${others.length > 0 ? ` (${others.join(' ')})` : ''}`;
}

function colorOf(notification: GroupNotification): string {
  if (notification.status === 'resolved') return SLACK_COLORS.resolved;
  const severity =
    notification.commonLabels.severity ??
    notification.alerts.find((a) => a.status === 'firing')?.labels.severity;
  return SEVERITY_COLOR[severity ?? ''] ?? SLACK_COLORS.critical;
}

function linkOf(url: string | undefined, label: string): string | null {
  if (url === undefined || !/^https?:\/\/[^\s|<>]+$/i.test(url)) return null;
  return `<${url.replace(/&/g, '&amp;')}|${label}>`;
}

function alertSection(alert: AlertSnapshot): SlackBlock {
  const { annotations, labels } = alert;
  const summary = annotations.summary ?? labels.alertname ?? alert.fingerprint;
  const labelLine = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(' ');
  const runbook = linkOf(annotations.runbook_url, 'Runbook');
  // The runbook link goes first after the title, so cutting a long description never loses it.
  const lines = [
    `*[${alert.status.toUpperCase()}] ${escapeMrkdwn(cut(summary, 300))}*`,
    ...(runbook === null ? [] : [runbook]),
    ...(annotations.description === undefined
      ? []
      : [escapeMrkdwn(cut(annotations.description, DESCRIPTION_CHARS))]),
    `\`${escapeMrkdwn(cut(labelLine, 500))}\``,
  ];
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: cut(lines.join('\n'), SLACK_SECTION_CHARS) },
  };
}

export function slackMessage(
  notification: GroupNotification,
  options: SlackFormatOptions,
): SlackMessage {
  const title = slackTitle(notification);
  const room = SLACK_MAX_BLOCKS - FRAME_BLOCKS;
  const limit = options.maxAlerts > 0 ? Math.min(options.maxAlerts, room) : room;
  const { kept, truncated } = truncateAlerts(notification.alerts, limit);
  const context = `*Reason:* ${escapeMrkdwn(notification.reason)} · *Receiver:* ${escapeMrkdwn(notification.receiver)} · *Group:* \`${escapeMrkdwn(notification.groupKey)}\``;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, SLACK_HEADER_CHARS) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: cut(context, SLACK_SECTION_CHARS) }] },
    ...kept.map(alertSection),
  ];
  if (truncated > 0) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `…and ${truncated} more alert${truncated === 1 ? '' : 's'}` },
      ],
    });
  }
  return {
    text: cut(`${title}: ${notification.reason}`, SLACK_TEXT_CHARS),
    attachments: [{ color: colorOf(notification), blocks }],
  };
}
