/**
 * Reads a pull subscription without consuming it, with the real @google-cloud/pubsub unary
 * Subscriber API: the messages pulled are held (their leases kept) until the caller acknowledges
 * some and releases the rest, which sets their ack deadline to 0 so they are deliverable again at
 * once. Holding every lease until the end is what lets a pull loop see each message once: a
 * message released mid-loop would be pulled again by the next pull.
 *
 * Bounded: at most `limit` distinct messages; every call carries the gax `{timeout}`, which caps
 * its retries; pulling stops at the first pull that brings nothing within `pullWaitMs` (an
 * emulator answers an empty pull after about a second, Pub/Sub may hold it longer) or once
 * `timeoutMs` has passed. The subscription is described first, which says that it exists and
 * that Pub/Sub answers, so a pull that then runs out its time means "nothing more", not
 * "unreachable"; it also gives the ack deadline that `keep` renews leases to.
 *
 * A message that Pub/Sub redelivers while the loop runs (its lease ran out) is held once, with
 * every ack id it came with. A pull that delivered but whose answer was lost (a timeout at the
 * wrong moment) leaves its messages leased to nobody until their ack deadline passes.
 */
import { PubSub, v1 } from '@google-cloud/pubsub';
import { describeFailure, grpcCode } from './client.js';
import { DeadLetterError, DLQ_ERR_ACK_FAILED, DLQ_ERR_PULL_FAILED } from './replay-errors.js';

/** What is used of the real `v1.SubscriberClient`. */
export type SubscriberApi = Pick<
  v1.SubscriberClient,
  'getSubscription' | 'pull' | 'acknowledge' | 'modifyAckDeadline' | 'close'
>;

/** The unary Subscriber API of the emulator (`emulatorHost`) or of Google, for `projectId`. */
export async function openSubscriber(options: {
  readonly projectId: string;
  readonly emulatorHost?: string | undefined;
}): Promise<SubscriberApi> {
  const client = new PubSub({
    projectId: options.projectId,
    ...(options.emulatorHost === undefined
      ? {}
      : { apiEndpoint: options.emulatorHost, emulatorMode: true }),
  });
  // The client only fills in endpoints, TLS and the project; no channel is opened by it.
  const config = await client.getClientConfig();
  return new v1.SubscriberClient({
    ...config,
    ...(config.port === undefined ? {} : { port: Number(config.port) }),
  } as ConstructorParameters<typeof v1.SubscriberClient>[0]);
}

export interface PulledMessage {
  readonly messageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms; null when Pub/Sub gave none. */
  readonly publishTime: number | null;
}

export interface HeldMessages {
  /** The subscription's full name. */
  readonly subscription: string;
  /** Distinct by messageId, oldest published first. */
  readonly messages: readonly PulledMessage[];
  /** Acknowledges every delivery of `messageId` held: it leaves the subscription. */
  ack(messageId: string): Promise<void>;
  /** Renews the leases still held once half the ack deadline has passed since the last renewal. */
  keep(): Promise<void>;
  /** Gives back every message not acknowledged (ack deadline 0); they stay on the subscription. */
  release(): Promise<void>;
}

export interface PullOptions {
  /** The most distinct messages held, 1–1000. */
  readonly limit: number;
  /** The longest the whole pulling, and each call, may take. */
  readonly timeoutMs: number;
  /** How long one pull may wait for messages before pulling stops; default 2000. */
  readonly pullWaitMs?: number;
  /** Monotonic ms; default `performance.now`. */
  readonly now?: () => number;
}

export const DEFAULT_PULL_WAIT_MS = 2000;
/** Pub/Sub's most messages in one pull, and the most ack ids sent in one request here. */
const MAX_BATCH = 1000;
const DEADLINE_EXCEEDED = 4;

function pullFailed(call: string, subscription: string, cause: unknown): DeadLetterError {
  return new DeadLetterError(
    DLQ_ERR_PULL_FAILED,
    502,
    `${call} ${subscription} failed: ${describeFailure(cause)}`,
    { cause },
  );
}

/** Epoch ms of a protobuf Timestamp as the client returns it (seconds a string, number or Long). */
function timestampMs(t: unknown): number | null {
  if (t === null || t === undefined || typeof t !== 'object') return null;
  const { seconds, nanos } = t as { seconds?: unknown; nanos?: unknown };
  const ms = Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? ms : null;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) out.push(items.slice(i, i + MAX_BATCH));
  return out;
}

/** Pulls up to `limit` messages of `subscription` (a full name) and holds them. */
export async function pullHeld(
  api: SubscriberApi,
  subscription: string,
  options: PullOptions,
): Promise<HeldMessages> {
  const now = options.now ?? (() => performance.now());
  const gax = { timeout: options.timeoutMs };
  const pullWaitMs = options.pullWaitMs ?? DEFAULT_PULL_WAIT_MS;

  let ackDeadlineSeconds: number;
  try {
    const [described] = await api.getSubscription({ subscription }, gax);
    ackDeadlineSeconds = Number(described.ackDeadlineSeconds ?? 10) || 10;
  } catch (cause) {
    throw pullFailed('describing', subscription, cause);
  }

  const held = new Map<string, { message: PulledMessage; ackIds: string[] }>();
  let renewedAt = now();
  const release = async (): Promise<void> => {
    const ackIds = [...held.values()].flatMap((h) => h.ackIds);
    held.clear();
    try {
      for (const batch of chunks(ackIds)) {
        await api.modifyAckDeadline({ subscription, ackIds: batch, ackDeadlineSeconds: 0 }, gax);
      }
    } catch (cause) {
      throw new DeadLetterError(
        DLQ_ERR_PULL_FAILED,
        502,
        `releasing ${ackIds.length} messages of ${subscription} failed, so they come back only after their ack deadline (${ackDeadlineSeconds} s): ${describeFailure(cause)}`,
        { cause },
      );
    }
  };

  const end = now() + options.timeoutMs;
  try {
    while (held.size < options.limit) {
      const left = end - now();
      if (left <= 0) break;
      let received: ReceivedMessage[];
      try {
        const [response] = await api.pull(
          { subscription, maxMessages: Math.min(options.limit - held.size, MAX_BATCH) },
          { timeout: Math.max(1, Math.min(left, pullWaitMs)) },
        );
        received = (response.receivedMessages ?? []) as ReceivedMessage[];
      } catch (cause) {
        // The subscription answered a moment ago: a pull that ran out its wait found nothing.
        if (grpcCode(cause) === DEADLINE_EXCEEDED) break;
        throw pullFailed('pulling', subscription, cause);
      }
      if (received.length === 0) break;
      for (const r of received) {
        const m = r.message ?? {};
        const messageId = String(m.messageId ?? '');
        const ackId = String(r.ackId ?? '');
        const known = held.get(messageId);
        if (known !== undefined) {
          known.ackIds.push(ackId);
          continue;
        }
        held.set(messageId, {
          ackIds: [ackId],
          message: {
            messageId,
            data:
              typeof m.data === 'string'
                ? Buffer.from(m.data, 'base64')
                : Buffer.from(m.data ?? []),
            attributes: { ...(m.attributes ?? {}) },
            publishTime: timestampMs(m.publishTime),
          },
        });
      }
    }
  } catch (e) {
    await release().catch(() => {});
    throw e;
  }

  const messages = [...held.values()]
    .map((h) => h.message)
    .sort(
      (a, b) =>
        (a.publishTime ?? 0) - (b.publishTime ?? 0) || a.messageId.localeCompare(b.messageId),
    );

  return {
    subscription,
    messages,
    async ack(messageId) {
      const entry = held.get(messageId);
      if (entry === undefined) return;
      try {
        await api.acknowledge({ subscription, ackIds: entry.ackIds }, gax);
      } catch (cause) {
        throw new DeadLetterError(
          DLQ_ERR_ACK_FAILED,
          502,
          `acknowledging ${messageId} on ${subscription} failed, so it stays there: ${describeFailure(cause)}`,
          { cause },
        );
      }
      held.delete(messageId);
    },
    async keep() {
      if (held.size === 0 || now() - renewedAt < (ackDeadlineSeconds * 1000) / 2) return;
      const ackIds = [...held.values()].flatMap((h) => h.ackIds);
      try {
        for (const batch of chunks(ackIds)) {
          await api.modifyAckDeadline({ subscription, ackIds: batch, ackDeadlineSeconds }, gax);
        }
      } catch (cause) {
        throw pullFailed('renewing the leases of', subscription, cause);
      }
      renewedAt = now();
    },
    release,
  };
}

/** A received message as the unary pull returns it. */
interface ReceivedMessage {
  readonly ackId?: string | null;
  readonly message?: {
    readonly messageId?: string | null;
    readonly data?: Uint8Array | string | null;
    readonly attributes?: Record<string, string> | null;
    readonly publishTime?: unknown;
  } | null;
}
