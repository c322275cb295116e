/**
 * Dead letters: where they are kept, how to read them, and how to replay them.
 *
 * Two places keep them. alertIngest keeps every poison message in the store (`ingest_poison`,
 * the original bytes and attributes) and, with Pub/Sub on, also publishes it to the input's
 * dead-letter topic with its `runwatch_*` bookkeeping attributes (dead-letter.ts). Pub/Sub itself
 * moves a message that failed delivery `maxDeliveryAttempts` times to the dead-letter topic of its
 * subscription's topic, with `CloudPubSubDeadLetterSource*` attributes. Each dead-letter topic
 * has a pull subscription that keeps what arrives (the topology's `…DeadLetterKeep`).
 *
 * Reading never consumes: the store is only read, and a subscription's messages are pulled, held
 * and released (dead-letter-pull.ts), so the next read sees them again.
 *
 * A replay republishes a dead letter's data and attributes to the topic it came from (the topic
 * whose subscriptions dead-letter to its topic), without the dead-letter bookkeeping, with
 * `runwatch_replayed_from` naming the message it replays. It goes through ingest like any other
 * message: an alert already admitted is a duplicate of its content key, and a message that is
 * poison again is kept again under its new messageId. From a subscription a dead letter is
 * acknowledged only after its republish was confirmed, so a crash in between replays it again
 * rather than losing it (at least once, which ingest dedupe absorbs). From the store nothing is
 * written: its row stays, and replaying it twice publishes it twice.
 */

import { PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES } from '../ingest/envelope.js';
import type { IngestStore, PoisonRecord } from '../store/ingest-store.js';
import { cutBytes } from './attributes.js';
import {
  describeFailure,
  grpcCode,
  lazyTopic,
  type OutgoingMessage,
  publishConfirmed,
} from './client.js';
import { POISON_ATTRIBUTES } from './dead-letter.js';
import type { HeldMessages, PulledMessage } from './dead-letter-pull.js';
import {
  DeadLetterError,
  DLQ_ERR_PUBLISH_FAILED,
  DLQ_ERR_PULL_FAILED,
  DLQ_ERR_UNKNOWN_ID,
} from './replay-errors.js';
import type { Topology } from './topology.js';

/** Set on a replay: the messageId of the message it replays. */
export const REPLAYED_FROM_ATTRIBUTE = 'runwatch_replayed_from';
/** The prefix of the attributes Pub/Sub adds when it dead-letters a message. */
export const PUBSUB_DEAD_LETTER_PREFIX = 'CloudPubSubDeadLetterSource';

/** One dead-letter topic: where its dead letters are kept and where a replay goes. */
export interface DeadLetterRoute {
  /** The dead-letter topic's name. */
  readonly topic: string;
  /** The pull subscription of it that keeps its dead letters. */
  readonly subscription: string;
  /** Where a replay goes: the topic whose subscriptions dead-letter to `topic`. */
  readonly replayTo: string;
  /** Whether alertIngest also keeps these dead letters in the store (the input's). */
  readonly store: boolean;
}

/**
 * Every dead-letter topic of `topology` that a topic names and a pull subscription keeps, in the
 * file's order.
 */
export function deadLetterRoutes(topology: Topology): DeadLetterRoute[] {
  const routes: DeadLetterRoute[] = [];
  for (const source of Object.values(topology.topics)) {
    if (source.deadLetterTopic === null) continue;
    const keep = Object.values(topology.subscriptions).find(
      (s) => s.topic === source.deadLetterTopic && s.push === null,
    );
    if (keep === undefined) continue;
    routes.push({
      topic: source.deadLetterTopic,
      subscription: keep.name,
      replayTo: source.name,
      store: source.role === 'ingest',
    });
  }
  return routes;
}

interface DeadLetterCommon {
  /** The id a listing shows and a replay selects: the poison's (store), the dead letter's own. */
  readonly messageId: string;
  /** The message that failed: `runwatch_replayed_from` of its replay. */
  readonly originalMessageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms, or null when unknown. */
  readonly publishTime: number | null;
}

/** A poison message of the store. */
export interface StoredDeadLetter extends DeadLetterCommon {
  readonly source: 'store';
  readonly code: string;
  readonly reason: string;
  readonly receivedAt: number;
  readonly deadLetteredAt: number | null;
}

/** A message on a dead-letter subscription. */
export interface PulledDeadLetter extends DeadLetterCommon {
  readonly source: 'subscription';
  /** The subscription it was read from (full name). */
  readonly subscription: string;
  /** Pub/Sub's dead letters: the subscription whose deliveries failed, and how often. */
  readonly sourceSubscription: string | null;
  readonly deliveryCount: number | null;
  /** alertIngest's dead letters: the poison code. */
  readonly code: string | null;
}

export type DeadLetter = StoredDeadLetter | PulledDeadLetter;

export function fromPoison(record: PoisonRecord): StoredDeadLetter {
  return {
    source: 'store',
    messageId: record.messageId,
    originalMessageId: record.messageId,
    data: record.data,
    attributes: record.attributes,
    publishTime: record.publishTime,
    code: record.code,
    reason: record.reason,
    receivedAt: record.receivedAt,
    deadLetteredAt: record.deadLetteredAt,
  };
}

export function fromPulled(message: PulledMessage, subscription: string): PulledDeadLetter {
  const a = message.attributes;
  const count = Number(a[`${PUBSUB_DEAD_LETTER_PREFIX}DeliveryCount`]);
  return {
    source: 'subscription',
    subscription,
    messageId: message.messageId,
    originalMessageId: a[POISON_ATTRIBUTES.sourceMessageId] ?? message.messageId,
    data: message.data,
    attributes: a,
    publishTime: message.publishTime,
    sourceSubscription: a[`${PUBSUB_DEAD_LETTER_PREFIX}Subscription`] ?? null,
    deliveryCount: Number.isSafeInteger(count) ? count : null,
    code: a[POISON_ATTRIBUTES.code] ?? null,
  };
}

const BOOKKEEPING = new Set<string>([...Object.values(POISON_ATTRIBUTES), REPLAYED_FROM_ATTRIBUTE]);

/**
 * What a replay of `letter` publishes: its data exactly, its attributes without Pub/Sub's and
 * alertIngest's dead-letter bookkeeping (and without an earlier `runwatch_replayed_from`), and
 * `runwatch_replayed_from` naming the message replayed.
 */
export function replayMessage(letter: DeadLetter): OutgoingMessage {
  const kept = Object.entries(letter.attributes).filter(
    ([key]) => !key.startsWith(PUBSUB_DEAD_LETTER_PREFIX) && !BOOKKEEPING.has(key),
  );
  return {
    data: letter.data,
    attributes: {
      ...Object.fromEntries(kept),
      [REPLAYED_FROM_ATTRIBUTE]: cutBytes(
        letter.originalMessageId,
        PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES,
      ),
    },
  };
}

/**
 * The dead letters of `letters` that `ids` names (in `letters`' order), or all of them. An id
 * that is none of them is DLQ_ERR_UNKNOWN_ID, naming it and `where` they were read from.
 */
export function selectDeadLetters<L extends DeadLetter>(
  letters: readonly L[],
  ids: readonly string[] | 'all',
  where: string,
): L[] {
  if (ids === 'all') return [...letters];
  const known = new Set(letters.map((l) => l.messageId));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new DeadLetterError(
      DLQ_ERR_UNKNOWN_ID,
      404,
      `--id ${unknown.map((id) => JSON.stringify(id)).join(', ')}: not among the ${letters.length} dead letters read from ${where}; nothing was replayed`,
      { field: '--id' },
    );
  }
  const wanted = new Set(ids);
  return letters.filter((l) => wanted.has(l.messageId));
}

/** Publishes a replay; resolves with its new messageId once Pub/Sub confirmed it. */
export type Republish = (message: OutgoingMessage) => Promise<string>;

export interface ReplayedLetter {
  readonly letter: DeadLetter;
  /** What was (or, in a dry run, would be) published. */
  readonly message: OutgoingMessage;
  /** The replay's messageId; null in a dry run. */
  readonly replayedAs: string | null;
}

export interface ReplayReport {
  /** Where the replays went. */
  readonly topic: string;
  readonly replayed: readonly ReplayedLetter[];
  /**
   * Each with the dead letter it is about (those stay where they were), or null for a failure
   * of none in particular (releasing the leases held).
   */
  readonly failures: readonly {
    readonly letter: DeadLetter | null;
    readonly error: DeadLetterError;
  }[];
  /** Not tried, because a failure stopped the replay; they stay where they were. */
  readonly untried: readonly DeadLetter[];
  readonly dryRun: boolean;
}

export interface ReplayOptions {
  /** The topic name `publish` publishes to, for messages and the report. */
  readonly topic: string;
  readonly publish: Republish;
  /** Called after a confirmed republish; the dead letter's ack. A throw stops the replay. */
  readonly settle?: (letter: DeadLetter) => Promise<void>;
  /** Called before each republish (to renew the leases held). A throw stops the replay. */
  readonly beforeEach?: () => Promise<void>;
  readonly dryRun: boolean;
}

const INVALID_ARGUMENT = 3;

/**
 * Replays `letters` one at a time, in order: republish, wait for the confirmation, then settle.
 * A republish refused for that message alone (INVALID_ARGUMENT: say, one attribute too many) is a
 * failure and the next one is tried; any other failure (unreachable, missing topic, timeout), and
 * a failed settle, stops the replay, since the next would fail the same way.
 */
export async function replayDeadLetters(
  letters: readonly DeadLetter[],
  options: ReplayOptions,
): Promise<ReplayReport> {
  const replayed: ReplayedLetter[] = [];
  const failures: { letter: DeadLetter | null; error: DeadLetterError }[] = [];
  const report = (rest: readonly DeadLetter[]): ReplayReport => ({
    topic: options.topic,
    replayed,
    failures,
    untried: rest,
    dryRun: options.dryRun,
  });
  for (const [i, letter] of letters.entries()) {
    const message = replayMessage(letter);
    if (options.dryRun) {
      replayed.push({ letter, message, replayedAs: null });
      continue;
    }
    let replayedAs: string;
    try {
      await options.beforeEach?.();
      replayedAs = await options.publish(message);
    } catch (cause) {
      const error =
        cause instanceof DeadLetterError
          ? cause
          : new DeadLetterError(
              DLQ_ERR_PUBLISH_FAILED,
              502,
              `replaying ${letter.messageId} to ${options.topic} failed, so it stays where it was: ${describeFailure(cause)}`,
              { cause },
            );
      failures.push({ letter, error });
      if (grpcCode(cause) === INVALID_ARGUMENT) continue;
      return report(letters.slice(i + 1));
    }
    try {
      await options.settle?.(letter);
    } catch (cause) {
      failures.push({
        letter,
        error:
          cause instanceof DeadLetterError
            ? cause
            : new DeadLetterError(DLQ_ERR_PUBLISH_FAILED, 502, describeFailure(cause), { cause }),
      });
      replayed.push({ letter, message, replayedAs });
      return report(letters.slice(i + 1));
    }
    replayed.push({ letter, message, replayedAs });
  }
  return report([]);
}

export interface StoreReadOptions {
  readonly limit: number;
  /** Only poison received at or after this epoch ms. */
  readonly from?: number | undefined;
}

/** The store's poison, oldest received first, at most `limit`. */
export async function readStoredDeadLetters(
  store: Pick<IngestStore, 'poison'>,
  options: StoreReadOptions,
): Promise<StoredDeadLetter[]> {
  const records = await store.poison({
    limit: options.limit,
    ...(options.from === undefined ? {} : { from: options.from }),
  });
  return records.map(fromPoison);
}

/** The selected poison of the store, replayed; the store is not written. */
export async function replayFromStore(
  store: Pick<IngestStore, 'poison'>,
  options: StoreReadOptions & {
    readonly ids: readonly string[] | 'all';
    readonly route: DeadLetterRoute;
    readonly publish: Republish;
    readonly dryRun: boolean;
  },
): Promise<ReplayReport> {
  const letters = await readStoredDeadLetters(store, options);
  const since = options.from === undefined ? '' : ` since ${new Date(options.from).toISOString()}`;
  const selected = selectDeadLetters(
    letters,
    options.ids,
    `the store (the ${options.limit} oldest${since}, --limit)`,
  );
  return replayDeadLetters(selected, {
    topic: options.route.replayTo,
    publish: options.publish,
    dryRun: options.dryRun,
  });
}

/**
 * The selected dead letters of `held`, replayed, each acknowledged once its republish was
 * confirmed; everything else `held` holds is released, whatever happened.
 */
export async function replayFromSubscription(
  held: HeldMessages,
  options: {
    readonly ids: readonly string[] | 'all';
    readonly route: DeadLetterRoute;
    readonly publish: Republish;
    readonly dryRun: boolean;
  },
): Promise<ReplayReport> {
  let report: ReplayReport;
  try {
    const letters = held.messages.map((m) => fromPulled(m, held.subscription));
    const selected = selectDeadLetters(
      letters,
      options.ids,
      `${held.subscription} (${letters.length} pulled, at most --limit)`,
    );
    report = await replayDeadLetters(selected, {
      topic: options.route.replayTo,
      publish: options.publish,
      settle: (letter) => held.ack(letter.messageId),
      beforeEach: () => held.keep(),
      dryRun: options.dryRun,
    });
  } catch (e) {
    await held.release().catch(() => {});
    throw e;
  }
  try {
    await held.release();
  } catch (cause) {
    const error =
      cause instanceof DeadLetterError
        ? cause
        : new DeadLetterError(DLQ_ERR_PULL_FAILED, 502, describeFailure(cause), { cause });
    return { ...report, failures: [...report.failures, { letter: null, error }] };
  }
  return report;
}

/** Publishes replays to one topic with the real client; `close` when done. */
export function createRepublisher(options: {
  /** A topic id, published to in `projectId`. */
  readonly topic: string;
  readonly projectId: string;
  readonly emulatorHost?: string | undefined;
  readonly timeoutMs: number;
}): { readonly publish: Republish; close(): Promise<void> } {
  const topic = lazyTopic({ ...options, batchMessages: 1 });
  return {
    publish: (message) =>
      publishConfirmed(topic, message, options.timeoutMs, {
        message: `the replay of ${message.attributes[REPLAYED_FROM_ATTRIBUTE]}`,
        topic: options.topic,
      }),
    close: () => topic.close(),
  };
}
