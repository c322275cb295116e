/**
 * Reading untrusted JSON for alert ingest: every accessor either returns a value of the promised
 * type or throws an `IngestPoisonError` naming the field, the value and what was expected.
 *
 * Two kinds of field, two rules:
 * - identity and lifecycle fields (ids, states, times, severities) and label maps are checked:
 *   absent is `INGEST_ERR_FIELD_MISSING`, anything else wrong `INGEST_ERR_FIELD_INVALID`;
 * - explanatory text (summaries, URLs, documentation) is taken when it is a string and ignored
 *   otherwise, so a malformed description never costs an alert its page.
 * Text that reaches labels or annotations is made storable (no NUL, no lone surrogate: neither
 * survives PostgreSQL text or jsonb) and bounded.
 */
import { describeValue } from '../../lib/errors.js';
import { rfc3339Parts } from '../../lib/rfc3339.js';
import { IngestPoisonError } from './errors.js';

/** What is being read, for messages: `monitoring incident`, `Pub/Sub envelope`, ... */
export interface Where {
  readonly what: string;
  readonly messageId?: string | undefined;
}

export const MAX_IDENTIFIER_CHARS = 512;
export const MAX_LABEL_KEY_CHARS = 256;
export const MAX_LABEL_VALUE_CHARS = 1024;
/** Entries per label map, as the runwatch event schema bounds its labels: each map costs bounded space. */
export const MAX_MAP_ENTRIES = 64;
export const MAX_ANNOTATION_CHARS = 4096;

export type Json = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is Json {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}

/** An own property only: JSON objects inherit `constructor`, `toString`, ... from Object. */
export function own(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The first of `keys` that is present (not undefined), with the key it was found under. */
export function firstOf(object: Json, keys: readonly string[]): { key: string; value: unknown } {
  for (const key of keys) {
    const value = own(object, key);
    if (value !== undefined) return { key, value };
  }
  return { key: keys[0] ?? '', value: undefined };
}

export function missing(where: Where, field: string, expected: string): IngestPoisonError {
  return new IngestPoisonError(
    'INGEST_ERR_FIELD_MISSING',
    `${where.what}: field ${field} is missing; expected ${expected}`,
    { field, messageId: where.messageId },
  );
}

export function invalid(
  where: Where,
  field: string,
  value: unknown,
  expected: string,
): IngestPoisonError {
  return new IngestPoisonError(
    'INGEST_ERR_FIELD_INVALID',
    `${where.what}: field ${field} is ${describeValue(value)}; expected ${expected}`,
    { field, messageId: where.messageId },
  );
}

// C0 controls, DEL, and UTF-16 surrogates that are not half of a pair.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Whether `value` can be an identifier: non-empty, bounded, printable, well-formed. */
export function isIdentifier(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_IDENTIFIER_CHARS &&
    !CONTROL.test(value) &&
    !LONE_SURROGATE.test(value)
  );
}

export const IDENTIFIER_EXPECTED = `a non-empty string of at most ${MAX_IDENTIFIER_CHARS} characters without control characters`;

/** A required identifier (an id, a name): present, and `isIdentifier`. */
export function identifier(where: Where, value: unknown, field: string, what: string): string {
  if (value === undefined || value === null) throw missing(where, field, what);
  if (!isIdentifier(value)) throw invalid(where, field, value, `${what}: ${IDENTIFIER_EXPECTED}`);
  return value;
}

/** `text` cut to at most `max` characters, before a surrogate pair rather than through it, with `…`. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** `text` made storable (NUL and lone surrogates become U+FFFD) and `cut` to `max` characters. */
export function storable(text: string, max: number): string {
  return cut(text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD'), max);
}

/** Explanatory text: a non-blank string, made storable; anything else is ignored (undefined). */
export function optionalText(value: unknown, max = MAX_ANNOTATION_CHARS): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return storable(value, max);
}

/** A number written as a number or as a string (Monitoring's observed and threshold values). */
export function optionalNumberText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return optionalText(value, MAX_LABEL_VALUE_CHARS);
}

/**
 * A map of string values (resource labels, user labels): absent or null is empty, and anything
 * but an object of strings is invalid. Keys and values are made storable and bounded.
 */
export function stringMap(where: Where, value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalid(where, field, value, 'an object of string values');
  const count = Object.keys(value).length;
  if (count > MAX_MAP_ENTRIES)
    throw invalid(
      where,
      field,
      `an object of ${count} entries`,
      `at most ${MAX_MAP_ENTRIES} entries`,
    );
  const out: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(where, `${field}.${key}`, v, 'a string');
    out.push([storable(key, MAX_LABEL_KEY_CHARS), storable(v, MAX_LABEL_VALUE_CHARS)]);
  }
  return Object.fromEntries(out);
}

/** `map`'s entries with `prefix` on each key. */
export function prefixed(
  prefix: string,
  map: Readonly<Record<string, string>>,
): [string, string][] {
  return Object.entries(map).map(([k, v]) => [`${prefix}${k}`, v]);
}

/** Entries whose value is defined, as a record (labels and annotations are never undefined). */
export function defined(entries: readonly [string, string | undefined][]): Record<string, string> {
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

/** An RFC 3339 time as Pub/Sub and Cloud Logging write it: epoch ms, and nanoseconds exactly. */
export interface Rfc3339Time {
  readonly ms: number;
  /** The same instant in UTC with nine fraction digits: one spelling per instant. */
  readonly canonical: string;
}

/**
 * Parses an RFC 3339 date-time (`2024-05-01T12:00:00.123456Z`, `…+02:00`) from 1970 to 9999 with
 * at most nine fraction digits, or returns null. lib/rfc3339.ts checks the fields (no February
 * 30, no leap second, which protobuf Timestamps smear anyway); this adds the canonical spelling.
 */
export function parseRfc3339(text: unknown): Rfc3339Time | null {
  if (typeof text !== 'string') return null;
  const parts = rfc3339Parts(text);
  if (parts === null || parts.fraction.length > 9) return null;
  const { secondsMs } = parts;
  const fraction = parts.fraction.padEnd(9, '0');
  const ms = secondsMs + Number(fraction.slice(0, 3));
  if (!Number.isFinite(ms) || secondsMs < 0) return null;
  const canonical = `${new Date(secondsMs).toISOString().slice(0, 19)}.${fraction}Z`;
  if (canonical.length !== 30) return null; // past year 9999 after the offset
  return { ms, canonical };
}
