/**
 * The sweep a Pub/Sub CloudEvent asks for: Cloud Scheduler's Pub/Sub target publishes one
 * message per run, Eventarc delivers it as a `google.cloud.pubsub.topic.v1.messagePublished`
 * CloudEvent (gcp-formats.md §1.1, §8), and the Functions Framework hands whatever arrived to
 * the handler, garbage included (§2; a POST without `ce-*` headers has no type or id). Anything
 * unusable is a `SweepEventError`, which the handler acknowledges instead of retrying.
 *
 * Read from the event: `message.messageId` (or `message_id`, else the CloudEvent id),
 * `message.publishTime` (or `publish_time`, else the CloudEvent time), the `sweep` attribute,
 * and `data` only as far as this: it must be base64 (Pub/Sub always encodes it so; anything else
 * is not a Pub/Sub delivery), and when it decodes to a JSON object with a string `sweep`, that
 * names the sweep if the attribute does not. Other data, such as a Scheduler job's free-text
 * body, is allowed and ignored.
 *
 * The sweep id is `pubsub:<sweep>@<publishTime to the minute, ISO>#<messageId>`, e.g.
 * `pubsub:infer@2024-05-01T12:00:00.000Z#11937951452598386`, and the sweep time is publishTime
 * to the millisecond. Why this makes exactly the right things duplicates:
 * - Pub/Sub redelivers (after a nack, a timeout or at-least-once) the same message: the same
 *   messageId and publishTime, hence the same id, and `runSweep` answers the stored summary
 *   without probing or writing again.
 * - Two publishes are two messageIds, hence two sweeps, even within one minute (a Scheduler
 *   double fire, or a manual `gcloud pubsub topics publish`). They are real, distinct sweeps;
 *   because each is stamped with its own publishTime to the millisecond, their samples never
 *   share a timestamp, so the second cannot overwrite the first's counter deltas (samples are
 *   upserted by target, metric, instance and time).
 * - The sweep name and the minute only make ids readable and sortable by schedule: they are
 *   functions of the message, so they never split one message into two sweeps.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { describeValue } from '../../lib/errors.js';
import { SweepEventError } from './errors.js';

export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
/** The sweep name when neither the attribute nor the data names one. */
export const DEFAULT_SWEEP_NAME = 'default';
const SWEEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface SweepEvent {
  readonly sweepId: string;
  readonly ts: number;
  readonly messageId: string;
  readonly sweep: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(field: string, value: unknown, expected: string): never {
  throw new SweepEventError(
    `field ${field} is ${describeValue(value)}; expected ${expected}`,
    field,
  );
}

function sweepNameFromData(data: unknown): string | undefined {
  if (data === undefined || data === null || data === '') return undefined;
  if (typeof data !== 'string' || !BASE64.test(data)) {
    bad('data.message.data', data, 'base64 text (Pub/Sub message data)');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return undefined; // free text, e.g. a Scheduler job's message body: allowed, unused
  }
  if (!isObject(decoded) || decoded.sweep === undefined) return undefined;
  if (typeof decoded.sweep !== 'string' || !SWEEP_NAME.test(decoded.sweep)) {
    bad('data.message.data.sweep', decoded.sweep, `a sweep name matching ${SWEEP_NAME}`);
  }
  return decoded.sweep;
}

export function parseSweepEvent(event: CloudEvent<unknown>): SweepEvent {
  if (event.type !== MESSAGE_PUBLISHED) bad('type', event.type, JSON.stringify(MESSAGE_PUBLISHED));
  if (typeof event.id !== 'string' || event.id === '') {
    bad('id', event.id, 'a non-empty CloudEvent id (ce-id)');
  }
  const data = event.data;
  if (!isObject(data)) bad('data', data, 'a MessagePublishedData object {message, subscription}');
  const message = data.message;
  if (!isObject(message)) bad('data.message', message, 'a Pub/Sub message object');

  const messageId = message.messageId ?? message.message_id ?? event.id;
  if (typeof messageId !== 'string' || messageId === '') {
    bad('data.message.messageId', messageId, 'a non-empty Pub/Sub message id');
  }
  const publishTime = message.publishTime ?? message.publish_time ?? event.time;
  const ts = typeof publishTime === 'string' ? Date.parse(publishTime) : Number.NaN;
  if (Number.isNaN(ts)) {
    bad(
      'data.message.publishTime',
      publishTime,
      'an RFC 3339 time such as 2024-05-01T12:00:00.123Z',
    );
  }

  const attributes = message.attributes ?? {};
  if (!isObject(attributes)) bad('data.message.attributes', attributes, 'an object of strings');
  const attribute = attributes.sweep;
  if (attribute !== undefined && (typeof attribute !== 'string' || !SWEEP_NAME.test(attribute))) {
    bad('data.message.attributes.sweep', attribute, `a sweep name matching ${SWEEP_NAME}`);
  }
  const fromData = sweepNameFromData(message.data);
  const sweep = (attribute as string | undefined) ?? fromData ?? DEFAULT_SWEEP_NAME;

  const minute = new Date(Math.floor(ts / 60_000) * 60_000).toISOString();
  return { sweepId: `pubsub:${sweep}@${minute}#${messageId}`, ts, messageId, sweep };
}
