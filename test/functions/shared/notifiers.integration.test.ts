/**
 * The functions' notifier registry against a real HTTP receiver on port 0: a webhook integration
 * reads its URL secret whole (a comma or query in it reaches the receiver) from a real file or the
 * given environment at each send, and a secret that is not one absolute http(s) URL fails that
 * delivery with NOTIFY_ERR_SECRET naming the receiver and the reference, never the value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { IntegrationConfig } from '../../../alerts/engine/types.js';
import { NOTIFY_ERR_SECRET, NotifyError } from '../../../alerts/notifiers/errors.js';
import { loadFunctionsConfig } from '../../../functions/shared/config.js';
import { createNotifierRegistry } from '../../../functions/shared/notifiers.js';
import { createLogger } from '../../../lib/logger.js';
import {
  groupNotification,
  snapshot,
} from '../../alerts/notifiers/fixtures/alertmanager-webhook.js';
import { serveReceiver, status } from '../../helpers/webhook-receiver.js';

const TOKEN = 'hookTokenSECRET93';

function integration(url: { env: string } | { file: string }): IntegrationConfig {
  return {
    type: 'webhook',
    url,
    format: 'alertmanager',
    timeoutMs: 2000,
    maxAttempts: 1,
    maxAlerts: 0,
  };
}

const NOTIFICATION = groupNotification([snapshot(1)], { receiver: 'oncall' });

function registry(env: Record<string, string>) {
  return createNotifierRegistry(
    loadFunctionsConfig({ ALERTS_PUBSUB: 'off' }),
    createLogger({ level: 'silent' }),
    env,
  );
}

test('functions notifiers: a webhook URL with commas, from a file or a variable, reaches the receiver whole', async (t) => {
  const receiver = await serveReceiver([status(200)]);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'runwatch-hook-'));
    const path = `/hooks/${TOKEN}?tags=a,b,c&route=x,y`;
    const file = join(dir, 'hook-url');
    writeFileSync(file, `${receiver.url}${path}\n`);
    const notifiers = registry({ HOOK_URL: ` ${receiver.url}${path} ` });
    await notifiers.notifierFor(integration({ file })).send(NOTIFICATION, { deadlineMs: 5000 });
    await notifiers.notifierFor(integration({ env: 'HOOK_URL' })).send(NOTIFICATION, {
      deadlineMs: 5000,
    });
    t.deepEqual(
      receiver.requests.map((r) => r.path),
      [path, path],
    );
    await notifiers.close();
  } finally {
    await receiver.close();
  }
});

test('functions notifiers: a file of two URLs, an unset variable or a value that is no URL fails that delivery with NOTIFY_ERR_SECRET, naming the receiver and the reference, not the value', async (t) => {
  const receiver = await serveReceiver([status(200)]);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'runwatch-hook-'));
    const twoLines = join(dir, 'two-urls');
    writeFileSync(twoLines, `${receiver.url}/a/${TOKEN}\n${receiver.url}/b/${TOKEN}\n`);
    const notifiers = registry({ NOT_A_URL: `hooks.example.com/${TOKEN}`, EMPTY: '  ' });
    const cases: [IntegrationConfig, RegExp][] = [
      [integration({ file: twoLines }), new RegExp(`file ${twoLines}`)],
      [integration({ env: 'UNSET_HOOK_URL' }), /environment variable UNSET_HOOK_URL/],
      [integration({ env: 'EMPTY' }), /environment variable EMPTY/],
      [integration({ env: 'NOT_A_URL' }), /environment variable NOT_A_URL/],
    ];
    for (const [config, reference] of cases) {
      const e = await t.throwsAsync(
        notifiers.notifierFor(config).send(NOTIFICATION, { deadlineMs: 5000 }),
        { instanceOf: NotifyError },
      );
      t.is(e?.code, NOTIFY_ERR_SECRET);
      t.regex(e?.message ?? '', reference);
      t.regex(e?.message ?? '', /receiver oncall/);
      t.false((e?.message ?? '').includes(TOKEN), e?.message);
      t.false((e?.message ?? '').includes('admin_key'), e?.message);
    }
    t.is(receiver.requests.length, 0);
    await notifiers.close();
  } finally {
    await receiver.close();
  }
});
