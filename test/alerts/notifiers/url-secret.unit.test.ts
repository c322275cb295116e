/**
 * A webhook's URL secret, resolved from its reference (an environment variable, or a real file as
 * Secret Manager mounts one): the whole trimmed value, commas and query included, or a
 * NotifyError NOTIFY_ERR_SECRET naming the receiver and the reference, never the value.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import test from 'ava';
import type { SecretRef } from '../../../alerts/engine/types.js';
import { NOTIFY_ERR_SECRET, NotifyError } from '../../../alerts/notifiers/errors.js';
import { resolveUrlSecret, URL_SECRET_MAX_BYTES } from '../../../alerts/notifiers/url-secret.js';

const TOKEN = 'xoxbTokenSECRET58';
const dir = mkdtempSync(join(tmpdir(), 'runwatch-url-secret-'));

function file(name: string, content: string | Buffer): SecretRef {
  const path = join(dir, name);
  writeFileSync(path, content);
  return { file: path };
}

async function refusal(ref: SecretRef, env: Record<string, string> = {}): Promise<NotifyError> {
  try {
    await resolveUrlSecret(ref, { receiver: 'oncall', env });
  } catch (e) {
    if (e instanceof NotifyError) return e;
    throw e;
  }
  throw new Error('expected the secret to be refused');
}

/** Every way the error can be printed: none holds the token. */
function assertNoValue(t: { false(v: boolean, m?: string): void }, e: NotifyError): void {
  for (const text of [e.message, e.stack ?? '', JSON.stringify(e), String(e), inspect(e)]) {
    t.false(text.includes(TOKEN), `the value printed in: ${text.slice(0, 300)}`);
  }
}

test('url secret: the whole trimmed value of a variable or a file, commas, query and fragment kept', async (t) => {
  const url = `https://hooks.example.com/services/T1/B2/${TOKEN}?tags=a,b,c&route=x,y#p,q`;
  t.is(
    await resolveUrlSecret({ env: 'HOOK' }, { receiver: 'r', env: { HOOK: `  ${url}\n` } }),
    url,
  );
  t.is(await resolveUrlSecret(file('comma', `${url}\n`), { receiver: 'r', env: {} }), url);
  t.is(await resolveUrlSecret(file('bom', `\uFEFF${url}\r\n`), { receiver: 'r', env: {} }), url);
  t.is(
    await resolveUrlSecret(
      { env: 'HOOK' },
      { receiver: 'r', env: { HOOK: 'HTTP://127.0.0.1:8080/x' } },
    ),
    'HTTP://127.0.0.1:8080/x',
  );
});

test('url secret: an unset or blank variable is NOTIFY_ERR_SECRET, retryable, naming the receiver and the variable', async (t) => {
  const unset = await refusal({ env: 'ONCALL_HOOK_URL' });
  t.like(unset, { code: NOTIFY_ERR_SECRET, retryable: true });
  t.is(
    unset.message,
    'receiver oncall: the webhook URL secret (environment variable ONCALL_HOOK_URL) is unset; expected an absolute http(s) URL',
  );
  const blank = await refusal({ env: 'ONCALL_HOOK_URL' }, { ONCALL_HOOK_URL: ' \n ' });
  t.regex(blank.message, /environment variable ONCALL_HOOK_URL\) is empty;/);
});

test('url secret: a missing, unreadable, empty, oversized or binary file is NOTIFY_ERR_SECRET naming the path', async (t) => {
  const missing = await refusal({ file: join(dir, 'absent') });
  t.like(missing, { code: NOTIFY_ERR_SECRET, retryable: true });
  t.regex(
    missing.message,
    /^receiver oncall: the webhook URL secret \(file \S+absent\) cannot be read \(ENOENT\);/,
  );
  const folder = join(dir, 'a-directory');
  mkdirSync(folder);
  t.regex((await refusal({ file: folder })).message, /cannot be read \(EISDIR\)/);
  if (process.getuid?.() !== 0) {
    const locked = file('locked', `https://h.example/${TOKEN}`);
    chmodSync((locked as { file: string }).file, 0o000);
    t.regex((await refusal(locked)).message, /cannot be read \(EACCES\)/);
  }
  t.regex((await refusal(file('empty', '\n'))).message, /\) is empty;/);
  const huge = await refusal(
    file('huge', `https://h.example/${TOKEN}${'a'.repeat(URL_SECRET_MAX_BYTES)}`),
  );
  t.regex(huge.message, new RegExp(`holds more than ${URL_SECRET_MAX_BYTES} bytes;`));
  assertNoValue(t, huge);
  const binary = await refusal(file('binary', Buffer.from([0x68, 0x74, 0xff, 0xfe, 0x00])));
  t.regex(binary.message, /is not UTF-8 text;/);
});

test('url secret: /dev/zero is refused after a bounded read', async (t) => {
  const e = await refusal({ file: '/dev/zero' });
  t.regex(e.message, /holds more than \d+ bytes/);
});

test('url secret: a value that is not one absolute http(s) URL is NOTIFY_ERR_SECRET saying why, without the value', async (t) => {
  const cases: [string, RegExp][] = [
    [`hooks.slack.com/services/T/B/${TOKEN}`, /does not begin with http:\/\/ or https:\/\//],
    [`ftp://files.example.com/${TOKEN}`, /does not begin with http:\/\/ or https:\/\//],
    [`javascript:alert('${TOKEN}')`, /does not begin with http:\/\/ or https:\/\//],
    [`http:${TOKEN}.example.com`, /does not begin with http:\/\/ or https:\/\//],
    [`https://a.example/${TOKEN}\nhttps://b.example/${TOKEN}`, /whitespace or a control character/],
    [`https://a.example/${TOKEN}, https://b.example/x`, /whitespace or a control character/],
    [`https://a.example/\u0000${TOKEN}`, /whitespace or a control character/],
    [`https://[${TOKEN}]/x`, /is not a valid URL/],
    ['https://', /is not a valid URL/],
  ];
  for (const [value, why] of cases) {
    const fromEnv = await refusal({ env: 'HOOK' }, { HOOK: value });
    t.like(fromEnv, { code: NOTIFY_ERR_SECRET, retryable: true });
    t.regex(fromEnv.message, why, JSON.stringify(value));
    t.regex(
      fromEnv.message,
      /^receiver oncall: the webhook URL secret \(environment variable HOOK\) /,
    );
    t.regex(fromEnv.message, /; expected an absolute http\(s\) URL$/);
    assertNoValue(t, fromEnv);
    const fromFile = await refusal(file('bad', value));
    t.regex(fromFile.message, why);
    assertNoValue(t, fromFile);
  }
});

test('url secret: credentials over plain http are refused unless the host is loopback; over https they pass', async (t) => {
  const e = await refusal(
    { env: 'ONCALL_HOOK_URL' },
    { ONCALL_HOOK_URL: `http://hook:${TOKEN}@hooks.example.com/x` },
  );
  t.is(e.code, NOTIFY_ERR_SECRET);
  t.regex(e.message, /credentials over plain http/);
  assertNoValue(t, e);
  for (const url of [
    `https://hook:${TOKEN}@hooks.example.com/x`,
    `http://hook:${TOKEN}@127.0.0.1:9/x`,
  ])
    t.is(await resolveUrlSecret({ env: 'H' }, { receiver: 'oncall', env: { H: url } }), url);
});
