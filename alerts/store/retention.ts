/**
 * Retention: how long samples, findings and sweeps are kept, and the bounded delete that
 * enforces it a little at every sweep rather than in one long statement.
 */
import { StoreError, type TrendStore } from './store.js';

export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 86_400_000;

/** Checks a retention in days (STORE_RETENTION_DAYS); returns it. */
export function checkRetentionDays(days: number): number {
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new StoreError(
      'STORE_ERR_RETENTION_INVALID',
      `STORE_RETENTION_DAYS=${JSON.stringify(days)}: expected an integer from 1 to ${MAX_RETENTION_DAYS}`,
      { field: 'STORE_RETENTION_DAYS' },
    );
  }
  return days;
}

/**
 * One incremental retention step: deletes at most `limit` rows older than `retentionDays` before
 * `now`. Returns the rows deleted; fewer than `limit` means nothing older is left.
 */
export function pruneExpired(
  store: TrendStore,
  q: { readonly now: number; readonly retentionDays: number; readonly limit: number },
): Promise<number> {
  const days = checkRetentionDays(q.retentionDays);
  return store.prune({ before: q.now - days * DAY_MS, limit: q.limit });
}
