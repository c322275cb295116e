/**
 * The container's entry point: `node build/service/main.js` (exec form, so SIGTERM reaches this
 * process rather than npm). Everything else lives in `start.ts`.
 */
import { startService } from './start.js';

await startService({
  proc: process,
  exit: (code) => process.exit(code),
  isTTY: process.stdout.isTTY === true,
});
