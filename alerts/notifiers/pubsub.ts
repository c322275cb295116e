/**
 * The pubsub notifier: publishes a group notification to the `alerts` topic with the real
 * @google-cloud/pubsub client, one `runwatch.alert.v1` message per alert (alert-message.ts), all
 * under the group's ordering key with `messageOrdering` on, so a subscription with message
 * ordering receives a group's messages in the order they were published.
 *
 * `send` publishes every message of the notification, then waits for Pub/Sub to confirm them all,
 * raced against the delivery's `deadlineMs` (and its `signal`), as the sweep's findings publisher
 * does: the gax call option `{timeout}` (`timeoutMs`) caps the client's own retries of one
 * request, and the race also covers client set-up and credentials. Anything unconfirmed is a
 * NotifyError NOTIFY_ERR_PUBLISH: retryable, except a refusal with gRPC INVALID_ARGUMENT (the
 * topic's schema refused the message), which no retry can change. On every failure the key is
 * resumed (`resumePublishing`), also when a request still in flight at the deadline fails later,
 * so the key's next publish is not refused for an old failure.
 *
 * Delivery is at least once: a retried notification may publish again what a partial publish
 * already delivered; consumers dedupe on `notificationId` and `fingerprint`. A request still in
 * flight at the deadline holds back later messages of its key until it settles (at most
 * `timeoutMs`), which is why `timeoutMs` should not exceed the delivery's deadline.
 */
import type { GroupNotification, Notifier } from '../engine/types.js';
import { grpcCode, lazyTopic } from '../pubsub/client.js';
import { alertMessages } from './alert-message.js';
import { NOTIFY_ERR_PUBLISH, NotifyError } from './errors.js';

export interface PubSubNotifierOptions {
  /** A topic id, or its full name `projects/P/topics/T`. */
  readonly topic: string;
  /** Unset: the client library detects the project (metadata server, credentials). */
  readonly projectId?: string | undefined;
  /** host:port of an emulator, spoken to in plaintext. */
  readonly emulatorHost?: string | undefined;
  /** The longest one publish request may take, its retries included, ms. */
  readonly timeoutMs: number;
}

export interface PubSubNotifier extends Notifier {
  /** Closes the client's channels; pending publishes fail. */
  close(): Promise<void>;
}

const INVALID_ARGUMENT = 3;

function detailOf(e: unknown): string {
  const code = grpcCode(e);
  const text =
    (e as { details?: unknown })?.details ?? (e instanceof Error ? e.message : String(e));
  return `${String(text)}${code === undefined ? '' : ` (gRPC status ${code})`}`;
}

type Outcome = { ok: true } | { ok: false; error: unknown };

export function createPubSubNotifier(options: PubSubNotifierOptions): PubSubNotifier {
  // A notification's messages go out together in one request as soon as they are queued.
  const topic = lazyTopic({ ...options, batchMessages: 1000, messageOrdering: true });

  const resume = (key: string): void => {
    try {
      topic.get().resumePublishing(key);
    } catch {
      // No client (closed, or it could not be made): nothing holds the key.
    }
  };

  return {
    type: 'pubsub',
    async send(notification: GroupNotification, { deadlineMs, signal }) {
      const messages = alertMessages(notification);
      const first = messages[0];
      if (first === undefined) return;
      const key = first.orderingKey;
      const what = `notification ${notification.id} (${messages.length} alert message(s) of group ${notification.groupKey})`;
      const stop = AbortSignal.any([
        AbortSignal.timeout(deadlineMs),
        ...(signal === undefined ? [] : [signal]),
      ]);
      let onStop: () => void = () => {};
      const stopped = new Promise<'stopped'>((resolve) => {
        onStop = () => resolve('stopped');
        if (stop.aborted) resolve('stopped');
        else stop.addEventListener('abort', onStop, { once: true });
      });
      // Not a sparse array: a message without an answer must count as unconfirmed.
      const outcomes: (Outcome | undefined)[] = messages.map(() => undefined);
      const sends = messages.map(async (message, i) => {
        try {
          await topic.get().publishMessage(message);
          outcomes[i] = { ok: true };
        } catch (error) {
          outcomes[i] = { ok: false, error };
          resume(key);
        }
      });
      try {
        await Promise.race([Promise.all(sends), stopped]);
      } finally {
        stop.removeEventListener('abort', onStop);
      }
      const refusals = outcomes.filter((o): o is { ok: false; error: unknown } => o?.ok === false);
      const refused = refusals.find((o) => grpcCode(o.error) === INVALID_ARGUMENT) ?? refusals[0];
      const unconfirmed = outcomes.filter((o) => o?.ok !== true).length;
      if (unconfirmed === 0) return;
      resume(key);
      if (refused === undefined) {
        const why = signal?.aborted
          ? 'the delivery was stopped'
          : `no confirmation within the deadline of ${deadlineMs} ms`;
        throw new NotifyError(
          NOTIFY_ERR_PUBLISH,
          `${what}: ${unconfirmed} not confirmed by topic ${options.topic} (${why})`,
          { retryable: true },
        );
      }
      const retryable = grpcCode(refused.error) !== INVALID_ARGUMENT;
      throw new NotifyError(
        NOTIFY_ERR_PUBLISH,
        `${what}: ${unconfirmed} not published to topic ${options.topic}: ${detailOf(refused.error)}${retryable ? '' : '; the topic refused the message (its schema?), so it is not retried'}`,
        { retryable, cause: refused.error },
      );
    },
    close: () => topic.close(),
  };
}
