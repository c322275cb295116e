/**
 * Publishes alert ingest's poison to the input's dead-letter topic with the real
 * @google-cloud/pubsub client: the original payload bytes exactly, the original attributes, and
 * what ingest found wrong (`runwatch_poison_code`, `runwatch_poison_reason`,
 * `runwatch_source_message_id`, `runwatch_received_at`). Pub/Sub allows 100 attributes, keys of
 * at most 256 bytes and values of at most 1024: the poison attributes come first, and the
 * original's are cut to fit, a key over 256 bytes left out (the whole original message stays in
 * the store's poison table).
 *
 * `send` resolves once Pub/Sub confirmed the message and rejects otherwise, within `timeoutMs`:
 * the gax call option `{timeout}` caps the client's own retries, and the wait is raced against a
 * deadline of the same length, which also covers client set-up and credentials. Ingest then fails
 * the delivery, so Pub/Sub redelivers it and the publish is tried again.
 */

import {
  PUBSUB_MAX_ATTRIBUTE_KEY_BYTES,
  PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES,
  PUBSUB_MAX_ATTRIBUTES,
} from '../ingest/envelope.js';
import type { PoisonInput } from '../store/ingest-store.js';
import { cutBytes } from './attributes.js';
import { lazyTopic, publishConfirmed } from './client.js';

export interface DeadLetterOptions {
  /** A topic id, or its full name `projects/P/topics/T`. */
  readonly topic: string;
  /** Unset: the client library detects the project. */
  readonly projectId?: string | undefined;
  /** host:port of an emulator, spoken to in plaintext. */
  readonly emulatorHost?: string | undefined;
  readonly timeoutMs: number;
}

export interface DeadLetterSender {
  send(poison: PoisonInput): Promise<void>;
  close(): Promise<void>;
}

const MAX_ATTRIBUTES = PUBSUB_MAX_ATTRIBUTES;
const MAX_KEY_BYTES = PUBSUB_MAX_ATTRIBUTE_KEY_BYTES;
const MAX_VALUE_BYTES = PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES;

/** The attributes a dead letter of alertIngest's carries beside the original's, by what they say. */
export const POISON_ATTRIBUTES = {
  code: 'runwatch_poison_code',
  reason: 'runwatch_poison_reason',
  sourceMessageId: 'runwatch_source_message_id',
  receivedAt: 'runwatch_received_at',
} as const;

export function deadLetterAttributes(poison: PoisonInput): Record<string, string> {
  const own = {
    [POISON_ATTRIBUTES.code]: poison.code,
    [POISON_ATTRIBUTES.reason]: cutBytes(poison.reason, MAX_VALUE_BYTES),
    [POISON_ATTRIBUTES.sourceMessageId]: cutBytes(poison.messageId, MAX_VALUE_BYTES),
    [POISON_ATTRIBUTES.receivedAt]: new Date(poison.receivedAt).toISOString(),
  };
  const room = MAX_ATTRIBUTES - Object.keys(own).length;
  // An event that never became a message may carry attributes Pub/Sub would refuse: a key too
  // long to cut without changing it is left out, a value is cut.
  const original = Object.entries(poison.attributes)
    .filter(([key]) => !(key in own) && Buffer.byteLength(key) <= MAX_KEY_BYTES)
    .slice(0, room)
    .map(([key, value]) => [key, cutBytes(value, MAX_VALUE_BYTES)]);
  return { ...Object.fromEntries(original), ...own };
}

export function createDeadLetterPublisher(options: DeadLetterOptions): DeadLetterSender {
  const topic = lazyTopic({ ...options, batchMessages: 1 });

  return {
    async send(poison) {
      await publishConfirmed(
        topic,
        { data: poison.data, attributes: deadLetterAttributes(poison) },
        options.timeoutMs,
        { message: `dead letter ${poison.messageId}`, topic: options.topic },
      );
    },
    close: () => topic.close(),
  };
}
