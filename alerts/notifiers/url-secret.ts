/**
 * A webhook's URL from its secret reference (`{env: NAME}` or `{file: PATH}`, a Secret Manager
 * mount on Cloud Run), resolved when the webhook sends, never when the definitions load, so a
 * rotated secret takes effect at the next delivery and a bad one fails only that receiver's
 * deliveries.
 *
 * The value is the variable's or the file's whole content, trimmed (a trailing newline, a byte
 * order mark): a URL may hold commas, so nothing splits it. It must be one absolute http(s) URL:
 * it begins with `http://` or `https://`, has no whitespace or control character inside (a file
 * of two lines is two values, not one) and parses. Anything else is a NotifyError
 * NOTIFY_ERR_SECRET, retryable (a secret mounted late or fixed by a redeploy makes a later run
 * succeed), whose message names the receiver, the reference and what is wrong, and never any part
 * of the value: a webhook URL carries its token (Slack's in the path).
 */
import { open } from 'node:fs/promises';
import type { Env } from '../../lib/config/read.js';
import type { SecretRef } from '../engine/types.js';
import { NOTIFY_ERR_SECRET, NotifyError } from './errors.js';

/** The most bytes read of a secret file, and the longest value accepted. */
export const URL_SECRET_MAX_BYTES = 8192;

export interface UrlSecretContext {
  /** The receiver whose integration this is, for the message. */
  readonly receiver: string;
  /** Where `{env: NAME}` is looked up. */
  readonly env: Env;
}

/** How a message names a reference: `environment variable NAME`, `file PATH`. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/** At most `URL_SECRET_MAX_BYTES + 1` bytes of the file, or an error code (ENOENT, EACCES). */
async function readBounded(path: string): Promise<Buffer | { readonly code: string }> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(URL_SECRET_MAX_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : 'unknown error' };
  } finally {
    await handle?.close().catch(() => {});
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The raw value at `ref`, or why there is none. */
async function rawValue(
  ref: SecretRef,
  env: Env,
): Promise<{ readonly value: string } | { readonly problem: string }> {
  if ('env' in ref) {
    const value = env[ref.env];
    return value === undefined ? { problem: 'is unset' } : { value };
  }
  const read = await readBounded(ref.file);
  if (!Buffer.isBuffer(read)) return { problem: `cannot be read (${read.code})` };
  if (read.length > URL_SECRET_MAX_BYTES) {
    return { problem: `holds more than ${URL_SECRET_MAX_BYTES} bytes` };
  }
  try {
    return { value: UTF8.decode(read) };
  } catch {
    return { problem: 'is not UTF-8 text' };
  }
}

/** What is wrong with a trimmed value, in words that quote none of it; null when it is a URL. */
function urlProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (value.length > URL_SECRET_MAX_BYTES) {
    return `holds more than ${URL_SECRET_MAX_BYTES} characters`;
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    return 'has whitespace or a control character inside it (more than one value?)';
  }
  if (!/^https?:\/\//i.test(value)) return 'does not begin with http:// or https://';
  if (!URL.canParse(value)) return 'is not a valid URL';
  const url = new URL(value);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol === 'http:' && (url.username !== '' || url.password !== '') && !loopback) {
    return 'holds credentials over plain http, where anyone on the path reads them (use https)';
  }
  return null;
}

/**
 * The URL `ref` holds for `context.receiver`'s webhook: the whole trimmed value, checked to be an
 * absolute http(s) URL; a NotifyError NOTIFY_ERR_SECRET (retryable) otherwise.
 */
export async function resolveUrlSecret(ref: SecretRef, context: UrlSecretContext): Promise<string> {
  const raw = await rawValue(ref, context.env);
  const value = 'value' in raw ? raw.value.trim() : '';
  const problem = 'problem' in raw ? raw.problem : urlProblem(value);
  if (problem === null) return value;
  throw new NotifyError(
    NOTIFY_ERR_SECRET,
    `receiver ${context.receiver}: the webhook URL secret (${describeSecretRef(ref)}) ${problem}; expected an absolute http(s) URL`,
    { retryable: true },
  );
}
