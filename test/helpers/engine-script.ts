/**
 * Runs an engine scenario as a script on one store: events at given minutes (a definitions
 * change first in its minute, so that minute's events meet it), then a tick every minute (flush
 * the due groups, deliver through the real delivery worker), each notification handed to
 * `onNotification` by a recording notifier (a test double for a receiver).
 */
import { createDeliveryWorker } from '../../alerts/engine/deliver.js';
import { createEngine, type Engine } from '../../alerts/engine/engine.js';
import { parseEngineDefinitions } from '../../alerts/engine/load-definitions.js';
import type { GroupNotification, Notifier } from '../../alerts/engine/types.js';
import type { Stores } from '../../alerts/store/open.js';
import type { IncomingAlert } from '../../alerts/types.js';
import { createLogger } from '../../lib/logger.js';

export const T0 = 1_780_000_000_000;
export const M = 60_000;

export type Labels = Record<string, string>;

/** One thing at minute `at`, before that minute's tick; `incident` makes an event a Monitoring one. */
export type Step =
  | { readonly at: number; readonly fire: Labels; readonly incident?: string }
  | { readonly at: number; readonly resolve: Labels; readonly incident?: string }
  | { readonly at: number; readonly definitions: string };

export interface Script {
  readonly definitions: string;
  readonly steps: readonly Step[];
  /** Ticks run at every minute from 0 to this one. */
  readonly until: number;
}

/** Minutes since T0. */
export const minute = (t: number) => (t - T0) / M;

const log = createLogger({ level: 'silent' });
let seq = 0;

function event(
  step: { readonly at: number; readonly incident?: string },
  labels: Labels,
  resolved: boolean,
): IncomingAlert {
  const at = T0 + step.at * M;
  const incident = step.incident ?? null;
  return {
    source: incident === null ? 'runwatch' : 'monitoring',
    dedupeKey: `k${seq++}`,
    lifecycleId: incident,
    status: resolved ? 'resolved' : 'firing',
    labels,
    annotations: {},
    startsAt: at,
    endsAt: resolved ? at : null,
  };
}

export async function runScript(
  stores: Stores,
  s: Script,
  onNotification: (n: GroupNotification) => void,
): Promise<void> {
  let clock = T0;
  const now = () => clock;
  const recorder: Notifier = {
    type: 'log',
    async send(n: GroupNotification) {
      onNotification(n);
    },
  };
  let n = 0;
  const engineFor = (yaml: string): Engine =>
    createEngine({
      config: parseEngineDefinitions(yaml, 'test.yaml'),
      store: stores.engine,
      log,
      now,
      newId: () => `n${++n}`,
    });
  let engine = engineFor(s.definitions);
  const worker = createDeliveryWorker({
    store: stores.engine,
    notifierFor: () => recorder,
    log,
    now,
  });
  for (let m = 0; m <= s.until; m++) {
    clock = T0 + m * M;
    const due = s.steps.filter((x) => x.at === m);
    for (const step of due) if ('definitions' in step) engine = engineFor(step.definitions);
    for (const step of due) {
      if ('fire' in step) await engine.receive(event(step, step.fire, false));
      else if ('resolve' in step) await engine.receive(event(step, step.resolve, true));
    }
    await engine.flushDue();
    await worker.run();
  }
}
