/**
 * Fault injection for demos and tests of the monitoring (never in production: the config refuses
 * `ENABLE_FAULT_INJECTION` outside development). A switch, created before the model loads so its
 * route can be registered, and a `Model` decorator that reads it: with the switch at `fail`,
 * predictions (and so the health check's canary) fail while the process stays up.
 */
import { MDL_ERR_INFERENCE_FAILED, modelError } from '../../lib/model-package/errors.js';
import type { Model } from '../model/model.js';

export const MODEL_FAULTS = ['ok', 'fail'] as const;
export type ModelFault = (typeof MODEL_FAULTS)[number];

export class FaultInjector {
  #fault: ModelFault = 'ok';

  get fault(): ModelFault {
    return this.#fault;
  }

  set(fault: ModelFault): void {
    this.#fault = fault;
  }

  /** `inner`, failing every prediction while the switch is at `fail`. */
  wrap(inner: Model): Model {
    const switchboard = this;
    return {
      get name() {
        return inner.name;
      },
      get version() {
        return inner.version;
      },
      get labels() {
        return inner.labels;
      },
      get thresholds() {
        return inner.thresholds;
      },
      async predict(texts) {
        if (switchboard.fault === 'fail') {
          throw modelError(
            MDL_ERR_INFERENCE_FAILED,
            'injected fault: the model is set to fail (POST /admin/faults {"model": "ok"} restores it)',
          );
        }
        return inner.predict(texts);
      },
      close: () => inner.close(),
    };
  }
}
