/**
 * Alert intake: one Pub/Sub message in, at most one hand-off out, however often it is delivered.
 *
 * normalise → admit (dedupe, in the store) → claim the hand-off → hand off → mark it done. The
 * claim is asked of the admit itself (one store transaction); only a pending duplicate the admit
 * could not claim tries a separate claim.
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
 * - **Poison** (`IngestPoisonError`, and an alert the store would refuse) is acknowledged: logged
 *   `alert.poison` (ERROR) with its code, kept with the original bytes in the store (once per
 *   messageId), and published to the dead-letter topic when one is configured, under a lease so
 *   that concurrent deliveries publish once. A loop (`origin=runwatch`) is dropped with an
 *   `alert.loop_dropped` line.
 * - **At least once, in two windows**: a crash after the hand-off and before it is marked done,
 *   or a hand-off slower than the lease, hands the alert off again on redelivery. That is
 *   harmless: the engine's receive is idempotent (the same event applied twice is the same
 *   state), and notifications come from its groups' logs and outbox, not from hand-offs.
 * - **Transient** failures (the store, the dead-letter publish, the hand-off) reject, so the
 *   delivery is retried and the subscription's dead-letter policy bounds the retries.
 */
import { createHash } from 'node:crypto';
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  type AdmitOutcome,
  admitProblem,
  type IngestStore,
  isStorableKey,
  type PoisonInput,
} from '../store/ingest-store.js';
import type { IncomingAlert, PubSubMessage } from '../types.js';
import { IngestPoisonError } from './errors.js';

/** What intake needs of the store. */
export type IntakeStore = Pick<
  IngestStore,
  | 'admit'
  | 'claimHandOff'
  | 'completeHandOff'
  | 'recordPoison'
  | 'claimDeadLetter'
  | 'markDeadLettered'
>;

/** A message as received, kept whole for the dead-letter topic and the poison table. */
export interface OriginalMessage {
  readonly messageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms; the time it was received when the delivery did not say (or said it unreadably). */
  readonly publishTime: number;
}

/** An admitted alert on its way to the alert engine, and why it is handed off. */
export interface HandOffRequest {
  readonly alert: IncomingAlert;
  /** `new alert`, or `new alert (redelivered)` after a crash between admit and hand-off. */
  readonly reason: string;
}

/** Where admitted alerts go: the alert engine's receive; rejects when it must be retried. */
export type HandOff = (request: HandOffRequest) => Promise<void>;

/** Publishes a poison message to the dead-letter topic; rejects when it was not confirmed. */
export type DeadLetterPublisher = (poison: PoisonInput) => Promise<void>;

export interface IntakeDeps {
  readonly store: IntakeStore;
  readonly normalise: (message: PubSubMessage) => IncomingAlert;
  /** Where an admitted alert goes: the alert engine. */
  readonly handOff: HandOff;
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

export const INGEST_ERR_BUSY = 'INGEST_ERR_BUSY';

export const INTAKE_ERRORS: readonly ErrorSpec[] = [
  {
    code: INGEST_ERR_BUSY,
    statusCode: 500,
    meaning:
      'alertIngest: another delivery of the same alert (or poison message) holds its hand-off (or dead-letter) lease, so this one fails and Pub/Sub redelivers it; by then the other has finished and the redelivery is a duplicate. Transient: logged `alert.ingest_failed`.',
  },
];

/** A delivery met a hand-off or dead-letter publish still in progress elsewhere: retry later. */
export class IntakeBusyError extends RunwatchError {
  constructor(what: string) {
    super(INGEST_ERR_BUSY, 500, `${what} is in progress in another delivery; retry later`);
  }
}

export const DEFAULT_HANDOFF_LEASE_MS = 10_000;

export interface Intake {
  /** One decoded delivery. Resolves when it may be acknowledged; rejects when it must be retried. */
  accept(message: PubSubMessage): Promise<IntakeResult>;
  /** A delivery that could not even be decoded into a message: poison, with what was received. */
  reject(error: IngestPoisonError, original: OriginalMessage): Promise<IntakeResult>;
}

/**
 * A messageId the store can key on: as given, or (holding NUL or a lone surrogate, which the
 * envelope lets through but no table takes) `sha256:<hex>` of it, so even such poison is kept
 * and acknowledged once.
 */
function keyable(messageId: string): string {
  return isStorableKey(messageId)
    ? messageId
    : `sha256:${createHash('sha256').update(messageId).digest('hex')}`;
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
    const record: PoisonInput = {
      ...original,
      messageId: keyable(original.messageId),
      code: error.code,
      reason: error.message,
      receivedAt: now(),
    };
    const kept = await store.recordPoison(record);
    let deadLettered = kept.deadLetteredAt !== null;
    if (!deadLettered && deps.deadLetter !== null) {
      // One publisher at a time; a publish that timed out may still land, so the dead-letter
      // topic is at least once, keyed by runwatch_source_message_id.
      if (!(await store.claimDeadLetter(record.messageId, now(), leaseMs))) {
        throw new IntakeBusyError(`the dead letter of ${record.messageId}`);
      }
      await deps.deadLetter(record);
      await store.markDeadLettered(record.messageId, now());
      deadLettered = true;
    }
    log.error(
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

  /** Hands off `alert` under a lease: the admit's (`claimed`), or one claimed here. */
  const handOff = async (
    alert: IncomingAlert,
    recovered: boolean,
    claimed: boolean,
  ): Promise<IntakeResult> => {
    if (!claimed && !(await store.claimHandOff(alert.dedupeKey, now(), leaseMs))) {
      throw new IntakeBusyError(`the hand-off of ${alert.dedupeKey}`);
    }
    await deps.handOff({ alert, reason: recovered ? 'new alert (redelivered)' : 'new alert' });
    await store.completeHandOff(alert.dedupeKey, now());
    log.info(
      {
        event: 'alert.ingested',
        dedupeKey: alert.dedupeKey,
        source: alert.source,
        status: alert.status,
        alertname: alert.labels.alertname,
        severity: alert.labels.severity,
        labels: alert.labels,
        annotations: alert.annotations,
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
      const receivedAt = now();
      const input = { messageId: message.messageId, alert, receivedAt };
      // What the store would refuse every time is poison, not a failure to retry.
      const problem = admitProblem(input);
      if (problem !== null) {
        return poison(
          new IngestPoisonError(
            'INGEST_ERR_FIELD_INVALID',
            `field ${problem.field} is ${problem.value}; expected ${problem.expected}`,
            { field: problem.field, messageId: message.messageId },
          ),
          message,
        );
      }
      const admitted = await store.admit({ ...input, claim: { now: receivedAt, leaseMs } });
      if (admitted.outcome === 'new') return handOff(alert, false, admitted.claimed);
      if (admitted.outcome === 'stale') {
        log.info(
          { event: 'alert.stale', dedupeKey: alert.dedupeKey, messageId: message.messageId },
          `alert ${alert.dedupeKey} arrived after its resolution; recorded, not handed off`,
        );
        return { kind: 'stale', dedupeKey: alert.dedupeKey };
      }
      if (!admitted.handedOff) return handOff(alert, true, admitted.claimed);
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
