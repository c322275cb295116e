/**
 * Alert intake: one Pub/Sub message in, at most one hand-off out, however often it is delivered.
 *
 * normalise → admit (dedupe, in the store) → claim the hand-off → hand off → mark it done.
 *
 * - **Dedupe** is the store's: one transaction, unique constraints on the messageId and on the
 *   alert's content identity (`dedupeKey`), never read-then-write, so two concurrent deliveries of
 *   one message, or one event republished under a new messageId, admit once. A firing event whose
 *   one-shot lifecycle (a Monitoring incident) is already resolved is `stale`: recorded, never
 *   handed off, so a closed incident arriving before its open pages nobody.
 * - **Hand-off exactly once**: the admitted alert is handed off only under a claim (a lease in
 *   the store), and marked done after. A redelivery after a crash between admit and hand-off finds
 *   the alert admitted but not handed off, claims it once the lease has passed, and hands it off.
 *   A redelivery that finds the lease held by a delivery still in progress throws
 *   (`IntakeBusyError`), so Pub/Sub retries it later and it then finds the hand-off done.
 * - **Poison** (`IngestPoisonError`) is acknowledged: logged `alert.poison` with its code, kept
 *   with the original bytes in the store, and published to the dead-letter topic when one is
 *   configured; both at most once per messageId. A loop (`origin=runwatch`) is dropped with an
 *   `alert.loop_dropped` line.
 * - **Transient** failures (the store, the dead-letter publish, the hand-off) reject, so the
 *   delivery is retried and the subscription's dead-letter policy bounds the retries.
 */
import type { Logger } from '../../lib/logger.js';
import type { Notifier } from '../notifiers/log.js';
import type { IncomingAlert, PubSubMessage } from '../types.js';
import { IngestPoisonError } from './errors.js';

export type AdmitOutcome = 'new' | 'duplicate_message' | 'duplicate_content' | 'stale';

/** What intake needs of the store (alerts/store/ingest-store.ts implements it). */
export interface IntakeStore {
  admit(input: {
    readonly messageId: string;
    readonly alert: IncomingAlert;
    readonly receivedAt: number;
  }): Promise<{ readonly outcome: AdmitOutcome; readonly handedOff: boolean }>;
  claimHandOff(dedupeKey: string, now: number, leaseMs: number): Promise<boolean>;
  completeHandOff(dedupeKey: string, now: number): Promise<unknown>;
  recordPoison(poison: PoisonRecord): Promise<{
    readonly inserted: boolean;
    readonly deadLetteredAt: number | null;
  }>;
  markDeadLettered(messageId: string, now: number): Promise<unknown>;
}

/** A message as received, kept whole for the dead-letter topic and the poison table. */
export interface OriginalMessage {
  readonly messageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms; the time it was received when the delivery did not say (or said it unreadably). */
  readonly publishTime: number;
}

export interface PoisonRecord extends OriginalMessage {
  readonly code: string;
  readonly reason: string;
  readonly receivedAt: number;
}

/** Publishes a poison message to the dead-letter topic; rejects when it was not confirmed. */
export type DeadLetterPublisher = (poison: PoisonRecord) => Promise<void>;

export interface IntakeDeps {
  readonly store: IntakeStore;
  readonly normalise: (message: PubSubMessage) => IncomingAlert;
  /** Where an admitted alert goes (the log notifier, until the alert engine). */
  readonly handOff: Notifier;
  /** Null: Pub/Sub is off, and poison is kept in the store only. */
  readonly deadLetter: DeadLetterPublisher | null;
  readonly log: Logger;
  readonly now?: () => number;
  /** How long a claimed hand-off is held before a redelivery may take it over. */
  readonly leaseMs?: number;
}

export type IntakeResult =
  | { readonly kind: 'handed_off'; readonly dedupeKey: string; readonly recovered: boolean }
  | { readonly kind: 'duplicate'; readonly dedupeKey: string; readonly outcome: AdmitOutcome }
  | { readonly kind: 'stale'; readonly dedupeKey: string }
  | { readonly kind: 'poison'; readonly code: string; readonly deadLettered: boolean }
  | { readonly kind: 'loop' };

/** A duplicate delivery met a hand-off still in progress elsewhere: retry later. */
export class IntakeBusyError extends Error {
  constructor(dedupeKey: string) {
    super(`the hand-off of ${dedupeKey} is in progress in another delivery; retry later`);
    this.name = 'IntakeBusyError';
  }
}

export const DEFAULT_HANDOFF_LEASE_MS = 10_000;

export interface Intake {
  /** One decoded delivery. Resolves when it may be acknowledged; rejects when it must be retried. */
  accept(message: PubSubMessage): Promise<IntakeResult>;
  /** A delivery that could not even be decoded into a message: poison, with what was received. */
  reject(error: IngestPoisonError, original: OriginalMessage): Promise<IntakeResult>;
}

export function createIntake(deps: IntakeDeps): Intake {
  const now = deps.now ?? Date.now;
  const leaseMs = deps.leaseMs ?? DEFAULT_HANDOFF_LEASE_MS;
  const { store, log } = deps;

  const poison = async (
    error: IngestPoisonError,
    original: OriginalMessage,
  ): Promise<IntakeResult> => {
    if (!error.deadLetter) {
      log.warn(
        { event: 'alert.loop_dropped', code: error.code, messageId: original.messageId },
        `dropped: ${error.message}`,
      );
      return { kind: 'loop' };
    }
    const record: PoisonRecord = {
      ...original,
      code: error.code,
      reason: error.message,
      receivedAt: now(),
    };
    const kept = await store.recordPoison(record);
    let deadLettered = kept.deadLetteredAt !== null;
    if (!deadLettered && deps.deadLetter !== null) {
      await deps.deadLetter(record);
      await store.markDeadLettered(original.messageId, now());
      deadLettered = true;
    }
    log.warn(
      {
        event: 'alert.poison',
        code: error.code,
        messageId: original.messageId,
        field: error.field,
        firstSeen: kept.inserted,
        deadLettered,
      },
      `poison message acknowledged: ${error.message}`,
    );
    return { kind: 'poison', code: error.code, deadLettered };
  };

  const handOff = async (alert: IncomingAlert, recovered: boolean): Promise<IntakeResult> => {
    if (!(await store.claimHandOff(alert.dedupeKey, now(), leaseMs))) {
      throw new IntakeBusyError(alert.dedupeKey);
    }
    await deps.handOff({ alert, reason: recovered ? 'new alert (redelivered)' : 'new alert' });
    await store.completeHandOff(alert.dedupeKey, now());
    log.info(
      {
        event: 'alert.ingested',
        dedupeKey: alert.dedupeKey,
        source: alert.source,
        status: alert.status,
        recovered,
      },
      `alert ${alert.dedupeKey} handed off`,
    );
    return { kind: 'handed_off', dedupeKey: alert.dedupeKey, recovered };
  };

  return {
    reject: poison,
    async accept(message) {
      let alert: IncomingAlert;
      try {
        alert = deps.normalise(message);
      } catch (e) {
        if (!(e instanceof IngestPoisonError)) throw e;
        return poison(e, message);
      }
      const admitted = await store.admit({
        messageId: message.messageId,
        alert,
        receivedAt: now(),
      });
      if (admitted.outcome === 'new') return handOff(alert, false);
      if (admitted.outcome === 'stale') {
        log.info(
          { event: 'alert.stale', dedupeKey: alert.dedupeKey, messageId: message.messageId },
          `alert ${alert.dedupeKey} arrived after its resolution; recorded, not handed off`,
        );
        return { kind: 'stale', dedupeKey: alert.dedupeKey };
      }
      if (!admitted.handedOff) return handOff(alert, true);
      log.info(
        {
          event: 'alert.duplicate',
          dedupeKey: alert.dedupeKey,
          messageId: message.messageId,
          outcome: admitted.outcome,
        },
        `duplicate of ${alert.dedupeKey} (${admitted.outcome}); acknowledged`,
      );
      return { kind: 'duplicate', dedupeKey: alert.dedupeKey, outcome: admitted.outcome };
    },
  };
}
