/**
 * The part of a package-lock.json (lockfileVersion 3) that a subset of its root dependencies
 * needs: every `packages` entry reachable from them, at the same location with the same version
 * and integrity, so `npm ci` in a deploy directory installs exactly what the repository's tests
 * ran against. Entries keep their fields; the dependency-type flags (`dev`, `optional`,
 * `devOptional`, `peer`) are recomputed for the subset, since a package the whole repository
 * needs only for development may be a production package of no deployable, or the reverse.
 *
 * Why a walker of our own: `npm` has no command that writes a lockfile for part of a package
 * (`npm ci` and `npm prune` work on the whole one, and `npm install` in a fresh directory
 * resolves again, possibly to versions nobody tested). pnpm's `deploy` and `isolate-package` /
 * `generate-lockfile` do this for a workspace member's own package.json; our deployables are not
 * workspace members but import-graph slices of one package. Arborist (npm's engine) would
 * re-resolve against the registry rather than cut the tree it already has.
 *
 * Resolution follows Node's: a dependency of the package at `node_modules/a` is found at
 * `node_modules/a/node_modules/<name>`, else in each enclosing `node_modules` up to the root.
 */
import { PackageError } from './errors.js';

export interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly peer?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly [field: string]: unknown;
}

export interface Lockfile {
  readonly name?: string;
  readonly version?: string;
  readonly lockfileVersion: number;
  readonly requires?: boolean;
  readonly packages: Readonly<Record<string, LockEntry>>;
  readonly [field: string]: unknown;
}

export interface SubsetRoot {
  readonly name: string;
  readonly version: string;
  /** The deploy directory's dependencies, name → range, as its package.json has them. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Copied to the root entry (`packages[""]`), as npm writes it there. */
  readonly engines?: Readonly<Record<string, string>>;
}

type EdgeType = 'prod' | 'optional' | 'peer';

/** Where `name`, required by the package at `from` ('' is the root), is installed, or undefined. */
export function resolveLocation(
  packages: Readonly<Record<string, LockEntry>>,
  from: string,
  name: string,
): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (Object.hasOwn(packages, candidate)) return candidate;
    if (base === '') return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function edgesOf(entry: LockEntry): [string, EdgeType][] {
  const edges: [string, EdgeType][] = [];
  for (const name of Object.keys(entry.dependencies ?? {})) edges.push([name, 'prod']);
  for (const name of Object.keys(entry.optionalDependencies ?? {})) edges.push([name, 'optional']);
  // npm installs a peer dependency unless it is marked optional; an optional one is only there
  // when something else depends on it, and is reached through that.
  for (const name of Object.keys(entry.peerDependencies ?? {})) {
    if (entry.peerDependenciesMeta?.[name]?.optional !== true) edges.push([name, 'peer']);
  }
  return edges;
}

interface Reach {
  /** Reached by a path of non-optional edges. */
  required: boolean;
  /** Reached by a path without a peer edge. */
  direct: boolean;
}

/** The lockfile for `root`'s dependencies, cut from `lock`. */
export function lockSubset(lock: Lockfile, root: SubsetRoot): Lockfile {
  if (lock.lockfileVersion !== 3 || typeof lock.packages !== 'object' || lock.packages === null) {
    throw new PackageError(
      'PACKAGE_ERR_LOCK',
      `package-lock.json has lockfileVersion ${JSON.stringify(lock.lockfileVersion)}: expected 3 with a packages map (npm 9 or later writes it)`,
    );
  }
  const packages = lock.packages;
  const reach = new Map<string, Reach>();
  const queue: [string, Reach][] = [];

  const visit = (location: string, via: Reach) => {
    const known = reach.get(location);
    const next: Reach = {
      required: via.required || (known?.required ?? false),
      direct: via.direct || (known?.direct ?? false),
    };
    if (known !== undefined && known.required === next.required && known.direct === next.direct) {
      return;
    }
    reach.set(location, next);
    queue.push([location, next]);
  };

  for (const name of Object.keys(root.dependencies)) {
    const location = resolveLocation(packages, '', name);
    if (location === undefined) {
      throw new PackageError(
        'PACKAGE_ERR_LOCK',
        `dependency ${name} has no entry node_modules/${name} in package-lock.json: expected the lockfile to be in step with package.json (run npm install)`,
      );
    }
    visit(location, { required: true, direct: true });
  }

  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const [location, via] = item;
    const entry = packages[location] as LockEntry;
    if (entry.link === true) {
      throw new PackageError(
        'PACKAGE_ERR_LOCK',
        `package-lock.json entry ${location} is a link (a workspace or file: dependency): expected registry packages only in a deployable`,
      );
    }
    for (const [name, type] of edgesOf(entry)) {
      const target = resolveLocation(packages, location, name);
      if (target === undefined) {
        // An optional dependency for another platform is not in the tree at all.
        if (type === 'optional') continue;
        throw new PackageError(
          'PACKAGE_ERR_LOCK',
          `${location} depends on ${name}, which package-lock.json does not hold at ${location}/node_modules/${name} nor in an enclosing node_modules: expected a complete lockfile (run npm install)`,
        );
      }
      visit(target, {
        required: via.required && type !== 'optional',
        direct: via.direct && type !== 'peer',
      });
    }
  }

  const subset: Record<string, LockEntry> = {
    '': {
      name: root.name,
      version: root.version,
      dependencies: { ...root.dependencies },
      ...(root.engines === undefined ? {} : { engines: { ...root.engines } }),
    },
  };
  for (const location of [...reach.keys()].sort()) {
    const {
      dev: _dev,
      optional: _o,
      devOptional: _d,
      peer: _p,
      ...fields
    } = packages[location] as LockEntry;
    const flags = reach.get(location) as Reach;
    subset[location] = {
      ...fields,
      ...(flags.required ? {} : { optional: true }),
      ...(flags.direct ? {} : { peer: true }),
    };
  }
  return {
    name: root.name,
    version: root.version,
    lockfileVersion: 3,
    requires: true,
    packages: subset,
  };
}
