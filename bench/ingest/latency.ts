/**
 * The ingest bench's latency phase: publish → handled through the real Pub/Sub emulator, as the
 * local stack and production carry a message.
 *
 *   real client ──publish──▶ emulator (topology by ensurePubSub) ──push: alert-ingest-push──▶
 *   Eventarc relay (this process) ──binary CloudEvent──▶ alertIngest (core 0, ALERTS_PUBSUB=on)
 *
 * Per round: a fresh project in the emulator, a fresh alertIngest process and store, the relay in
 * front of it; `warmup` messages first (the store opens and migrates on the first), then
 * `messages` new messages (messages.ts) published one at a time, open loop at `rate` a second
 * with the client the sweep uses (batching off: each message is sent as it is published).
 *
 * Two instants per message, both on this process's clock, from just before `publishMessage`:
 * - **handled**: the relay's `relay.forwarded` line, written when alertIngest has answered the
 *   relay with a 2xx, that is after it stored the message, handed the alert off and marked the
 *   hand-off done; the relay then acks the push to the emulator. This is the figure reported.
 * - **hand-off line**: alertIngest's `alert.notification` line (LOG_LEVEL=info) read from its
 *   stdout, matched by dedupe key: the hand-off itself, before its completion is stored.
 * And the relay's own `durationMs` of each forward (whole ms): alertIngest's share, from the
 * relay posting the CloudEvent to its answer.
 */
import { createInterface } from 'node:readline';
import { PubSub } from '@google-cloud/pubsub';
import { normalise } from '../../alerts/ingest/normalise.js';
import { ensurePubSub } from '../../alerts/pubsub/ensure.js';
import { TOPICS, TOPOLOGY, topicPath } from '../../alerts/pubsub/topology.js';
import { createLogger } from '../../lib/logger.js';
import { FUNCTIONS_SOURCE } from '../../stack/children.js';
import { startEventarcRelay } from '../../stack/eventarc-relay.js';
import type { PubSubEmulator } from '../../stack/pubsub-emulator.js';
import type { Metrics } from '../lib/harness.js';
import { freePort } from '../lib/server-process.js';
import { quantile, round1 } from '../overload/stats.js';
import { spawnFunction, stopFunction, waitForListening } from './function-process.js';
import { benchPublication } from './messages.js';

const RELAY_PATH = '/alert-ingest';
/** How long a round waits for its last messages to be handled. */
const DRAIN_MS = 15_000;

export interface LatencyRoundOptions {
  readonly emulator: PubSubEmulator;
  readonly storeUrl: string;
  readonly messages: number;
  readonly warmup: number;
  readonly rate: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One round; `run` (letters, digits, dashes) names its project and its messages. */
export async function latencyRound(run: string, options: LatencyRoundOptions): Promise<Metrics> {
  const projectId = `bench-${run}`;
  const forwarded = new Map<string, number>();
  const forwardMs = new Map<string, number>();
  const handedOff = new Map<string, number>();
  let relayFailures = 0;
  let redeliveries = 0;
  const relayLog = createLogger({
    level: 'info',
    destination: {
      write(line: string) {
        const at = performance.now();
        const entry = JSON.parse(line) as {
          event?: string;
          messageId?: string;
          durationMs?: number;
        };
        if (entry.event === 'relay.forwarded' && entry.messageId !== undefined) {
          // A second forward of a message is a redelivery; its first one is the handled time.
          if (forwarded.has(entry.messageId)) {
            redeliveries++;
            return;
          }
          forwarded.set(entry.messageId, at);
          forwardMs.set(entry.messageId, entry.durationMs ?? Number.NaN);
        } else if (entry.event === 'relay.forward_failed') {
          relayFailures++;
        }
      },
    },
  });

  const fn = spawnFunction({
    source: FUNCTIONS_SOURCE,
    target: 'alertIngest',
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      STORE_URL: options.storeUrl,
      ALERTS_PUBSUB: 'on',
      PUBSUB_EMULATOR_HOST: options.emulator.host,
      GOOGLE_CLOUD_PROJECT: projectId,
      METADATA_SERVER_DETECTION: 'none',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
    },
    port: await freePort(),
    stdout: 'pipe',
  });
  const lines = createInterface({ input: fn.child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    const at = performance.now();
    if (!line.includes('"alert.notification"')) return;
    const { dedupeKey } = JSON.parse(line) as { dedupeKey?: string };
    if (dedupeKey !== undefined) handedOff.set(dedupeKey, at);
  });

  const relay = await startEventarcRelay({
    routes: [{ path: RELAY_PATH, topic: topicPath(projectId, TOPICS.ingest), target: fn.url }],
    log: relayLog,
  });
  const client = new PubSub({ projectId, apiEndpoint: options.emulator.host, emulatorMode: true });
  try {
    await waitForListening(fn);
    await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: { alertIngest: { url: relay.endpoint(RELAY_PATH) } },
    });
    // As the sweep publishes: each message is sent as soon as it is queued.
    const topic = client.topic(TOPICS.ingest, {
      batching: { maxMessages: 1000, maxMilliseconds: 0 },
    });
    const published = new Map<string, { at: number; acked: number; dedupeKey: string }>();
    const publishOne = async (i: number): Promise<string> => {
      const { data, attributes } = benchPublication(run, i, Date.now());
      const { dedupeKey } = normalise({ messageId: 'bench', data, attributes, publishTime: 0 });
      const at = performance.now();
      const messageId = await topic.publishMessage({ data, attributes });
      published.set(messageId, { at, acked: performance.now(), dedupeKey });
      return messageId;
    };
    const handled = async (ids: readonly string[]) => {
      const end = performance.now() + DRAIN_MS;
      while (performance.now() < end && ids.some((id) => !forwarded.has(id))) await sleep(20);
    };

    const warm = await Promise.all(Array.from({ length: options.warmup }, (_, i) => publishOne(i)));
    await handled(warm);
    for (const id of warm) published.delete(id);

    const gapMs = 1000 / options.rate;
    const start = performance.now();
    const sends: Promise<string>[] = [];
    for (let i = 0; i < options.messages; i++) {
      const due = start + i * gapMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sends.push(publishOne(options.warmup + i));
    }
    const ids = await Promise.all(sends);
    await handled(ids);

    const toHandled: number[] = [];
    const toLine: number[] = [];
    const toAck: number[] = [];
    const forwards: number[] = [];
    for (const id of ids) {
      const p = published.get(id);
      const f = forwarded.get(id);
      if (p === undefined) continue;
      toAck.push(p.acked - p.at);
      if (f !== undefined) toHandled.push(f - p.at);
      const d = forwardMs.get(id);
      if (d !== undefined) forwards.push(d);
      const h = handedOff.get(p.dedupeKey);
      if (h !== undefined) toLine.push(h - p.at);
    }
    return {
      'publish → handled min ms': round1(toHandled.length === 0 ? 0 : Math.min(...toHandled)),
      'publish → handled p50 ms': round1(quantile(toHandled, 0.5)),
      'publish → handled p99 ms': round1(quantile(toHandled, 0.99)),
      'publish → handled max ms': round1(quantile(toHandled, 1)),
      'publish → hand-off line p50 ms': round1(quantile(toLine, 0.5)),
      'publish → hand-off line p99 ms': round1(quantile(toLine, 0.99)),
      'relay → alertIngest answered p50 ms': quantile(forwards, 0.5),
      'relay → alertIngest answered p99 ms': quantile(forwards, 0.99),
      'publish call p50 ms': round1(quantile(toAck, 0.5)),
      'messages handled': toHandled.length,
      'messages not handled': ids.length - toHandled.length,
      'relay forward failures': relayFailures,
      redeliveries,
    };
  } finally {
    await client.close().catch(() => {});
    await relay.close();
    await stopFunction(fn);
  }
}
