/**
 * DelayedModel: a decorator over a real model, for drain and probe tests only. It adds latency
 * (never a sleep route in production code) and can misbehave on cue:
 *  - a text starting `delay=<ms>;` takes that long;
 *  - a text containing `__fail__` makes its run fail, after any delay, as the runtime would
 *    (MDL_ERR_INFERENCE_FAILED);
 *  - `__uncaught__` throws from a timer (an uncaughtException);
 *  - `__unhandled__` leaves a rejected promise unhandled;
 *  - `closeBehavior` makes close() throw or hang.
 */
import { MDL_ERR_INFERENCE_FAILED, modelError } from '../../lib/model-package/errors.js';
import type { Model } from '../../service/model/model.js';

export interface DelayOptions {
  readonly loadDelayMs?: number;
  readonly predictDelayMs?: number;
  readonly closeBehavior?: 'ok' | 'throw' | 'hang';
}

const DIRECTIVE = /^delay=(\d+);/;

export class DelayedModel implements Model {
  readonly #inner: Model;
  readonly #opts: DelayOptions;

  constructor(inner: Model, opts: DelayOptions = {}) {
    this.#inner = inner;
    this.#opts = opts;
  }

  get name() {
    return this.#inner.name;
  }
  get version() {
    return this.#inner.version;
  }
  get labels() {
    return this.#inner.labels;
  }
  get thresholds() {
    return this.#inner.thresholds;
  }

  async predict(texts: readonly string[]): Promise<number[][]> {
    let delay = this.#opts.predictDelayMs ?? 0;
    for (const t of texts) {
      const m = DIRECTIVE.exec(t);
      if (m) delay = Math.max(delay, Number(m[1]));
      if (t === '__uncaught__') {
        setTimeout(() => {
          throw new Error('test: uncaught exception from a timer');
        }, 0);
      }
      if (t === '__unhandled__') {
        void Promise.reject(new Error('test: unhandled rejection'));
      }
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (texts.some((t) => t.includes('__fail__'))) {
      throw modelError(MDL_ERR_INFERENCE_FAILED, 'test: the run failed on cue');
    }
    return this.#inner.predict(texts);
  }

  async close(): Promise<void> {
    if (this.#opts.closeBehavior === 'throw') throw new Error('test: close failed');
    if (this.#opts.closeBehavior === 'hang') await new Promise(() => {});
    await this.#inner.close();
  }

  /** Wraps a loader so loading takes `loadDelayMs` longer. */
  static wrapLoader(load: (path: string) => Promise<Model>, opts: DelayOptions) {
    return async (path: string): Promise<Model> => {
      if (opts.loadDelayMs) await new Promise((r) => setTimeout(r, opts.loadDelayMs));
      return new DelayedModel(await load(path), opts);
    };
  }
}
