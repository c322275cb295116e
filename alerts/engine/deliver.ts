/**
 * The outbox's delivery worker: sends pending deliveries (one per notification and integration,
 * written by the engine's flush in the same transaction as its decision) and marks each one done.
 * It runs in the invocation that flushed, and again on every alertTick.
 *
 * - **Exactly once per receiver, as far as a sender can make it**: a delivery is claimed under a
 *   lease and marked delivered under that lease only; a run that dies (a killed process, not only
 *   a thrown error) leaves its claims to expire and the next run sends them. A delivery marked
 *   delivered is never sent again, so a retry after a partial failure resends only what is still
 *   pending. What remains at least once: a process killed after the receiver accepted and before
 *   the mark commits; receivers can dedupe on the notification id (the webhook's
 *   Idempotency-Key, the Pub/Sub message's notificationId).
 * - **In order**: the store hands out only the first pending delivery of each group and
 *   integration, so a group's resolve never overtakes its firing notification; a claim batch
 *   therefore holds at most one delivery per line, and they are sent concurrently: one slow or
 *   failing receiver never holds back another.
 * - **Failures**: retryable ones (`NotifyError.retryable`, or any error that is not a
 *   NotifyError) stay pending with exponential backoff until `maxAgeMs` after the notification;
 *   the others, and the expired, are failed for good. Both are recorded on the row (code and
 *   message) and logged `alert.delivery_failed`.
 */

import { RunwatchError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { NOTIFY_ERR_EXPIRED, NOTIFY_ERR_UNEXPECTED, NotifyError } from '../notifiers/errors.js';
import type { Delivery, EngineStore } from '../store/engine-store.js';
import type { IntegrationConfig, Notifier } from './types.js';

export interface DeliveryDeps {
  readonly store: Pick<EngineStore, 'claimDeliveries' | 'completeDelivery' | 'failDelivery'>;
  /** The notifier of an integration (the runtime builds and caches them). */
  readonly notifierFor: (integration: IntegrationConfig) => Notifier;
  readonly log: Logger;
  readonly now?: () => number;
  /** The most one send may take, its own retries included. */
  readonly sendDeadlineMs?: number;
  /** How long a claim is held: longer than a send. */
  readonly leaseMs?: number;
  /** After this long since the notification was made, a failing delivery is given up. */
  readonly maxAgeMs?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface DeliveryReport {
  readonly delivered: number;
  /** Failed attempts that will be retried. */
  readonly retrying: number;
  /** Given up: not retryable, or too old. */
  readonly failed: number;
  /** Claims lost to another run (its lease took over: this one was too slow). */
  readonly lost: number;
}

export const DELIVERY_DEFAULTS = {
  sendDeadlineMs: 30_000,
  leaseMs: 60_000,
  maxAgeMs: 3_600_000,
  backoffMs: 10_000,
  maxBackoffMs: 600_000,
} as const;

export interface DeliveryWorker {
  /** Sends what is pending until nothing due is left or `budgetMs` has passed. */
  run(options?: { readonly budgetMs?: number }): Promise<DeliveryReport>;
}

export function createDeliveryWorker(deps: DeliveryDeps): DeliveryWorker {
  const now = deps.now ?? Date.now;
  const o = { ...DELIVERY_DEFAULTS, ...definedOnly(deps) };

  const attempt = async (d: Delivery): Promise<keyof DeliveryReport> => {
    const lease = d.leaseUntil ?? 0;
    try {
      await deps.notifierFor(d.integration).send(d.notification, { deadlineMs: o.sendDeadlineMs });
    } catch (e) {
      const retryable = e instanceof NotifyError ? e.retryable : true;
      const code = e instanceof RunwatchError ? e.code : NOTIFY_ERR_UNEXPECTED;
      const message = e instanceof Error ? e.message : String(e);
      const t = now();
      const expired = t - d.createdAt >= o.maxAgeMs;
      const retryAt =
        retryable && !expired
          ? t + Math.min(o.maxBackoffMs, o.backoffMs * 2 ** Math.max(0, d.attempts - 1))
          : null;
      const recorded = await deps.store.failDelivery(d.id, lease, {
        code: retryable && expired ? NOTIFY_ERR_EXPIRED : code,
        message:
          retryable && expired ? `given up after ${d.attempts} attempts: ${message}` : message,
        retryAt,
      });
      const level = retryAt === null ? 'error' : 'warn';
      deps.log[level](
        {
          event: 'alert.delivery_failed',
          deliveryId: d.id,
          notificationId: d.notification.id,
          groupKey: d.groupKey,
          receiver: d.receiver,
          integration: d.integration.type,
          attempts: d.attempts,
          code,
          retryable,
          final: retryAt === null,
          ...(retryAt === null ? {} : { retryAt: new Date(retryAt).toISOString() }),
        },
        `delivery ${d.id} to ${d.receiver}/${d.integration.type} failed: ${message}`,
      );
      if (!recorded) return 'lost';
      return retryAt === null ? 'failed' : 'retrying';
    }
    const recorded = await deps.store.completeDelivery(d.id, lease, now());
    if (!recorded) {
      deps.log.warn(
        { event: 'alert.delivery_lease_lost', deliveryId: d.id, receiver: d.receiver },
        `delivery ${d.id} was sent after its lease ran out; another run may send it again`,
      );
      return 'lost';
    }
    deps.log.info(
      {
        event: 'alert.delivered',
        deliveryId: d.id,
        notificationId: d.notification.id,
        groupKey: d.groupKey,
        receiver: d.receiver,
        integration: d.integration.type,
        attempts: d.attempts,
        reason: d.notification.reason,
      },
      `delivered ${d.notification.reason} to ${d.receiver}/${d.integration.type}`,
    );
    return 'delivered';
  };

  return {
    async run(options = {}) {
      const budget = options.budgetMs ?? o.leaseMs;
      const started = now();
      const report = { delivered: 0, retrying: 0, failed: 0, lost: 0 };
      while (now() - started < budget) {
        const claimed = await deps.store.claimDeliveries(now(), o.leaseMs, 100);
        if (claimed.length === 0) break;
        const results = await Promise.all(claimed.map(attempt));
        for (const r of results) report[r]++;
        // Only deliveries that went out let the next one of their line through.
        if (!results.includes('delivered')) break;
      }
      return report;
    },
  };
}

function definedOnly(deps: DeliveryDeps): Partial<typeof DELIVERY_DEFAULTS> {
  return Object.fromEntries(
    Object.keys(DELIVERY_DEFAULTS)
      .map((k) => [k, deps[k as keyof DeliveryDeps]])
      .filter(([, v]) => v !== undefined),
  );
}
