/**
 * The local stack's Pub/Sub half: the real Cloud Pub/Sub emulator when there is one, the
 * topology ensured on it (`alerts/definitions/pubsub.yaml`), and the Eventarc relay that turns
 * the emulator's push to alertIngest into the binary-mode CloudEvent Eventarc delivers.
 *
 * Which Pub/Sub: `PUBSUB_EMULATOR_HOST` when set (an emulator the user runs; nothing is spawned),
 * else the emulator binary `findEmulator` finds (PUBSUB_EMULATOR_BIN, PATH, the Cloud SDK root),
 * spawned on a free loopback port with its log in `.runwatch/pubsub-emulator.log`. Without one the
 * alert flow runs in-process (the sweep hands findings to the ingest core itself) and `reason`
 * says why, with how to install one. An emulator that is there but fails to start, or a topology
 * that cannot be ensured, fails the stack (STACK_ERR_PUBSUB).
 *
 * `childEnv` is what healthSweep and alertIngest get: ALERTS_PUBSUB on or off, and the emulator.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { type EnsureResult, ensurePubSub } from '../alerts/pubsub/ensure.js';
import { TOPICS, TOPOLOGY, topicPath } from '../alerts/pubsub/topology.js';
import type { Env } from '../lib/config/read.js';
import type { Logger } from '../lib/logger.js';
import { type EventarcRelay, startEventarcRelay } from './eventarc-relay.js';
import { findEmulator, type PubSubEmulator, startPubSubEmulator } from './pubsub-emulator.js';

export const LOCAL_PROJECT = 'runwatch-local';

export type AlertFlow =
  | {
      readonly mode: 'pubsub';
      /** host:port of the emulator. */
      readonly host: string;
      /** The spawned emulator, or null when PUBSUB_EMULATOR_HOST named one. */
      readonly emulator: PubSubEmulator | null;
      readonly relay: EventarcRelay;
      /** Where the emulator pushes alert-ingest (the relay). */
      readonly pushEndpoint: string;
      readonly projectId: string;
      readonly ensured: readonly EnsureResult[];
      readonly childEnv: Readonly<Record<string, string>>;
      stop(): Promise<void>;
    }
  | {
      readonly mode: 'in-process';
      readonly reason: string;
      readonly childEnv: Readonly<Record<string, string>>;
      stop(): Promise<void>;
    };

export interface AlertFlowOptions {
  readonly env: Env;
  /** alertIngest's URL, where the relay forwards. */
  readonly ingestUrl: string;
  /** The directory of the stack's own files (the emulator's log). */
  readonly stateDir: string;
  readonly log: Logger;
}

export class AlertFlowError extends Error {}

export async function startAlertFlow(options: AlertFlowOptions): Promise<AlertFlow> {
  const { env, log } = options;
  const projectId = env.GOOGLE_CLOUD_PROJECT || LOCAL_PROJECT;
  let emulator: PubSubEmulator | null = null;
  let host = env.PUBSUB_EMULATOR_HOST?.trim() || null;
  if (host === null) {
    const found = findEmulator(env);
    if (found.path === null) {
      return {
        mode: 'in-process',
        reason: found.reason,
        childEnv: { ALERTS_PUBSUB: 'off' },
        stop: async () => {},
      };
    }
    mkdirSync(options.stateDir, { recursive: true });
    log.info(
      { event: 'stack.pubsub_starting', bin: found.path },
      `starting the Pub/Sub emulator (${found.path})`,
    );
    try {
      emulator = await startPubSubEmulator({
        bin: found.path,
        env,
        logFile: join(options.stateDir, 'pubsub-emulator.log'),
      });
    } catch (e) {
      throw new AlertFlowError(
        `the Pub/Sub emulator at ${found.path} did not start: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    host = emulator.host;
    log.info(
      { event: 'stack.pubsub_started', host, pid: emulator.pid, startMs: emulator.startMs },
      `Pub/Sub emulator on ${host} (pid ${emulator.pid})`,
    );
  }
  let relay: EventarcRelay | null = null;
  const client = new PubSub({ projectId, apiEndpoint: host, emulatorMode: true });
  try {
    const topic = topicPath(projectId, TOPICS.ingest);
    const path = `/${topic}`;
    relay = await startEventarcRelay({
      routes: [{ path, topic, target: options.ingestUrl }],
      log,
      host: '127.0.0.1',
      port: 0,
    });
    const pushEndpoint = relay.endpoint(path);
    const ensured = await ensurePubSub(client, TOPOLOGY, {
      projectId,
      endpoints: { alertIngest: { url: pushEndpoint } },
    });
    for (const r of ensured) {
      log.info(
        { event: 'stack.pubsub_ensured', kind: r.kind, name: r.name, outcome: r.outcome },
        `${r.kind} ${r.name}: ${r.outcome}`,
      );
    }
    const started = relay;
    const spawned = emulator;
    return {
      mode: 'pubsub',
      host,
      emulator,
      relay: started,
      pushEndpoint,
      projectId,
      ensured,
      childEnv: {
        ALERTS_PUBSUB: 'on',
        PUBSUB_EMULATOR_HOST: host,
        GOOGLE_CLOUD_PROJECT: projectId,
      },
      async stop() {
        await started.close();
        await spawned?.stop();
      },
    };
  } catch (e) {
    await relay?.close().catch(() => {});
    await emulator?.stop().catch(() => {});
    if (e instanceof AlertFlowError) throw e;
    throw new AlertFlowError(
      `Pub/Sub on ${host} could not be set up: ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    await client.close().catch(() => {});
  }
}
