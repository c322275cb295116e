/**
 * Intake → engine → outbox delivery, as every function that takes alerts runs it (alertIngest;
 * healthSweep with Pub/Sub off, handing its findings over in-process; alertTick for the
 * heartbeat): the engine's definitions (ALERTING_FILE), the engine over the engine store, the
 * delivery worker and the notifiers, on the stores the caller opened.
 *
 * An admitted alert is handed to `engine.receive`; when that flushes a group with something to
 * send (a group_wait of 0, or a group already due), the worker delivers it in the same
 * invocation. A delivery failure never fails the hand-off: the outbox keeps the delivery and the
 * next run (this invocation's next alert, or alertTick) retries it.
 */
import { createDeliveryWorker, type DeliveryWorker } from '../../alerts/engine/deliver.js';
import { createEngine, type Engine } from '../../alerts/engine/engine.js';
import { loadEngineDefinitions } from '../../alerts/engine/load-definitions.js';
import type { EngineConfig } from '../../alerts/engine/types.js';
import { createIntake, type Intake } from '../../alerts/ingest/intake.js';
import { normalise } from '../../alerts/ingest/normalise.js';
import type { DeadLetterSender } from '../../alerts/pubsub/dead-letter.js';
import type { Stores } from '../../alerts/store/open.js';
import type { Logger } from '../../lib/logger.js';
import type { FunctionsConfig } from './config.js';
import { createNotifierRegistry } from './notifiers.js';

export interface AlertPipeline {
  readonly definitions: EngineConfig;
  readonly intake: Intake;
  readonly engine: Engine;
  readonly worker: DeliveryWorker;
  /** Delivers what is pending; never rejects (a failure is logged and left to the next run). */
  deliver(): Promise<void>;
  close(): Promise<void>;
}

export function buildAlertPipeline(opts: {
  readonly stores: Stores;
  readonly config: FunctionsConfig;
  readonly log: Logger;
  readonly now: () => number;
  readonly deadLetter: DeadLetterSender | null;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}): AlertPipeline {
  const { stores, config, log, now } = opts;
  const definitions = loadEngineDefinitions(config.alertingFile);
  const engine = createEngine({ config: definitions, store: stores.engine, log, now });
  const notifiers = createNotifierRegistry(config, log, opts.env);
  const worker = createDeliveryWorker({
    store: stores.engine,
    notifierFor: notifiers.notifierFor,
    log,
    now,
    maxAgeMs: config.deliveryMaxAgeMs,
  });
  const deliver = async () => {
    try {
      await worker.run();
    } catch (e) {
      log.error(
        { event: 'alert.delivery_run_failed', error: e instanceof Error ? e.message : String(e) },
        'delivery run failed; the outbox keeps what is pending for the next run',
      );
    }
  };
  const intake = createIntake({
    store: stores.ingest,
    normalise: (m) => normalise(m, { maxDataBytes: config.ingest.maxDataBytes }),
    handOff: async ({ alert }) => {
      const outcome = await engine.receive(alert);
      if (outcome.flushed.some((f) => f.deliveries > 0)) await deliver();
    },
    deadLetter:
      opts.deadLetter === null ? null : (p) => opts.deadLetter?.send(p) ?? Promise.resolve(),
    log,
    now,
    leaseMs: config.ingest.leaseMs,
  });
  return { definitions, intake, engine, worker, deliver, close: () => notifiers.close() };
}
