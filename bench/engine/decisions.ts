/**
 * The decision phase: one engine over one store, the default definitions, the seed's 1,000
 * alerts in 50 groups (seed.ts) and its silences, with an injected clock:
 *
 * 1. the 1,000 alerts arrive (new rows, new groups): `first receives/s`;
 * 2. group_wait later every group is due: one `flushDue` flushes the 50 with their first
 *    notifications and outbox rows: `first flushes/s`;
 * 3. `passes` times, the steady state a sweep keeps: every alert re-sent (receives/s), then,
 *    group_interval after the last flush, every group flushed again with nothing new to send
 *    (flushes/s). The re-sends come 1 s before the flush, so resolve_timeout never ends one.
 *
 * Wall time is measured around the engine calls only; nothing is delivered (the outbox rows stay).
 */

import { createEngine } from '../../alerts/engine/engine.js';
import type { EngineConfig } from '../../alerts/engine/types.js';
import type { EngineStore } from '../../alerts/store/engine-store.js';
import { openStores } from '../../alerts/store/open.js';
import type { Logger } from '../../lib/logger.js';
import { scratchPostgresUrl } from '../ingest/throughput.js';
import type { Metrics } from '../lib/harness.js';
import type { BenchPostgres } from '../lib/postgres.js';
import { createMemoryEngineStore } from './memory-store.js';
import { SEED_ALERTS, seedAlerts, seedSilences } from './seed.js';

export const DECISION_VARIANTS = ['in-memory', 'sqlite', 'postgres'] as const;
export type DecisionVariant = (typeof DECISION_VARIANTS)[number];

/** The bench's epoch: any fixed time works, the clock is injected. */
export const T0 = 1_780_000_000_000;

export interface DecisionOptions {
  readonly passes: number;
  readonly dir: string;
  readonly postgres: BenchPostgres | null;
  readonly definitions: EngineConfig;
  readonly log: Logger;
}

async function openVariant(
  variant: DecisionVariant,
  round: number,
  options: DecisionOptions,
): Promise<{ store: EngineStore; close: () => Promise<void> }> {
  if (variant === 'in-memory') return { store: createMemoryEngineStore(), close: async () => {} };
  const url =
    variant === 'sqlite'
      ? `sqlite:${options.dir}/engine-r${round}.db`
      : await scratchPostgresUrl(options.postgres as BenchPostgres);
  const stores = await openStores(url, { platform: 'local' });
  return { store: stores.engine, close: () => stores.close() };
}

/** Notifications in the outbox, and the alerts they show. */
async function outboxNotifications(store: EngineStore) {
  const ids = new Map<string, number>();
  for (const d of await store.deliveries({ limit: 100_000 })) {
    ids.set(d.notification.id, d.notification.alerts.length);
  }
  return { notifications: ids.size, alerts: [...ids.values()].reduce((a, b) => a + b, 0) };
}

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

export async function decisionRound(
  variant: DecisionVariant,
  round: number,
  options: DecisionOptions,
): Promise<Metrics> {
  const { store, close } = await openVariant(variant, round, options);
  try {
    let clock = T0;
    let n = 0;
    const engine = createEngine({
      config: options.definitions,
      store,
      log: options.log,
      now: () => clock,
      newId: () => `bench-${round}-${++n}`,
    });
    for (const s of seedSilences(T0)) await store.putSilence(s, T0);

    let began = performance.now();
    for (const a of seedAlerts(clock)) await engine.receive(a);
    const firstReceiveMs = performance.now() - began;

    clock = T0 + options.definitions.route.groupWaitMs;
    began = performance.now();
    const first = await engine.flushDue();
    const firstFlushMs = performance.now() - began;
    const seeded = await outboxNotifications(store);

    const interval = options.definitions.route.groupIntervalMs;
    let receiveMs = 0;
    let flushMs = 0;
    let flushes = 0;
    let sent = 0;
    for (let p = 1; p <= options.passes; p++) {
      const flushAt = T0 + options.definitions.route.groupWaitMs + p * interval;
      clock = flushAt - 1000;
      began = performance.now();
      for (const a of seedAlerts(clock, p)) await engine.receive(a);
      receiveMs += performance.now() - began;
      clock = flushAt;
      began = performance.now();
      const outcomes = await engine.flushDue();
      flushMs += performance.now() - began;
      flushes += outcomes.length;
      sent += outcomes.filter((o) => o.reason !== null).length;
    }
    return {
      'receives/s': perSecond(SEED_ALERTS * options.passes, receiveMs),
      'flushes/s': perSecond(flushes, flushMs),
      'first receives/s': perSecond(SEED_ALERTS, firstReceiveMs),
      'first flushes/s': perSecond(first.length, firstFlushMs),
      'first notifications': seeded.notifications,
      'alerts shown in them': seeded.alerts,
      'steady flushes': flushes,
      'steady notifications': sent,
    };
  } finally {
    await close();
  }
}
