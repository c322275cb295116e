/**
 * `npm run deploy:package -- [--out DIR] [service|<function target>...]`: writes each named
 * deployable's deploy directory to `DIR/<name>` (default build/packages; every deployable when
 * none is named) and prints one line per directory. Exit 0; 2 on a usage error; 1 when a
 * deployable cannot be packaged, with its code and message on stderr (docs/container.md).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePackageArgs } from '../package/args.js';
import { exitCodeOf, PackageError } from '../package/errors.js';
import { packageDeployable } from '../package/package.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
try {
  const args = parsePackageArgs(process.argv.slice(2));
  const out = resolve(ROOT, args.out);
  for (const deployable of args.deployables) {
    const p = packageDeployable(deployable, { root: ROOT, out });
    const deps = Object.keys(p.dependencies).join(', ');
    const omitted = p.omitted.length === 0 ? '' : `; left out: ${p.omitted.join(', ')}`;
    const data = p.data.length === 0 ? '' : `; data: ${p.data.join(', ')}`;
    process.stdout.write(
      `${p.name} → ${join(args.out, p.name)}: ${p.modules} modules, ${Object.keys(p.dependencies).length} dependencies (${deps}), ${p.lockedPackages} locked packages${data}${omitted}\n`,
    );
  }
} catch (e) {
  if (!(e instanceof PackageError)) throw e;
  process.stderr.write(`${e.code}: ${e.message}\n`);
  process.exitCode = exitCodeOf(e.code);
}
