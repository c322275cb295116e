/**
 * alertIngest end to end, for the tests in test/functions/alert-ingest*: the real function
 * (`createAlertIngest`) registered under a name of its own and served by the real Functions
 * Framework on 127.0.0.1, logging into a sink; and, for deliveries through Pub/Sub, a project of
 * the file's real emulator holding the topology (ensurePubSub), whose push subscription delivers
 * to the Eventarc relay, which posts each push to the function as Eventarc's CloudEvent.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { ensurePubSub } from '../../alerts/pubsub/ensure.js';
import {
  parseTopology,
  TOPICS,
  TOPOLOGY,
  TOPOLOGY_FILE,
  type Topology,
  topicPath,
} from '../../alerts/pubsub/topology.js';
import { openStores, type Stores } from '../../alerts/store/open.js';
import { type AlertIngestHandler, createAlertIngest } from '../../functions/alert-ingest.js';
import { type EventarcRelay, startEventarcRelay } from '../../stack/eventarc-relay.js';
import type { PubSubEmulator } from '../../stack/pubsub-emulator.js';
import { serveFunction } from './ff-server.js';
import { type Sink, sinkLogger } from './log-sink.js';
import { emulatorClient, freshProject, needsPubSubEmulator } from './pubsub-emulator.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms until it holds or `ms` have passed; says whether it held. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

/** A new SQLite store file under the temporary directory. */
export function sqliteStoreUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'runwatch-ingest-e2e-')), 'store.db')}`;
}

export interface IngestFunction {
  /** `http://127.0.0.1:N/`. */
  readonly url: string;
  readonly handler: AlertIngestHandler;
  /** What the function logged. */
  readonly sink: Sink;
  /** The sink's lines with this `event`. */
  lines(event: string): Record<string, unknown>[];
  close(): Promise<void>;
}

let registered = 0;

/** alertIngest configured from `env` alone, behind the real Functions Framework server. */
export async function serveAlertIngest(
  env: Readonly<Record<string, string>>,
): Promise<IngestFunction> {
  const sink = sinkLogger('debug');
  const handler = createAlertIngest({ env, log: sink.log });
  registered += 1;
  const name = `alertIngestE2e${registered}`;
  ff.cloudEvent(name, handler);
  const server = await serveFunction(name);
  return {
    url: server.url,
    handler,
    sink,
    lines: (event) => sink.lines.filter((l) => l.event === event),
    close: async () => {
      await server.close();
      await handler.close();
    },
  };
}

/** The committed topology with the push subscription's retries, dead-lettering and ordering changed. */
export function topologyVariant(options: {
  readonly backoffSeconds?: number;
  readonly maxDeliveryAttempts?: number;
  readonly ordering?: boolean;
}): Topology {
  const doc = parse(readFileSync(TOPOLOGY_FILE, 'utf8'));
  const push = doc.subscriptions.ingestPush;
  if (options.backoffSeconds !== undefined) {
    push.retryPolicy = {
      minimumBackoff: `${options.backoffSeconds}s`,
      maximumBackoff: `${options.backoffSeconds}s`,
    };
  }
  if (options.maxDeliveryAttempts !== undefined) {
    push.deadLetterPolicy = { maxDeliveryAttempts: options.maxDeliveryAttempts };
  }
  if (options.ordering !== undefined) push.enableMessageOrdering = options.ordering;
  return parseTopology(stringify(doc), 'test-variant.yaml');
}

export interface Received {
  readonly id: string;
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

export interface Collector {
  readonly messages: Received[];
  close(): Promise<void>;
}

/** Streams `subscription`, acking and keeping every message. */
export function collect(subscription: Subscription): Collector {
  const messages: Received[] = [];
  subscription.on('message', (m: Message) => {
    messages.push({ id: m.id, data: m.data, attributes: { ...m.attributes } });
    m.ack();
  });
  subscription.on('error', () => {});
  return { messages, close: () => subscription.close() };
}

/** The function's environment with Pub/Sub on against `emulator`, for `projectId`. */
export function pubsubEnv(
  emulator: PubSubEmulator,
  projectId: string,
  storeUrl: string,
): Record<string, string> {
  return {
    STORE_URL: storeUrl,
    ALERTS_PUBSUB: 'on',
    PUBSUB_EMULATOR_HOST: emulator.host,
    GOOGLE_CLOUD_PROJECT: projectId,
  };
}

export interface PushRig {
  readonly emulator: PubSubEmulator;
  readonly projectId: string;
  /** The real client, for this project. */
  readonly client: PubSub;
  readonly relay: EventarcRelay;
  /** What the relay logged (`relay.forwarded`, `relay.forward_failed`). */
  readonly relaySink: Sink;
  readonly fn: IngestFunction;
  readonly storeUrl: string;
  /** `projects/P/topics/alert-ingest`. */
  readonly topic: string;
  /** The relay's lines with this `event`, for `messageId` when given. */
  relayLines(event: string, messageId?: string): Record<string, unknown>[];
  /** The store the function writes, opened beside it. */
  stores(): Promise<Stores>;
}

/**
 * A fresh project holding `topology` (default: the committed one), its push subscription
 * delivering through the Eventarc relay to alertIngest (Pub/Sub on, `storeUrl`, `env` added);
 * everything torn down after `fn`. Returns without calling `fn` when the test has no emulator
 * (then it has been skipped or failed).
 */
export async function withPushRig(
  t: ExecutionContext,
  options: {
    readonly topology?: Topology;
    readonly storeUrl?: string;
    readonly env?: Readonly<Record<string, string>>;
  },
  fn: (rig: PushRig) => Promise<void>,
): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('ingest');
  const client = emulatorClient(emulator, projectId);
  const storeUrl = options.storeUrl ?? sqliteStoreUrl();
  const ingest = await serveAlertIngest({
    ...pubsubEnv(emulator, projectId, storeUrl),
    ...options.env,
  });
  const relaySink = sinkLogger('debug');
  const topic = topicPath(projectId, TOPICS.ingest);
  const relay = await startEventarcRelay({
    routes: [{ path: '/alert-ingest', topic, target: ingest.url }],
    log: relaySink.log,
  });
  const opened: Stores[] = [];
  try {
    await ensurePubSub(client, options.topology ?? TOPOLOGY, {
      projectId,
      endpoints: { alertIngest: { url: relay.endpoint('/alert-ingest') } },
    });
    await fn({
      emulator,
      projectId,
      client,
      relay,
      relaySink,
      fn: ingest,
      storeUrl,
      topic,
      relayLines: (event, messageId) =>
        relaySink.lines.filter(
          (l) => l.event === event && (messageId === undefined || l.messageId === messageId),
        ),
      stores: async () => {
        const stores = await openStores(storeUrl, {
          platform: 'local',
          pool: { max: 2, idleTimeoutMs: 200 },
        });
        opened.push(stores);
        return stores;
      },
    });
  } finally {
    await relay.close();
    await ingest.close();
    for (const s of opened) await s.close();
    await client.close();
  }
}
