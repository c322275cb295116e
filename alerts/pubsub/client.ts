/**
 * One topic of the real @google-cloud/pubsub client, created on first use and closed with it:
 * what every runwatch publisher shares. `emulatorHost` (PUBSUB_EMULATOR_HOST) speaks plaintext to
 * that host:port instead of Google; every call carries the gax option `{timeout}`, which for
 * Publish (a retrying method) caps the client's whole retry loop, not one attempt.
 */
import { PubSub, type Topic } from '@google-cloud/pubsub';

export interface TopicOptions {
  /** A topic id, or its full name `projects/P/topics/T`. */
  readonly topic: string;
  /** Unset: the client library detects the project (metadata server, credentials). */
  readonly projectId?: string | undefined;
  readonly emulatorHost?: string | undefined;
  /** The longest one call may take, ms. */
  readonly timeoutMs: number;
  /** How many queued messages go out in one request (they go at once: no wait). */
  readonly batchMessages: number;
  /**
   * Publish messages with an ordering key in order per key (the client's `messageOrdering`); a
   * failed publish then holds its key until `resumePublishing(key)`.
   */
  readonly messageOrdering?: boolean;
}

export interface LazyTopic {
  /** The topic, with its client created on the first call. */
  get(): Topic;
  /** Closes the client's channels, if one was created; pending publishes fail. */
  close(): Promise<void>;
}

/** The gRPC status code of a client error (3 INVALID_ARGUMENT, 5 NOT_FOUND, ...), if it has one. */
export const grpcCode = (e: unknown): number | undefined =>
  typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined;

export function lazyTopic(options: TopicOptions): LazyTopic {
  let client: PubSub | null = null;
  let topic: Topic | null = null;
  return {
    get() {
      if (topic === null) {
        client = new PubSub({
          ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
          ...(options.emulatorHost === undefined
            ? {}
            : { apiEndpoint: options.emulatorHost, emulatorMode: true }),
        });
        topic = client.topic(options.topic, {
          gaxOpts: { timeout: options.timeoutMs },
          batching: { maxMessages: options.batchMessages, maxMilliseconds: 0 },
          ...(options.messageOrdering === true ? { messageOrdering: true } : {}),
        });
      }
      return topic;
    },
    async close() {
      const c = client;
      client = null;
      topic = null;
      await c?.close();
    },
  };
}

/** What one publish sends: the bytes and the attributes, exactly. */
export interface OutgoingMessage {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Publishes `message` on `topic` and resolves with its messageId once Pub/Sub confirmed it, or
 * rejects within `timeoutMs`: the topic's gax `{timeout}` caps the client's retries, and the wait
 * is raced against a deadline of the same length, which also covers client set-up and
 * credentials. A publish that timed out may still land: callers are at least once.
 */
export async function publishConfirmed(
  topic: LazyTopic,
  message: OutgoingMessage,
  timeoutMs: number,
  what: { readonly message: string; readonly topic: string },
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${what.message} not confirmed by ${what.topic} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      (async () =>
        topic
          .get()
          .publishMessage({ data: message.data, attributes: { ...message.attributes } }))(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One line for a failed Pub/Sub call: its gRPC status and gax's message without the list of
 * every retry's error that gax appends.
 */
export function describeFailure(cause: unknown): string {
  const code = grpcCode(cause);
  const text = cause instanceof Error ? cause.message : String(cause);
  const first = text.split(' : Previous errors')[0] ?? text;
  const short = first.length > 300 ? `${first.slice(0, 300)}…` : first;
  return code === undefined ? short : `gRPC status ${code}: ${short}`;
}
