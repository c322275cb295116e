/**
 * Every Cloud Function target; `build/functions/index.js` is the `--source`:
 *
 *   functions-framework --source=build/functions/index.js --target=healthSweep
 *   functions-framework --source=build/functions/index.js --target=healthSweepEvent --signature-type=cloudevent
 *   functions-framework --source=build/functions/index.js --target=alertIngest --signature-type=cloudevent
 *
 * Each handler builds its own per-instance state on its first invocation, so a deployment that
 * serves one target never opens anything for the other.
 */
import * as ff from '@google-cloud/functions-framework';
import { createAlertIngest } from './alert-ingest.js';
import { createHealthSweep } from './health-sweep.js';
import { createHealthSweepEvent } from './health-sweep-event.js';

export const healthSweep = createHealthSweep();
export const healthSweepEvent = createHealthSweepEvent();
export const alertIngest = createAlertIngest();

ff.http('healthSweep', healthSweep);
ff.cloudEvent('healthSweepEvent', healthSweepEvent);
ff.cloudEvent('alertIngest', alertIngest);
