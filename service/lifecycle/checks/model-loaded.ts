import type { Model } from '../../model/model.js';
import type { Check, CheckResult } from './check.js';

const CANARY = ['runwatch health canary: the model answers'];

/**
 * Unhealthy until a model is loaded; then runs one canary inference per check and verifies the
 * row shape and that every score is a finite probability. The value is the canary's latency (ms).
 * This is what the SAMO-DL API's `/health` never did: it said healthy while every prediction failed.
 */
export function createModelLoadedCheck(
  getModel: () => Model | null,
  now: () => number = performance.now.bind(performance),
): Check {
  return {
    name: 'model',
    async check(): Promise<CheckResult> {
      const model = getModel();
      if (model === null) {
        return {
          status: 'unhealthy',
          value: null,
          degraded: null,
          unhealthy: null,
          detail: 'model not loaded',
        };
      }
      const t0 = now();
      const rows = await model.predict(CANARY);
      const ms = Math.round((now() - t0) * 1000) / 1000;
      const row = rows[0];
      if (rows.length !== 1 || row === undefined || row.length !== model.labels.length) {
        return {
          status: 'unhealthy',
          value: ms,
          degraded: null,
          unhealthy: null,
          detail: `canary returned ${rows.length} row(s) of ${row?.length ?? 0} scores; expected 1 row of ${model.labels.length}`,
        };
      }
      if (!row.every((s) => Number.isFinite(s) && s >= 0 && s <= 1)) {
        return {
          status: 'unhealthy',
          value: ms,
          degraded: null,
          unhealthy: null,
          detail: 'canary returned a score outside [0, 1]',
        };
      }
      return {
        status: 'healthy',
        value: ms,
        degraded: null,
        unhealthy: null,
        detail: `${model.name}@${model.version} answered the canary in ${ms} ms`,
      };
    },
  };
}
