/**
 * Loads every deployable's entry modules without starting them: the service's composition root,
 * the Cloud Functions' source (every target), and the local stack's supervisor and config. CI
 * runs it from a production install (`npm prune --omit=dev`), so a run-time import of a
 * devDependency fails here instead of at deploy time. Exit 1 names the module that failed.
 */
const ENTRIES = [
  '../service/start.js',
  '../functions/index.js',
  '../stack/supervisor.js',
  '../stack/config.js',
] as const;

for (const entry of ENTRIES) {
  try {
    await import(entry);
    process.stdout.write(`loaded ${entry}\n`);
  } catch (e) {
    process.stderr.write(`${entry} does not load: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
