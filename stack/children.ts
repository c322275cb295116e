/**
 * The stack's children and how their endings read: the service (its own entry script), and
 * healthSweep, alertIngest and alertTick (the Functions Framework's entry script, run with node directly so
 * signals reach it rather than a shell).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ChildExit, type StackChild, spawnChild } from './child.js';

export const FUNCTIONS_SOURCE = fileURLToPath(new URL('../functions/index.js', import.meta.url));

/** Where the local stack's Functions Framework processes listen. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Preloaded into the Functions Framework process so it listens on LOOPBACK_HOST only. */
export const LOOPBACK_PRELOAD = fileURLToPath(new URL('./loopback-listen.js', import.meta.url));

/**
 * The Functions Framework's own entry script (what its `functions-framework` bin links to), run
 * with node directly so signals reach it rather than a shell. It sits beside the package's main
 * module, `build/src/index.js` (the package exports no `./package.json` to read the bin from).
 */
export function functionsFrameworkMain(): string {
  const main = join(
    dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
    'main.js',
  );
  if (!existsSync(main)) throw new Error(`the Functions Framework entry ${main} is missing`);
  return main;
}

export function describeExit(e: ChildExit): string {
  if (e.error !== undefined) return `could not start (${e.error})`;
  if (e.signal !== null) return `was killed by ${e.signal}`;
  return `exited with code ${e.code}`;
}

/**
 * Whether a child stopped as a stop on a signal asks: it exited 0 (the service after its drain,
 * the Functions Framework on a signal), or it died of SIGINT or SIGTERM before it had a handler
 * for them. A Ctrl-C reaches the whole process group, so a child still starting (the Functions
 * Framework installs its handlers only once it serves) is killed by it; that is the stop the user
 * asked for, not a failure. SIGKILL, another signal or a non-zero code is a failure.
 */
export function stoppedAsAsked(exit: ChildExit | null): boolean {
  if (exit === null || exit.error !== undefined) return false;
  return exit.code === 0 || exit.signal === 'SIGINT' || exit.signal === 'SIGTERM';
}

/**
 * One Cloud Function on the real Functions Framework, as `functions-framework --source=…
 * --target=… --port=…` would run it, listening on LOOPBACK_HOST only.
 */
export function spawnFunction(opts: {
  readonly name: string;
  readonly signatureType: 'http' | 'cloudevent';
  readonly port: number;
  readonly env: Readonly<Record<string, string>>;
  readonly onLine: (line: string, stream: 'out' | 'err') => void;
}): StackChild {
  return spawnChild({
    name: opts.name,
    args: [
      `--import=${pathToFileURL(LOOPBACK_PRELOAD).href}`,
      functionsFrameworkMain(),
      `--source=${FUNCTIONS_SOURCE}`,
      `--target=${opts.name}`,
      `--signature-type=${opts.signatureType}`,
      `--port=${opts.port}`,
    ],
    env: opts.env,
    onLine: opts.onLine,
  });
}
