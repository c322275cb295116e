/**
 * Admin routes, behind an admin key. `/model_status` reports the real serving state: what is
 * loaded, how long loading and warm-up took, and what the batcher has done since.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../auth/admin-access.js';
import type { AppDeps } from '../deps.js';

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export function registerAdminRoutes(app: FastifyInstance, deps: AppDeps, admin: AdminAccess): void {
  app.get('/model_status', { onRequest: admin.requireKey }, async () => {
    const served = deps.getServed();
    const state = deps.lifecycle.state;
    // The SAMO-DL API's fields, kept for its clients: model_loaded, model_loading, emotions, device,
    // timestamp. The rest is what an operator needs to see the batcher at work.
    const samoFields = {
      model_loaded: served !== null,
      model_loading: served === null && state === 'SERVICE_IS_STARTING',
      emotions: served?.model.labels ?? [],
      device: 'cpu',
      timestamp: new Date().toISOString(),
    };
    if (served === null) {
      return {
        ...samoFields,
        state,
        ready: false,
        model_path: deps.config.modelPath,
        model: null,
        batching: null,
      };
    }
    const { model, batcher, batching } = served;
    const stats = batcher.stats();
    return {
      ...samoFields,
      state,
      ready: state === 'SERVICE_IS_READY',
      model_path: deps.config.modelPath,
      model: {
        name: model.name,
        version: model.version,
        labels: model.labels,
        thresholds: model.thresholds,
        loaded_at: served.loadedAt.toISOString(),
        load_ms: round3(served.loadMs),
        warm_up_ms: round3(served.warmUpMs),
      },
      batching: {
        max_batch_size: batching.maxBatchSize,
        max_batch_delay_ms: batching.maxBatchDelayMs,
        max_queue_depth: batching.maxQueueDepth,
        runs: stats.runs,
        failed_runs: stats.failedRuns,
        texts_scored: stats.textsScored,
        mean_batch_size: round3(stats.meanBatchSize),
        mean_run_ms: round3(stats.meanRunMs),
        queue_depth: stats.queueDepth,
        texts_dropped: stats.textsDropped,
        requests_refused: stats.requestsRefused,
      },
    };
  });
}
