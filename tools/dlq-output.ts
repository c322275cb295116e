/**
 * What `npm run dlq` prints: a table per place for people, or (`--json`) one JSON object per line
 * (times as ISO text, sizes in bytes of data).
 */
import type { DeadLetter, ReplayReport } from '../alerts/pubsub/replay.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** At most `max` code points of `text`, on one line. */
function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

/** One dead letter as a JSON line's object. */
export function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  if (letter.source === 'store') {
    return {
      source: 'store',
      messageId: letter.messageId,
      code: letter.code,
      reason: letter.reason,
      receivedAt: iso(letter.receivedAt),
      deadLetteredAt: iso(letter.deadLetteredAt),
      publishTime: iso(letter.publishTime),
      size: letter.data.length,
    };
  }
  return {
    source: 'subscription',
    subscription: letter.subscription,
    messageId: letter.messageId,
    publishTime: iso(letter.publishTime),
    sourceSubscription: letter.sourceSubscription,
    deliveryCount: letter.deliveryCount,
    code: letter.code,
    originalMessageId: letter.originalMessageId,
    size: letter.data.length,
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The table of one place's dead letters, under `heading`. */
export function renderDeadLetters(heading: string, letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return `${heading}\n  (none)\n`;
  const first = letters[0] as DeadLetter;
  const rows =
    first.source === 'store'
      ? table(
          ['MESSAGE ID', 'CODE', 'RECEIVED', 'DEAD-LETTERED', 'SIZE', 'REASON'],
          letters.map((l) =>
            l.source === 'store'
              ? [
                  l.messageId,
                  l.code,
                  iso(l.receivedAt) ?? '',
                  iso(l.deadLetteredAt) ?? '-',
                  String(l.data.length),
                  cut(l.reason, 80),
                ]
              : [],
          ),
        )
      : table(
          [
            'MESSAGE ID',
            'PUBLISHED',
            'FROM SUBSCRIPTION',
            'DELIVERIES',
            'CODE',
            'ORIGINAL',
            'SIZE',
          ],
          letters.map((l) =>
            l.source === 'subscription'
              ? [
                  l.messageId,
                  iso(l.publishTime) ?? '-',
                  l.sourceSubscription ?? '-',
                  l.deliveryCount === null ? '-' : String(l.deliveryCount),
                  l.code ?? '-',
                  l.originalMessageId,
                  String(l.data.length),
                ]
              : [],
          ),
        );
  return `${heading}\n\n${rows.join('\n')}\n`;
}

/** A replay's report as JSON lines: one per dead letter replayed (or that would be). */
export function replayJson(report: ReplayReport): string {
  return report.replayed
    .map((r) =>
      JSON.stringify({
        source: r.letter.source,
        messageId: r.letter.messageId,
        topic: report.topic,
        replayedAs: r.replayedAs,
        dryRun: report.dryRun,
        attributes: r.message.attributes,
        size: r.message.data.length,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** A replay's report for people: a line per dead letter, then the counts. */
export function renderReplay(report: ReplayReport): string {
  const lines = report.replayed.map((r) =>
    report.dryRun
      ? `  would replay  ${r.letter.messageId} → ${report.topic}  attributes: ${Object.keys(r.message.attributes).join(', ')}`
      : `  replayed      ${r.letter.messageId} → ${report.topic} as ${r.replayedAs}`,
  );
  const failed = report.failures.filter((f) => f.letter !== null).length;
  const summary = report.dryRun
    ? `${report.replayed.length} would be replayed to ${report.topic}; nothing was published or acknowledged`
    : `${report.replayed.length} replayed to ${report.topic}, ${failed} failed, ${report.untried.length} not tried`;
  return `${[...lines, '', summary].join('\n')}\n`;
}
