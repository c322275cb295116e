/**
 * A Slack incoming-webhook message for one group notification: a `text` line (the title and the
 * reason: what notifications and clients without attachments show) and one attachment whose
 * colour is the status and severity, with blocks: a header (`[FIRING:2] InferDown (prod)`), a
 * context line (reason, receiver, group), then one section per alert (status, summary,
 * description, runbook link when `annotations.runbook_url` is an http(s) URL).
 *
 * Bounded to Slack's limits whatever the alerts hold: at most `SLACK_MAX_BLOCKS` blocks (alerts
 * past that, or past `maxAlerts`, are counted in a last "and N more" line, with those the group
 * refused because it was full), a header of at most
 * `SLACK_HEADER_CHARS` characters, sections of at most `SLACK_SECTION_CHARS`, and `text` of at
 * most `SLACK_TEXT_CHARS`.
 *
 * Alert labels and annotations come from ingested log entries and Monitoring incidents, so they
 * are hostile text: every value put in mrkdwn (the message `text`, context and sections) is
 * escaped as Slack asks (`&amp;` `&lt;` `&gt;` for `&`, `<`, `>`) and cut only between entities, and
 * every mrkdwn object is `verbatim` (no auto-linked names or parsed mentions), so a value cannot
 * mention `@channel` or forge a link. The only `<…>` a message holds is our runbook link, made
 * only from an http(s) URL with nothing Slack parses in it, short enough never to be cut. The
 * header is `plain_text`, which Slack does not parse, and shows the title as it is.
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

/**
 * The longest runbook link, escaped: with the summary line before it (at most 300 characters,
 * five times that escaped) it stays far below `SLACK_SECTION_CHARS`, so a cut never splits it.
 */
const LINK_CHARS = 1000;

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

type TextObject =
  | { type: 'plain_text'; text: string }
  | { type: 'mrkdwn'; text: string; verbatim: true };
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

/**
 * Text shown inside a code span: a backtick would close it and let the rest render as mrkdwn,
 * so it becomes the look-alike U+02CB.
 */
const inCode = (text: string): string => text.replaceAll('`', '\u02cb');

/** Escapes text for Slack's mrkdwn, which treats `<…>` as links and mentions. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `cut` for escaped text: never leaves half an entity (`&am…`) before the ellipsis. */
export function cutEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  const cutText = cut(text, max);
  return `${cutText.slice(0, -1).replace(/&(?:a|am|amp|l|lt|g|gt)?$/, '')}…`;
}

const mrkdwn = (text: string, max: number): TextObject => ({
  type: 'mrkdwn',
  text: cutEscaped(text, max),
  verbatim: true,
});

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

/**
 * `<url|label>` for an http(s) URL in which Slack parses nothing (no whitespace, control
 * character, `|`, `<` or `>`) and whose escaped form fits `LINK_CHARS`; null for anything else.
 */
export function slackLink(url: string | undefined, label: string): string | null {
  if (url === undefined || !/^https?:\/\/[^\s\p{Cc}|<>]+$/iu.test(url) || !URL.canParse(url)) {
    return null;
  }
  const escaped = url.replace(/&/g, '&amp;');
  return escaped.length > LINK_CHARS ? null : `<${escaped}|${escapeMrkdwn(label)}>`;
}

function alertSection(alert: AlertSnapshot): SlackBlock {
  const { annotations, labels } = alert;
  const summary = annotations.summary ?? labels.alertname ?? alert.fingerprint;
  const labelLine = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(' ');
  const runbook = slackLink(annotations.runbook_url, 'Runbook');
  // The runbook link goes first after the title, so cutting a long description never loses it.
  const lines = [
    `*[${alert.status.toUpperCase()}] ${escapeMrkdwn(cut(summary, 300))}*`,
    ...(runbook === null ? [] : [runbook]),
    ...(annotations.description === undefined
      ? []
      : [escapeMrkdwn(cut(annotations.description, DESCRIPTION_CHARS))]),
    `\`${escapeMrkdwn(cut(inCode(labelLine), 500))}\``,
  ];
  return { type: 'section', text: mrkdwn(lines.join('\n'), SLACK_SECTION_CHARS) };
}

export function slackMessage(
  notification: GroupNotification,
  options: SlackFormatOptions,
): SlackMessage {
  const title = slackTitle(notification);
  const room = SLACK_MAX_BLOCKS - FRAME_BLOCKS;
  const limit = options.maxAlerts > 0 ? Math.min(options.maxAlerts, room) : room;
  const { kept, truncated } = truncateAlerts(notification.alerts, limit);
  const context = `*Reason:* ${escapeMrkdwn(notification.reason)} · *Receiver:* ${escapeMrkdwn(notification.receiver)} · *Group:* \`${escapeMrkdwn(inCode(notification.groupKey))}\``;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, SLACK_HEADER_CHARS) } },
    { type: 'context', elements: [mrkdwn(context, SLACK_SECTION_CHARS)] },
    ...kept.map(alertSection),
  ];
  const refused = notification.refusedAlerts ?? 0;
  const more = [
    truncated > 0 ? `…and ${truncated} more alert${truncated === 1 ? '' : 's'}` : null,
    refused > 0
      ? `${refused} more alert${refused === 1 ? '' : 's'} refused: the group is full`
      : null,
  ].filter((m) => m !== null);
  if (more.length > 0) {
    blocks.push({ type: 'context', elements: [mrkdwn(more.join(' · '), SLACK_SECTION_CHARS)] });
  }
  return {
    // The message text is mrkdwn too (and what push notifications show): escaped like the rest.
    text: cutEscaped(
      `${escapeMrkdwn(title)}: ${escapeMrkdwn(notification.reason)}`,
      SLACK_TEXT_CHARS,
    ),
    attachments: [{ color: colorOf(notification), blocks }],
  };
}
