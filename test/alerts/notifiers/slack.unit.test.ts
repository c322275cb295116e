/**
 * The Slack incoming-webhook message: Alertmanager's subject as the title, the reason, each
 * alert's text and runbook link, escaped mrkdwn, and Slack's size limits whatever the alerts hold.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  SLACK_COLORS,
  SLACK_HEADER_CHARS,
  SLACK_MAX_BLOCKS,
  SLACK_SECTION_CHARS,
  SLACK_TEXT_CHARS,
  type SlackBlock,
  slackMessage,
} from '../../../alerts/notifiers/formats/slack.js';
import { groupNotification, snapshot } from './fixtures/alertmanager-webhook.js';

function textOf(block: SlackBlock | undefined): string {
  if (block === undefined) return '';
  if (block.type === 'context') return block.elements.map((e) => e.text).join(' ');
  return block.text.text;
}

test('slack: the title is Alertmanager subject with the firing count and the other group label values', (t) => {
  const message = slackMessage(
    groupNotification([snapshot(1), snapshot(2), snapshot(3, 'resolved')]),
    { maxAlerts: 0 },
  );
  t.is(textOf(message.attachments[0].blocks[0]), '[FIRING:2] InferDown (prod)');
  t.is(message.text, '[FIRING:2] InferDown (prod): first notification');
  t.regex(textOf(message.attachments[0].blocks[1]), /\*Reason:\* first notification/);
  t.is(message.attachments[0].color, SLACK_COLORS.critical);
  const resolved = slackMessage(
    groupNotification([snapshot(1, 'resolved')], { reason: 'all alerts resolved' }),
    { maxAlerts: 0 },
  );
  t.is(textOf(resolved.attachments[0].blocks[0]), '[RESOLVED] InferDown (prod)');
  t.is(resolved.attachments[0].color, SLACK_COLORS.resolved);
});

test('slack: the colour follows severity while firing', (t) => {
  const warning = slackMessage(
    groupNotification([snapshot(1, 'firing', { labels: { severity: 'warning' } })], {
      commonLabels: { alertname: 'InferDown', severity: 'warning' },
    }),
    { maxAlerts: 0 },
  );
  t.is(warning.attachments[0].color, SLACK_COLORS.warning);
});

test('slack: an alert shows its summary, description and runbook link; no link without runbook_url', (t) => {
  const message = slackMessage(
    groupNotification([
      snapshot(1, 'firing', {
        annotations: { runbook_url: 'https://example.com/rb/infer?a=1&b=2' },
      }),
      snapshot(2),
    ]),
    { maxAlerts: 0 },
  );
  const [first, second] = message.attachments[0].blocks.slice(2).map(textOf);
  t.regex(first ?? '', /^\*\[FIRING\] infer instance 1 down\*/);
  t.true(first?.includes('<https://example.com/rb/infer?a=1&amp;b=2|Runbook>'));
  t.true(first?.includes('instance i-1 failed its liveness probe'));
  t.false(second?.includes('Runbook'));
});

test('slack: alert text is escaped so it cannot mention a channel or forge a link', (t) => {
  const message = slackMessage(
    groupNotification([
      snapshot(1, 'firing', {
        annotations: {
          summary: '<!channel> down & <http://evil|click>',
          runbook_url: 'javascript:x',
        },
      }),
    ]),
    { maxAlerts: 0 },
  );
  const section = textOf(message.attachments[0].blocks[2]);
  t.true(section.includes('&lt;!channel&gt; down &amp; &lt;http://evil|click&gt;'));
  t.false(section.includes('<!channel>'));
  t.false(section.includes('Runbook'));
});

test('slack: a backtick in a label value cannot close the code span the labels are shown in', (t) => {
  const message = slackMessage(
    groupNotification([snapshot(1, 'firing', { labels: { zone: 'a` *bold* ~strike~ `b' } })]),
    { maxAlerts: 0 },
  );
  const labelLine = textOf(message.attachments[0].blocks[2]).split('\n').at(-1) ?? '';
  t.true(labelLine.startsWith('`') && labelLine.endsWith('`'), labelLine);
  t.false(labelLine.slice(1, -1).includes('`'), labelLine);
  const context = JSON.stringify(message.attachments[0].blocks);
  t.true(context.includes('zone=a'));
});

test('slack: 200 alerts with huge annotations stay within Slack limits, with an "and N more" line', (t) => {
  const huge = 'x'.repeat(20_000);
  const alerts = Array.from({ length: 200 }, (_, i) =>
    snapshot(i, 'firing', { annotations: { summary: huge, description: `<${huge}>` } }),
  );
  const message = slackMessage(groupNotification(alerts, { groupLabels: { alertname: huge } }), {
    maxAlerts: 0,
  });
  const blocks = message.attachments[0].blocks;
  t.is(blocks.length, SLACK_MAX_BLOCKS);
  t.true(message.text.length <= SLACK_TEXT_CHARS);
  t.true(textOf(blocks[0]).length <= SLACK_HEADER_CHARS);
  for (const block of blocks) t.true(textOf(block).length <= SLACK_SECTION_CHARS);
  const shown = blocks.filter((b) => b.type === 'section').length;
  t.is(textOf(blocks.at(-1)), `…and ${200 - shown} more alerts`);
});

test('slack: maxAlerts bounds the alerts shown and the rest are counted', (t) => {
  const message = slackMessage(
    groupNotification(Array.from({ length: 7 }, (_, i) => snapshot(i))),
    { maxAlerts: 5 },
  );
  const blocks = message.attachments[0].blocks;
  t.is(blocks.filter((b) => b.type === 'section').length, 5);
  t.is(textOf(blocks.at(-1)), '…and 2 more alerts');
  const exact = slackMessage(groupNotification([snapshot(1)]), { maxAlerts: 1 });
  t.false(exact.attachments[0].blocks.some((b) => textOf(b).includes('more alert')));
});

test('slack: alerts a full group refused are counted in the last line', (t) => {
  const refused = slackMessage(groupNotification([snapshot(1)], { refusedAlerts: 1 }), {
    maxAlerts: 0,
  });
  t.is(textOf(refused.attachments[0].blocks.at(-1)), '1 more alert refused: the group is full');
  const both = slackMessage(
    groupNotification(
      Array.from({ length: 7 }, (_, i) => snapshot(i)),
      { refusedAlerts: 30 },
    ),
    { maxAlerts: 5 },
  );
  t.is(
    textOf(both.attachments[0].blocks.at(-1)),
    '…and 2 more alerts · 30 more alerts refused: the group is full',
  );
});

/** Every text Slack parses as mrkdwn: the message `text` and every mrkdwn element or section. */
function mrkdwnTexts(message: ReturnType<typeof slackMessage>): string[] {
  const out = [message.text];
  for (const block of message.attachments[0].blocks) {
    if (block.type === 'context') out.push(...block.elements.map((e) => e.text));
    else if (block.text.type === 'mrkdwn') out.push(block.text.text);
  }
  return out;
}

/** Our own runbook link, the only `<…>` a message may hold: an http(s) URL, `&` escaped. */
const OWN_LINK = /<https?:\/\/(?:[^\s<>|&]|&amp;)+\|Runbook>/gi;

/** What in `text` Slack would read as a link or mention, or a half-cut entity; null when nothing. */
function notInert(text: string): string | null {
  const shown = JSON.stringify(text.slice(0, 300));
  if (/[<>]/.test(text.replace(OWN_LINK, ''))) return `a bare < or > in ${shown}`;
  if (/&(?!amp;|lt;|gt;)/.test(text)) return `an & that is not an entity in ${shown}`;
  return null;
}

function assertInert(t: { is(a: unknown, b: unknown): void }, text: string): void {
  t.is(notInert(text), null);
}

const HOSTILE = [
  '<!channel>',
  '<!here|here>',
  '<@U024BE7LH>',
  '<#C024BE7LR>',
  '<https://evil.example/login|click to re-authenticate>',
  'a & b > c < d',
  '&lt;!channel&gt;',
];

test('slack: hostile group labels, labels, annotations, receiver and group key mention no one and forge no link, in text and in every block', (t) => {
  for (const value of HOSTILE) {
    const message = slackMessage(
      groupNotification(
        [
          snapshot(1, 'firing', {
            labels: { [value]: value, alertname: value },
            annotations: { summary: value, description: value, runbook_url: value },
          }),
        ],
        {
          receiver: value,
          groupKey: `{}:{alertname=${JSON.stringify(value)}}`,
          groupLabels: { alertname: value, target: value },
          commonLabels: { alertname: value },
        },
      ),
      { maxAlerts: 0 },
    );
    for (const text of mrkdwnTexts(message)) assertInert(t, text);
  }
});

test('slack: the message text escapes the title and shows the group label values escaped', (t) => {
  const message = slackMessage(
    groupNotification([snapshot(1)], {
      groupLabels: { alertname: '<https://evil|click>', target: '<!channel>' },
    }),
    { maxAlerts: 0 },
  );
  t.is(
    message.text,
    '[FIRING:1] &lt;https://evil|click&gt; (&lt;!channel&gt;): first notification',
  );
});

test('slack: a runbook link is kept only for an http(s) URL with nothing Slack would parse, and stays whole when the section is cut', (t) => {
  const sectionOf = (runbook_url: string, description = 'd') =>
    textOf(
      slackMessage(
        groupNotification([snapshot(1, 'firing', { annotations: { runbook_url, description } })]),
        { maxAlerts: 0 },
      ).attachments[0].blocks[2],
    );
  for (const bad of [
    'javascript:alert(1)',
    'ftp://example.com/rb',
    'https://example.com/rb|<!channel>',
    'https://example.com/rb>x',
    'https://example.com/rb\n<!here>',
    'https://example.com/\u0007rb',
    `https://example.com/${'&'.repeat(3000)}`,
  ]) {
    const section = sectionOf(bad);
    t.false(section.includes('|Runbook>'), `${JSON.stringify(bad.slice(0, 60))} linked`);
    assertInert(t, section);
  }
  const good = 'HTTPS://runbooks.example.com/infer?a=1&b=2';
  const long = sectionOf(good, '&'.repeat(5000));
  t.true(long.includes('<HTTPS://runbooks.example.com/infer?a=1&amp;b=2|Runbook>'));
  t.true(long.length <= SLACK_SECTION_CHARS);
  assertInert(t, long);
});

test('slack: whatever strings alerts carry, every mrkdwn text holds only our links and whole entities', (t) => {
  const hostile = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.stringMatching(/^[<>&|!@#a-z:/ ]{0,40}$/),
    fc.constantFrom(...HOSTILE),
    fc.string({ unit: fc.constantFrom('&', '<', '>', 'a'), maxLength: 4000 }),
  );
  const labels = fc.dictionary(hostile, hostile, { maxKeys: 4 });
  fc.assert(
    fc.property(
      fc.array(fc.record({ labels, annotations: labels, runbook: hostile }), {
        minLength: 1,
        maxLength: 4,
      }),
      labels,
      hostile,
      (alerts, groupLabels, receiver) => {
        const message = slackMessage(
          groupNotification(
            alerts.map((a, i) =>
              snapshot(i, 'firing', {
                labels: a.labels,
                annotations: { ...a.annotations, runbook_url: a.runbook },
              }),
            ),
            { groupLabels, commonLabels: groupLabels, receiver },
          ),
          { maxAlerts: 0 },
        );
        for (const text of mrkdwnTexts(message)) {
          const problem = notInert(text);
          if (problem !== null) throw new Error(problem);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('slack: every mrkdwn text object is verbatim, so Slack neither auto-links names nor parses mentions in alert text', (t) => {
  const message = slackMessage(
    groupNotification(Array.from({ length: 3 }, (_, i) => snapshot(i))),
    { maxAlerts: 1 },
  );
  const objects = message.attachments[0].blocks.flatMap((b) =>
    b.type === 'context' ? b.elements : [b.text],
  );
  const mrkdwn = objects.filter((o) => o.type === 'mrkdwn');
  t.is(mrkdwn.length, 3);
  for (const o of mrkdwn) t.like(o, { verbatim: true });
});
