import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { PackageError } from '../../../deploy/package/errors.js';
import { type Lockfile, lockSubset, resolveLocation } from '../../../deploy/package/lock-subset.js';

const entry = (version: string, more: Record<string, unknown> = {}) => ({
  version,
  integrity: `sha512-${version}`,
  ...more,
});

/** a → c, f (nested), e? (optional, present), d? (optional, absent: another platform's), g (peer), h (optional peer); b is dev only. */
const LOCK: Lockfile = {
  name: 'root',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'root', version: '1.0.0', dependencies: { a: '1' }, devDependencies: { b: '1' } },
    'node_modules/a': entry('1.0.0', {
      dependencies: { c: '^1', f: '^2' },
      optionalDependencies: { d: '1', e: '1' },
      peerDependencies: { g: '1', h: '1' },
      peerDependenciesMeta: { h: { optional: true } },
    }),
    'node_modules/a/node_modules/f': entry('2.0.0'),
    'node_modules/b': entry('1.0.0', { dev: true, dependencies: { f: '^1', c: '^1' } }),
    'node_modules/c': entry('1.0.0', { devOptional: true, license: 'MIT' }),
    'node_modules/e': entry('1.0.0', { optional: true, os: ['linux'] }),
    'node_modules/f': entry('1.0.0', { dev: true }),
    'node_modules/g': entry('1.0.0', { peer: true }),
    'node_modules/h': entry('1.0.0', { dev: true }),
  },
};

test('resolveLocation: the nearest node_modules wins, then each enclosing one up to the root', (t) => {
  t.is(resolveLocation(LOCK.packages, 'node_modules/a', 'f'), 'node_modules/a/node_modules/f');
  t.is(resolveLocation(LOCK.packages, 'node_modules/b', 'f'), 'node_modules/f');
  t.is(resolveLocation(LOCK.packages, 'node_modules/a/node_modules/f', 'c'), 'node_modules/c');
  t.is(resolveLocation(LOCK.packages, '', 'zzz'), undefined);
  const scoped = {
    'node_modules/@s/p/node_modules/q': entry('1.0.0'),
    'node_modules/q': entry('2.0.0'),
  };
  t.is(resolveLocation(scoped, 'node_modules/@s/p', 'q'), 'node_modules/@s/p/node_modules/q');
});

test('lockSubset: what the dependencies reach is kept at its location with its fields; the rest is cut', (t) => {
  const subset = lockSubset(LOCK, {
    name: 'pkg',
    version: '2.0.0',
    dependencies: { a: '1' },
    engines: { node: '20' },
  });
  t.deepEqual(Object.keys(subset.packages), [
    '',
    'node_modules/a',
    'node_modules/a/node_modules/f',
    'node_modules/c',
    'node_modules/e',
    'node_modules/g',
  ]);
  t.deepEqual(subset.packages[''], {
    name: 'pkg',
    version: '2.0.0',
    dependencies: { a: '1' },
    engines: { node: '20' },
  });
  t.deepEqual(subset.packages['node_modules/c'], {
    version: '1.0.0',
    integrity: 'sha512-1.0.0',
    license: 'MIT',
  });
  t.is(subset.lockfileVersion, 3);
  t.is(subset.name, 'pkg');
});

test('lockSubset: flags are recomputed for the subset: optional-only is optional, peer-only is peer, dev is gone', (t) => {
  const p = lockSubset(LOCK, { name: 'pkg', version: '1.0.0', dependencies: { a: '1' } }).packages;
  t.is(p['node_modules/e']?.optional, true);
  t.deepEqual(p['node_modules/e']?.os, ['linux']);
  t.is(p['node_modules/g']?.peer, true);
  for (const location of Object.keys(p)) {
    t.is(p[location]?.dev, undefined, location);
    t.is(p[location]?.devOptional, undefined, location);
  }
  t.is(p['node_modules/c']?.optional, undefined);
  t.is(p['node_modules/h'], undefined, 'an optional peer nobody else needs is not installed');
});

test('lockSubset: a lockfile other than version 3 is PACKAGE_ERR_LOCK naming the version', (t) => {
  const e = t.throws(
    () =>
      lockSubset({ ...LOCK, lockfileVersion: 2 }, { name: 'p', version: '1', dependencies: {} }),
    {
      instanceOf: PackageError,
    },
  );
  t.is(e?.code, 'PACKAGE_ERR_LOCK');
  t.regex(e?.message ?? '', /lockfileVersion 2: expected 3/);
});

test('lockSubset: a dependency or a required edge the lock lacks is PACKAGE_ERR_LOCK naming it', (t) => {
  const missingRoot = t.throws(
    () => lockSubset(LOCK, { name: 'p', version: '1', dependencies: { zzz: '1' } }),
    {
      instanceOf: PackageError,
    },
  );
  t.regex(
    missingRoot?.message ?? '',
    /^dependency zzz has no entry node_modules\/zzz in package-lock\.json/,
  );
  const broken: Lockfile = {
    ...LOCK,
    packages: {
      ...LOCK.packages,
      'node_modules/c': entry('1.0.0', { dependencies: { gone: '1' } }),
    },
  };
  const missingEdge = t.throws(
    () => lockSubset(broken, { name: 'p', version: '1', dependencies: { a: '1' } }),
    {
      instanceOf: PackageError,
    },
  );
  t.is(missingEdge?.code, 'PACKAGE_ERR_LOCK');
  t.regex(
    missingEdge?.message ?? '',
    /^node_modules\/c depends on gone, which package-lock\.json does not hold/,
  );
});

const ROOT_LOCK = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../../package-lock.json', import.meta.url)), 'utf8'),
) as Lockfile;
const ROOT_ENTRY = ROOT_LOCK.packages[''] as { dependencies: Record<string, string> };

test("lockSubset: of the repository's lock for its production dependencies, it agrees with npm: every non-dev entry, optional where npm says optional or devOptional", (t) => {
  const subset = lockSubset(ROOT_LOCK, {
    name: 'runwatch',
    version: '0',
    dependencies: ROOT_ENTRY.dependencies,
  });
  const npmProduction = Object.keys(ROOT_LOCK.packages).filter(
    (l) => l !== '' && ROOT_LOCK.packages[l]?.dev !== true,
  );
  const ours = Object.keys(subset.packages).filter((l) => l !== '');
  t.deepEqual(ours.sort(), npmProduction.sort());
  for (const location of ours) {
    const npm = ROOT_LOCK.packages[location];
    t.is(
      subset.packages[location]?.optional === true,
      npm?.optional === true || npm?.devOptional === true,
      location,
    );
    t.is(subset.packages[location]?.integrity, npm?.integrity, location);
    t.is(subset.packages[location]?.version, npm?.version, location);
  }
});

test("lockSubset: of the repository's lock for one package, only that package's tree", (t) => {
  const subset = lockSubset(ROOT_LOCK, {
    name: 'p',
    version: '0',
    dependencies: { pg: ROOT_ENTRY.dependencies.pg as string },
  });
  const names = Object.keys(subset.packages).filter((l) => l !== '');
  t.true(names.includes('node_modules/pg'));
  t.true(
    names.every((l) => /(^|\/)node_modules\/(pg|pg-.+|postgres-.+|pgpass|split2|xtend)$/.test(l)),
    names.join(' '),
  );
});
