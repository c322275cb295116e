/**
 * `npm start`: the local stack (stack/supervisor.ts). An invalid configuration prints every
 * problem and exits 78 before anything starts.
 */
import { ConfigError, EXIT_CONFIG, formatProblem } from '../lib/config/problems.js';
import { loadStackConfig, noMetadataServer } from './config.js';
import { runStack } from './supervisor.js';

// A closed pipe (`npm start | head`) must not crash the supervisor before it stops its children.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

let config: ReturnType<typeof loadStackConfig>;
try {
  config = loadStackConfig();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  for (const p of e.problems) process.stderr.write(`runwatch stack: ${formatProblem(p)}\n`);
  process.exit(EXIT_CONFIG);
}

noMetadataServer();
const code = await runStack({
  config,
  proc: process,
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stdout.isTTY === true,
});
process.exit(code);
