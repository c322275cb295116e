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
import { lazyTopic } from './client.js';

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

export function deadLetterAttributes(poison: PoisonInput): Record<string, string> {
  const own = {
    runwatch_poison_code: poison.code,
    runwatch_poison_reason: cutBytes(poison.reason, MAX_VALUE_BYTES),
    runwatch_source_message_id: cutBytes(poison.messageId, MAX_VALUE_BYTES),
    runwatch_received_at: new Date(poison.receivedAt).toISOString(),
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
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `dead letter ${poison.messageId} not confirmed by ${options.topic} within ${options.timeoutMs} ms`,
              ),
            ),
          options.timeoutMs,
        );
      });
      try {
        await Promise.race([
          (async () =>
            topic.get().publishMessage({
              data: poison.data,
              attributes: deadLetterAttributes(poison),
            }))(),
          deadline,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => topic.close(),
  };
}
