/**
 * A model as the service serves it: the loaded `Model`, the batcher every request goes through,
 * and when and how fast it loaded (for `/model_status`). Built once per process by the
 * composition root (`start.ts`) after warm-up; routes reach it through `AppDeps.getServed`.
 */
import type { Model } from '../model/model.js';
import { type BatcherObserver, type BatcherOptions, MicroBatcher } from './batcher.js';

export interface LoadTimings {
  /** When loading finished (after warm-up). */
  readonly loadedAt: Date;
  /** From the start of loading to a session that scored its probe row. */
  readonly loadMs: number;
  /** The warm-up inference alone. */
  readonly warmUpMs: number;
}

export interface ServedModel extends LoadTimings {
  readonly model: Model;
  readonly batcher: MicroBatcher;
  readonly batching: BatcherOptions;
}

export function serveModel(
  model: Model,
  batching: BatcherOptions,
  timings: LoadTimings,
  observer: BatcherObserver = {},
): ServedModel {
  return { model, batcher: new MicroBatcher(model, batching, observer), batching, ...timings };
}
