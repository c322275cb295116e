/**
 * Every Cloud Function target; `build/functions/index.js` is the `--source`:
 *
 *   functions-framework --source=build/functions/index.js --target=healthSweep
 */
import * as ff from '@google-cloud/functions-framework';
import { healthSweep } from './health-sweep.js';

ff.http('healthSweep', healthSweep);

export { healthSweep };
