/**
 * Every Cloud Function target; `build/functions/index.js` is the `--source`:
 *
 *   functions-framework --source=build/functions/index.js --target=healthSweep
 */
import * as ff from '@google-cloud/functions-framework';
import { createHealthSweep } from './health-sweep.js';

export const healthSweep = createHealthSweep();

ff.http('healthSweep', healthSweep);
