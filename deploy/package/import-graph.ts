/**
 * The modules a deployable loads and the packages they import, found by walking the compiled
 * import graph from its entry modules: static imports and string-literal dynamic `import()`s are
 * followed alike, except into the modules the deployable `omit`s, which must only ever be reached
 * by a dynamic import (the import is then made at run time or never, and fails plainly without
 * them). A computed `import(x)` is refused: what it loads cannot be known here.
 */
import { readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PackageError } from './errors.js';
import { scanImports } from './scan-imports.js';

export interface GraphOptions {
  /** The directory the module paths are relative to (the repository root, which holds build/). */
  readonly root: string;
  /** Entry modules, relative to `root` (`build/functions/index.js`). */
  readonly entries: readonly string[];
  /** Modules, relative to `root`, that are not followed when a dynamic `import()` names them. */
  readonly omit?: readonly string[];
}

export interface ImportGraph {
  /** Every module reached, relative to `root` with `/` separators, sorted. */
  readonly modules: readonly string[];
  /** Each imported package (its name, without a subpath) with the modules importing it. */
  readonly packages: ReadonlyMap<string, readonly string[]>;
  /** Node built-ins imported (`node:fs`), sorted. */
  readonly builtins: readonly string[];
  /** Each omitted module some reached module imports dynamically, with its importers. */
  readonly omitted: ReadonlyMap<string, readonly string[]>;
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

const posix = (path: string): string => path.split(sep).join('/');

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function add(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

export function importGraph(options: GraphOptions): ImportGraph {
  const root = resolve(options.root);
  const omit = new Set(options.omit ?? []);
  const seen = new Set<string>();
  const packages = new Map<string, string[]>();
  const omitted = new Map<string, string[]>();
  const builtins = new Set<string>();
  const staticallyImported = new Map<string, string>();
  const queue: string[] = [];

  const enqueue = (module: string) => {
    if (!seen.has(module)) {
      seen.add(module);
      queue.push(module);
    }
  };
  for (const entry of options.entries) {
    if (!isFile(join(root, entry))) {
      throw new PackageError(
        'PACKAGE_ERR_NOT_BUILT',
        `entry module ${entry} does not exist under ${root}: expected a compiled file (run npm run build)`,
      );
    }
    enqueue(posix(entry));
  }

  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    if (!module.endsWith('.js') && !module.endsWith('.mjs')) continue;
    const source = readFileSync(join(root, module), 'utf8');
    for (const ref of scanImports(source)) {
      const at = `${module}:${ref.line}`;
      if (ref.specifier === null) {
        throw new PackageError(
          'PACKAGE_ERR_DYNAMIC_IMPORT',
          `${at} imports a computed specifier: expected import('<a string literal>'), so the packaged files can be known`,
        );
      }
      const spec = ref.specifier;
      if (spec.startsWith('node:') || isBuiltin(spec)) {
        builtins.add(spec.startsWith('node:') ? spec : `node:${spec}`);
        continue;
      }
      if (!spec.startsWith('./') && !spec.startsWith('../')) {
        if (isAbsolute(spec) || spec.startsWith('#') || spec.includes(':')) {
          throw new PackageError(
            'PACKAGE_ERR_NOT_BUILT',
            `${at} imports ${JSON.stringify(spec)}: expected a relative path, a package or a node: built-in`,
          );
        }
        add(packages, packageName(spec), module);
        continue;
      }
      const target = posix(relative(root, resolve(root, dirname(module), spec)));
      if (target.startsWith('../') || !isFile(join(root, target))) {
        throw new PackageError(
          'PACKAGE_ERR_NOT_BUILT',
          `${at} imports ${JSON.stringify(spec)}, which resolves to ${target}: expected an existing file inside ${root}`,
        );
      }
      if (omit.has(target)) {
        if (ref.kind === 'static') {
          if (!staticallyImported.has(target)) staticallyImported.set(target, at);
        } else {
          add(omitted, target, module);
        }
        continue;
      }
      enqueue(target);
    }
  }

  for (const [target, at] of staticallyImported) {
    throw new PackageError(
      'PACKAGE_ERR_OMITTED_STATIC',
      `${at} imports ${target} statically, but the deployable omits it: expected only a dynamic import() of it`,
    );
  }
  return {
    modules: [...seen].sort(),
    packages,
    builtins: [...builtins].sort(),
    omitted,
  };
}
