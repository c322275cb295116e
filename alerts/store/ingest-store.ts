/**
 * The ingest store: exactly-once intake of alert messages, the hand-off of each alert, and the
 * poison messages kept for operators. One interface with a SQLite and a PostgreSQL
 * implementation (sqlite-ingest.ts, postgres-ingest.ts) on the connection the trend store opens
 * (open.ts `openStores`), in the same database and migrations (version 6; version 7 gives
 * PostgreSQL its one-round-trip admit). Times are epoch ms.
 *
 * How ingest uses it, per delivery: `admit` with `claim`; when `claimed`, hand the alert off then
 * `completeHandOff`; else, unless `handedOff`, `claimHandOff` first. A crash between admit and
 * the hand-off leaves the alert pending, so the redelivery (a `duplicate_*` that is not
 * `handedOff`) claims and hands it off; a claim refused while another delivery's lease runs
 * means that delivery is handing it off now, and the caller throws so Pub/Sub retries later. A
 * lease must outlast the hand-off, which bounds its own time below it; an expired lease can be
 * claimed again.
 */
import { describeValue } from '../../lib/errors.js';
import type { IncomingAlert } from '../types.js';
import { StoreError } from './store.js';

/**
 * `new`: first seen; `duplicate_message`: this messageId was admitted before;
 * `duplicate_content`: another messageId brought the same dedupe key; `stale`: a firing alert
 * whose lifecycle already has a resolved alert stored (a closed incident that arrived before its
 * open), recorded and never handed off.
 */
export type AdmitOutcome = 'new' | 'duplicate_message' | 'duplicate_content' | 'stale';

export interface AdmitInput {
  readonly messageId: string;
  readonly alert: IncomingAlert;
  readonly receivedAt: number;
  /**
   * Also take the hand-off lease until `now + leaseMs`, in the admit's own transaction, when it
   * can be taken: the alert is `new` and not stale, or a duplicate still pending whose lease is
   * free or expired (the same condition as `claimHandOff`). Saves the caller the separate claim.
   */
  readonly claim?: { readonly now: number; readonly leaseMs: number };
}

export interface AdmitResult {
  readonly outcome: AdmitOutcome;
  /**
   * True when nothing is left to hand off for the alert's dedupe key: it was handed off, it is
   * stale (never handed off), or its row is gone (pruned). False while its hand-off is pending,
   * always so for `new`.
   */
  readonly handedOff: boolean;
  /**
   * True when this admit took the hand-off lease (`claim` was given): a `new` alert, or a pending
   * one whose lease had expired. Of concurrent admits of one key at most one takes it. False
   * without `claim`, and when it could not be taken: handed off, stale, or the lease held.
   */
  readonly claimed: boolean;
}

/** An admitted alert with its intake and hand-off state. */
export interface StoredAlert {
  readonly alert: IncomingAlert;
  /** The messageId that first brought it. */
  readonly messageId: string;
  readonly receivedAt: number;
  /**
   * Firing after its lifecycle's resolution was stored: on arrival, or later when the
   * resolution arrived while this one's hand-off was still pending. Never handed off after that.
   */
  readonly stale: boolean;
  /** Until when the current hand-off lease runs, or null. */
  readonly leaseUntil: number | null;
  readonly handedOffAt: number | null;
}

/** A message ingest could not read, kept as it came (unique per messageId). */
export interface PoisonInput {
  readonly messageId: string;
  /** The stable code ingest logged (`alert.poison`). */
  readonly code: string;
  readonly reason: string;
  /** The message's payload bytes, kept exactly. */
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly publishTime: number;
  readonly receivedAt: number;
}

export interface PoisonRecord extends PoisonInput {
  /** When it was published to the dead-letter topic, or null while it is only here. */
  readonly deadLetteredAt: number | null;
}

export interface IngestStore {
  /**
   * In one transaction, records the messageId and the alert under its dedupe key, each by a
   * unique constraint (insert-if-absent, never read-then-write), and says which it was.
   * A resolved alert with a lifecycle makes that lifecycle's firing alerts still pending stale.
   * With `claim`, takes the hand-off lease in the same transaction when it is free (`claimed`).
   * Throws STORE_ERR_INGEST_INVALID for input `admitProblem` refuses.
   */
  admit(input: AdmitInput): Promise<AdmitResult>;
  /**
   * Takes the hand-off lease until `now + leaseMs`: true only when the alert is not handed off,
   * not stale and no unexpired lease is held (one conditional update; of concurrent claims one
   * wins). False for an unknown key.
   */
  claimHandOff(dedupeKey: string, now: number, leaseMs: number): Promise<boolean>;
  /** Marks the alert handed off and drops its lease; false when it already was (or is unknown). */
  completeHandOff(dedupeKey: string, now: number): Promise<boolean>;
  getAlert(dedupeKey: string): Promise<StoredAlert | null>;
  /**
   * Inserts unless that messageId is stored; either way returns when it was dead-lettered (null:
   * not yet), so a redelivery publishes a dead letter only if none went out.
   */
  recordPoison(input: PoisonInput): Promise<{ inserted: boolean; deadLetteredAt: number | null }>;
  /**
   * Takes the dead-letter publication lease until `now + leaseMs`: true only when it was not
   * published and no unexpired lease is held, so two concurrent deliveries of one poison message
   * publish one dead letter.
   */
  claimDeadLetter(messageId: string, now: number, leaseMs: number): Promise<boolean>;
  /** Records the dead-letter publication; false when it was recorded already (or is unknown). */
  markDeadLettered(messageId: string, now: number): Promise<boolean>;
  /** Poison messages with `receivedAt >= from`, oldest first (then by messageId), at most `limit`. */
  poison(q: { readonly from?: number; readonly limit: number }): Promise<PoisonRecord[]>;
}

/**
 * The ingest tables and their time column, for the trend store's `prune` (one database, one
 * retention): rows older than the cut go, oldest tables' rows within the same limit.
 */
export const INGEST_PRUNED = [
  ['ingest_messages', 'received_at'],
  ['ingest_alerts', 'received_at'],
  ['ingest_poison', 'received_at'],
] as const;

/** What is wrong with an input field: its path, the value described, and what was expected. */
export interface IngestProblem {
  readonly field: string;
  readonly value: string;
  readonly expected: string;
}

const bad = (field: string, value: unknown, expected: string): IngestProblem => ({
  field,
  value: describeValue(value),
  expected,
});

/**
 * PostgreSQL text and jsonb hold neither NUL nor a lone surrogate (which UTF-8 cannot encode);
 * both stores refuse the same strings.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (v: unknown): v is string =>
  typeof v === 'string' && !v.includes('\u0000') && !LONE_SURROGATE.test(v);

/** Whether both dialects can key a row on `v` (a messageId, a dedupe key). */
export const isStorableKey = (v: string): boolean => v !== '' && storable(v);
const KEY = 'a non-empty string without NUL or lone surrogates';
const TIME = 'an integer epoch-millisecond time';

function stringsProblem(field: string, record: unknown): IngestProblem | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return bad(field, record, 'an object of strings');
  }
  for (const [k, v] of Object.entries(record)) {
    if (!storable(k) || !storable(v))
      return bad(`${field}.${k}`, v, 'a string without NUL or lone surrogates');
  }
  return null;
}

/**
 * What the ingest store cannot take in an admit, or null. Ingest checks first and treats such a
 * message as poison; the store refuses it with the same words.
 */
export function admitProblem(input: AdmitInput): IngestProblem | null {
  const { messageId, alert, receivedAt } = input;
  if (!storable(messageId) || messageId === '') return bad('messageId', messageId, KEY);
  if (!Number.isSafeInteger(receivedAt)) return bad('receivedAt', receivedAt, TIME);
  if (!storable(alert.dedupeKey) || alert.dedupeKey === '')
    return bad('alert.dedupeKey', alert.dedupeKey, KEY);
  if (!['monitoring', 'log', 'runwatch'].includes(alert.source))
    return bad('alert.source', alert.source, 'one of monitoring, log, runwatch');
  if (alert.status !== 'firing' && alert.status !== 'resolved')
    return bad('alert.status', alert.status, 'firing or resolved');
  if (alert.lifecycleId !== null && (!storable(alert.lifecycleId) || alert.lifecycleId === ''))
    return bad('alert.lifecycleId', alert.lifecycleId, `${KEY}, or null`);
  if (!Number.isSafeInteger(alert.startsAt)) return bad('alert.startsAt', alert.startsAt, TIME);
  if (alert.endsAt !== null && !Number.isSafeInteger(alert.endsAt))
    return bad('alert.endsAt', alert.endsAt, `${TIME}, or null`);
  return (
    stringsProblem('alert.labels', alert.labels) ??
    stringsProblem('alert.annotations', alert.annotations)
  );
}

/**
 * What the ingest store cannot take in a poison record, or null. Only the key, code and reason
 * are constrained (the caller writes the reason, quoting what it quotes with JSON.stringify);
 * the data and attributes are kept whatever they hold.
 */
export function poisonProblem(input: PoisonInput): IngestProblem | null {
  if (!storable(input.messageId) || input.messageId === '')
    return bad('messageId', input.messageId, KEY);
  if (!storable(input.code) || input.code === '') return bad('code', input.code, KEY);
  if (!storable(input.reason))
    return bad('reason', input.reason, 'a string without NUL or lone surrogates');
  if (!Buffer.isBuffer(input.data)) return bad('data', input.data, 'a Buffer');
  if (typeof input.attributes !== 'object' || input.attributes === null)
    return bad('attributes', input.attributes, 'an object of strings');
  if (!Number.isSafeInteger(input.publishTime)) return bad('publishTime', input.publishTime, TIME);
  if (!Number.isSafeInteger(input.receivedAt)) return bad('receivedAt', input.receivedAt, TIME);
  return null;
}

function refuse(what: string, problem: IngestProblem | null): void {
  if (problem === null) return;
  throw new StoreError(
    'STORE_ERR_INGEST_INVALID',
    `${what} field "${problem.field}" is ${problem.value}; expected ${problem.expected}`,
    { field: problem.field },
  );
}

/**
 * Refuses what `admitProblem` refuses (STORE_ERR_INGEST_INVALID), and a `claim` whose times
 * `claimHandOff` would refuse (RangeError: the caller's bug, not the message's).
 */
export function checkAdmit(input: AdmitInput): void {
  refuse('admit', admitProblem(input));
  if (input.claim !== undefined) {
    checkInteger('claim.now', input.claim.now);
    checkInteger('claim.leaseMs', input.claim.leaseMs, true);
  }
}
export const checkPoison = (input: PoisonInput): void => refuse('poison', poisonProblem(input));

/** A time is an integer; a lease length or a listing limit a positive one. */
export function checkInteger(name: string, v: number, positive = false): void {
  if (!Number.isSafeInteger(v) || (positive && v < 1)) {
    throw new RangeError(
      `${name} is ${v}; expected ${positive ? 'a positive integer' : 'an integer'}`,
    );
  }
}
