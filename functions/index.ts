/**
 * Every Cloud Function target; `build/functions/index.js` is the `--source`:
 *
 *   functions-framework --source=build/functions/index.js --target=healthSweep
 *   functions-framework --source=build/functions/index.js --target=healthSweepEvent --signature-type=cloudevent
 *   functions-framework --source=build/functions/index.js --target=alertIngest --signature-type=cloudevent
 *   functions-framework --source=build/functions/index.js --target=alertTick
 *
 * The target this process serves (`--target`, or FUNCTION_TARGET) is created when the source
 * loads, so an invalid configuration for it refuses to start; the others are created on their
 * first call, so a deployment of one target never checks another's settings (alertIngest does
 * not need healthSweep's OIDC settings) nor opens anything for it. When no target is named (a
 * test importing the source), all are created at once.
 */
import * as ff from '@google-cloud/functions-framework';
import { createAlertIngest } from './alert-ingest.js';
import { createAlertTick } from './alert-tick.js';
import { createHealthSweep } from './health-sweep.js';
import { createHealthSweepEvent } from './health-sweep-event.js';
import { servedTarget } from './shared/config.js';

const served = servedTarget();

/** `create()` now when this process serves `name` (or no target is named), else on first use. */
function onDemand<A extends unknown[], R>(
  name: string,
  create: () => (...args: A) => R,
): (...args: A) => R {
  let handler = served === undefined || served === name ? create() : null;
  return (...args: A) => {
    handler ??= create();
    return handler(...args);
  };
}

export const healthSweep = onDemand('healthSweep', () => createHealthSweep());
export const healthSweepEvent = onDemand('healthSweepEvent', () => createHealthSweepEvent());
export const alertIngest = onDemand('alertIngest', () => createAlertIngest());
export const alertTick = onDemand('alertTick', () => createAlertTick());

ff.http('healthSweep', healthSweep);
ff.cloudEvent('healthSweepEvent', healthSweepEvent);
ff.cloudEvent('alertIngest', alertIngest);
ff.http('alertTick', alertTick);
