/**
 * The Slack incoming-webhook message: Alertmanager's subject as the title, the reason, each
 * alert's text and runbook link, escaped mrkdwn, and Slack's size limits whatever the alerts hold.
 */
import test from 'ava';
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
