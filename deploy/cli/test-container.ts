/**
 * `npm run test:container [-- --keep-image]`: builds the service's image offline and runs it
 * (deploy/container/container-test.ts; docs/container.md). Prints each step, each check with its
 * measured figure, and the total time; exit 0 when every check passed, 1 otherwise (the failed
 * checks, or a step's error code and message, on stderr).
 */
import { fileURLToPath } from 'node:url';
import { type Check, runContainerTest } from '../container/container-test.js';
import { ContainerTestError } from '../container/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--keep-image');
if (unknown.length > 0) {
  process.stderr.write(
    `unknown argument ${JSON.stringify(unknown[0])}; usage: npm run test:container [-- --keep-image]\n`,
  );
  process.exit(2);
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const line = (c: Check) =>
  `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.measured} (expected ${c.expected})`;
try {
  const result = await runContainerTest({
    root: ROOT,
    nodePath: process.execPath,
    keepImage: args.includes('--keep-image'),
    log: (l) => process.stdout.write(`[${elapsed()}] ${l}\n`),
    report: (c) => process.stdout.write(`${line(c)}\n`),
  });
  const failed = result.checks.filter((c) => !c.ok);
  process.stdout.write(
    `test:container: ${result.checks.length - failed.length} passed, ${failed.length} failed in ${elapsed()} (image build ${(result.buildMs / 1000).toFixed(1)} s)\n`,
  );
  if (failed.length > 0) {
    for (const c of failed) process.stderr.write(`CONTAINER_ERR_CHECK_FAILED: ${line(c)}\n`);
    process.exitCode = 1;
  }
} catch (e) {
  if (!(e instanceof ContainerTestError)) throw e;
  process.stderr.write(`${e.code}: ${e.message}\n(after ${elapsed()})\n`);
  process.exitCode = 1;
}
