/**
 * Fitting text into Pub/Sub's attribute limits (values of at most 1024 bytes): cut at a byte
 * bound, never inside a character.
 */
import { PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES } from '../ingest/envelope.js';

/** The first `max` bytes of `text`, never splitting a character. */
export function cutBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  return bytes
    .subarray(0, max)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** `text` cut to what an attribute value may hold. */
export const attributeValue = (text: string): string =>
  cutBytes(text, PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES);
