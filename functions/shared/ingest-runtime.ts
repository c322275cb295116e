/**
 * One alertIngest instance's state: configuration, logger, and (opened on first use) the store,
 * the dead-letter publisher and the intake (alerts/ingest/intake.ts). `handle` decodes one
 * CloudEvent and passes it through intake: it resolves when the delivery may be acknowledged and
 * rejects when it must be retried.
 *
 * An event that never becomes a Pub/Sub message (envelope poison) is kept under its messageId
 * when the poison error knows it, else under `sha256:<hash of the event's JSON>`, so a
 * redelivery of the same bytes is recognised; its data is the event as received, as JSON (or,
 * nested too deep for JSON, rendered to 64 levels).
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeEnvelope } from '../../alerts/ingest/envelope.js';
import { IngestPoisonError } from '../../alerts/ingest/errors.js';
import type { IntakeResult, OriginalMessage } from '../../alerts/ingest/intake.js';
import {
  createDeadLetterPublisher,
  type DeadLetterSender,
} from '../../alerts/pubsub/dead-letter.js';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import { openStores, type Stores } from '../../alerts/store/open.js';
import type { Logger } from '../../lib/logger.js';
import { type AlertPipeline, buildAlertPipeline } from './alert-pipeline.js';
import type { FunctionsConfig } from './config.js';
import { functionSettings, lazyContext } from './function-settings.js';

/**
 * The most bytes of an undecodable event kept as its dead letter: what fits one Pub/Sub message
 * (10 MB, 10,000,000 bytes, attributes included) beside the most its attributes can take (100 of
 * 256 + 1024 bytes). An event that never became a message can be larger than its message was:
 * its data is base64, so a Pub/Sub message of 7.5 MB is an event of 10 MB.
 */
const MAX_ORIGINAL_BYTES = 10_000_000 - 100 * (256 + 1024);
/** How deep an event too nested for JSON is rendered for its dead letter. */
const MAX_ORIGINAL_DEPTH = 64;

export interface IngestRuntimeOptions {
  /** The environment to configure from; default `process.env` (read in config.ts). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: a Cloud Logging JSON logger at LOG_LEVEL. */
  readonly log?: Logger;
  /** Wall clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

export interface IngestRuntime {
  /** Throws `ConfigError` (again on every call) while the configuration is invalid. */
  settings(): { readonly config: FunctionsConfig; readonly log: Logger };
  /** A logger that works even when the configuration does not. */
  log(): Logger;
  handle(event: unknown): Promise<IntakeResult>;
  close(): Promise<void>;
}

interface IngestContext {
  readonly stores: Stores;
  readonly pipeline: AlertPipeline;
  readonly deadLetter: DeadLetterSender | null;
}

/** A string map, or nothing: what an undecodable event's attributes can be kept as. */
function attributesOf(event: unknown): Record<string, string> {
  const message = (event as { data?: { message?: unknown }; message?: unknown } | null) ?? {};
  const candidate = ((message.data as { message?: unknown } | undefined)?.message ??
    message.message) as { attributes?: unknown } | undefined;
  const attributes = candidate?.attributes;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) return {};
  const entries = Object.entries(attributes as Record<string, unknown>);
  if (entries.length > 100 || !entries.every(([, v]) => typeof v === 'string')) return {};
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The event as received, for the dead-letter topic, when it never became a message. */
export function originalOf(event: unknown, error: IngestPoisonError, now: number): OriginalMessage {
  let text: string;
  try {
    text = JSON.stringify(event) ?? String(event);
  } catch {
    // Nested past what JSON.stringify can walk (the Functions Framework parses far deeper
    // bodies): a rendering bounded in depth, which still tells two such events apart. String()
    // would give every object the same "[object Object]", and overflow the stack on deep arrays.
    text = inspect(event, {
      depth: MAX_ORIGINAL_DEPTH,
      maxArrayLength: null,
      maxStringLength: null,
      breakLength: Number.POSITIVE_INFINITY,
    });
  }
  const bytes = Buffer.from(text, 'utf8');
  const data = bytes.length > MAX_ORIGINAL_BYTES ? bytes.subarray(0, MAX_ORIGINAL_BYTES) : bytes;
  const messageId = error.messageId ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { messageId, data, attributes: attributesOf(event), publishTime: now };
}

export function createIngestRuntime(
  functionName: string,
  options: IngestRuntimeOptions = {},
): IngestRuntime {
  const now = options.now ?? Date.now;

  const source = functionSettings(functionName, options, 'ingest');
  const loadSettings = source.settings;

  const context = lazyContext(async (): Promise<IngestContext> => {
    const { config, log } = loadSettings();
    const stores = await openStores(config.storeUrl, { platform: config.platform });
    const deadLetter = config.pubsub
      ? createDeadLetterPublisher({
          topic: TOPICS.ingestDeadLetter,
          projectId: config.projectId,
          emulatorHost: config.pubsubEmulatorHost,
          timeoutMs: config.ingest.publishTimeoutMs,
        })
      : null;
    try {
      const pipeline = buildAlertPipeline({
        stores,
        config,
        log,
        now,
        deadLetter,
        env: options.env,
      });
      return { stores, pipeline, deadLetter };
    } catch (e) {
      await deadLetter?.close();
      await stores.close();
      throw e;
    }
  });

  return {
    settings: loadSettings,
    log: source.log,
    async handle(event) {
      const { config } = loadSettings();
      const { intake } = (await context.get()).pipeline;
      try {
        return await intake.accept(
          decodeEnvelope(event, { maxDataBytes: config.ingest.maxDataBytes }),
        );
      } catch (e) {
        // Poison from the envelope itself; intake.accept catches the payload's own.
        if (!(e instanceof IngestPoisonError)) throw e;
        return intake.reject(e, originalOf(event, e, now()));
      }
    },
    async close() {
      const ctx = await context.take();
      await ctx?.pipeline.close();
      await ctx?.deadLetter?.close();
      await ctx?.stores.close();
    },
  };
}
