/**
 * Writes one deployable's deploy directory: the compiled modules its import graph reaches (at
 * their paths under build/), the data it reads, a package.json with only the production
 * dependencies those modules import, and the slice of the root package-lock.json they need, so
 * `npm ci --omit=dev` there installs the versions the repository was tested with and nothing
 * else. A directory of the same name in `out` is replaced.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Deployable } from './deployables.js';
import { PackageError } from './errors.js';
import { importGraph } from './import-graph.js';
import { type Lockfile, lockSubset } from './lock-subset.js';

interface RootManifest {
  readonly name: string;
  readonly version: string;
  readonly engines?: { readonly node?: string };
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly allowScripts?: Readonly<Record<string, boolean>>;
}

export interface PackageOptions {
  /** The repository root (holds package.json, package-lock.json and build/). */
  readonly root: string;
  /** The deploy directory is written to `<out>/<deployable name>`. */
  readonly out: string;
}

export interface PackagedDeployable {
  readonly name: string;
  readonly dir: string;
  readonly modules: number;
  readonly dependencies: Readonly<Record<string, string>>;
  /** Entries of the lockfile slice, the root entry not counted. */
  readonly lockedPackages: number;
  readonly data: readonly string[];
  /** Modules left out although a module imports them dynamically. */
  readonly omitted: readonly string[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const writeJson = (path: string, value: unknown): void =>
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** `alertTick` → `runwatch-alert-tick`: npm names are lower case. */
export function packageNameOf(rootName: string, deployable: string): string {
  return `${rootName}-${deployable.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The dependencies `deployable` imports, with the root manifest's ranges. */
function dependenciesOf(
  deployable: Deployable,
  packages: ReadonlyMap<string, readonly string[]>,
  manifest: RootManifest,
): Record<string, string> {
  const dependencies: Record<string, string> = {};
  for (const name of [...packages.keys()].sort()) {
    const importer = (packages.get(name) as readonly string[])[0];
    const reason = deployable.forbid[name];
    if (reason !== undefined) {
      throw new PackageError(
        'PACKAGE_ERR_FORBIDDEN',
        `${deployable.name}: ${importer} imports ${name}, which this deployable must not carry (${reason}): expected it imported only from modules the deployable omits`,
      );
    }
    const range = manifest.dependencies?.[name];
    if (range === undefined) {
      throw new PackageError(
        'PACKAGE_ERR_UNDECLARED',
        `${deployable.name}: ${importer} imports ${name}, which is not in package.json's dependencies: expected every package imported at run time to be a production dependency`,
      );
    }
    dependencies[name] = range;
  }
  return dependencies;
}

export function packageDeployable(
  deployable: Deployable,
  options: PackageOptions,
): PackagedDeployable {
  const { root } = options;
  const manifest = readJson<RootManifest>(join(root, 'package.json'));
  const lock = readJson<Lockfile>(join(root, 'package-lock.json'));
  const graph = importGraph({ root, entries: deployable.entries, omit: deployable.omit });
  const dependencies = dependenciesOf(deployable, graph.packages, manifest);
  for (const path of deployable.data) {
    if (!existsSync(join(root, path))) {
      throw new PackageError(
        'PACKAGE_ERR_DATA_MISSING',
        `${deployable.name}: data ${path} does not exist under ${root}: expected it in the repository (the model package is built by npm run train:model)`,
      );
    }
  }
  const name = packageNameOf(manifest.name, deployable.name);
  const engines = manifest.engines?.node === undefined ? {} : { node: manifest.engines.node };
  const locked = lockSubset(lock, { name, version: manifest.version, dependencies, engines });

  const dir = join(options.out, deployable.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const module of graph.modules) {
    mkdirSync(dirname(join(dir, module)), { recursive: true });
    cpSync(join(root, module), join(dir, module));
  }
  for (const path of deployable.data) {
    cpSync(join(root, path), join(dir, path), { recursive: true });
  }
  // The root's install-script decisions for the packages this install holds (npm 11 reads them).
  const installed = new Set(
    Object.keys(locked.packages).map((location) =>
      location.slice(location.lastIndexOf('node_modules/') + 13),
    ),
  );
  const allowScripts = Object.fromEntries(
    Object.entries(manifest.allowScripts ?? {}).filter(([pkg]) => installed.has(pkg)),
  );
  writeJson(join(dir, 'package.json'), {
    name,
    version: manifest.version,
    private: true,
    description: `runwatch ${deployable.kind} ${deployable.name}, packaged by npm run deploy:package`,
    type: 'module',
    engines,
    main: deployable.main,
    scripts: { start: deployable.start },
    ...(Object.keys(allowScripts).length === 0 ? {} : { allowScripts }),
    dependencies,
  });
  writeJson(join(dir, 'package-lock.json'), locked);
  return {
    name: deployable.name,
    dir,
    modules: graph.modules.length,
    dependencies,
    lockedPackages: Object.keys(locked.packages).length - 1,
    data: deployable.data,
    omitted: [...graph.omitted.keys()].sort(),
  };
}
