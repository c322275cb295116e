import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { DEPLOYABLES, SERVICE } from '../../../deploy/package/deployables.js';
import { PackageError } from '../../../deploy/package/errors.js';
import { importGraph, packageName } from '../../../deploy/package/import-graph.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A tree of compiled modules under a new temporary root. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'runwatch-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const FIXTURE = {
  'build/entry.js': [
    "import { a } from './lib/a.js';",
    "import fs from 'node:fs';",
    "import path from 'path';",
    "import pkg from 'pkg/sub/path.js';",
    "import data from './data.json' with { type: 'json' };",
    'export async function open(kind) {',
    "  if (kind === 'heavy') return import('./lazy/heavy.js');",
    "  return import('./lazy/light.js');",
    '}',
  ].join('\n'),
  'build/lib/a.js':
    "import { b } from '../lib/b.js';\nimport s from '@scope/pkg';\nexport const a = 1;",
  // A cycle back to a: walked once.
  'build/lib/b.js': "import { a } from './a.js';\nexport const b = 2;",
  'build/data.json': '{}',
  'build/lazy/heavy.js': "import native from 'native-addon';\nexport const h = 1;",
  'build/lazy/light.js': "import { b } from '../lib/b.js';\nexport const l = 1;",
};

test('importGraph: static and literal dynamic imports are followed, packages and built-ins collected, a cycle walked once', (t) => {
  const root = tree(FIXTURE);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const g = importGraph({ root, entries: ['build/entry.js'] });
  t.deepEqual(g.modules, [
    'build/data.json',
    'build/entry.js',
    'build/lazy/heavy.js',
    'build/lazy/light.js',
    'build/lib/a.js',
    'build/lib/b.js',
  ]);
  t.deepEqual([...g.packages.keys()].sort(), ['@scope/pkg', 'native-addon', 'pkg']);
  t.deepEqual(g.packages.get('native-addon'), ['build/lazy/heavy.js']);
  t.deepEqual(g.builtins, ['node:fs', 'node:path']);
  t.is(g.omitted.size, 0);
});

test('importGraph: an omitted module reached by a dynamic import is left out with what it imports, and reported', (t) => {
  const root = tree(FIXTURE);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const g = importGraph({ root, entries: ['build/entry.js'], omit: ['build/lazy/heavy.js'] });
  t.false(g.modules.includes('build/lazy/heavy.js'));
  t.false(g.packages.has('native-addon'));
  t.deepEqual([...g.omitted], [['build/lazy/heavy.js', ['build/entry.js']]]);
});

test('importGraph: an omitted module imported statically is PACKAGE_ERR_OMITTED_STATIC naming the importer and line', (t) => {
  const root = tree(FIXTURE);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const e = t.throws(
    () => importGraph({ root, entries: ['build/entry.js'], omit: ['build/lib/b.js'] }),
    {
      instanceOf: PackageError,
    },
  );
  t.is(e?.code, 'PACKAGE_ERR_OMITTED_STATIC');
  t.is(
    e?.message,
    'build/lib/a.js:1 imports build/lib/b.js statically, but the deployable omits it: expected only a dynamic import() of it',
  );
});

test('importGraph: a computed dynamic import is PACKAGE_ERR_DYNAMIC_IMPORT naming the module and line', (t) => {
  const root = tree({ 'build/e.js': "const x = './a.js';\nawait import(x);" });
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const e = t.throws(() => importGraph({ root, entries: ['build/e.js'] }), {
    instanceOf: PackageError,
  });
  t.is(e?.code, 'PACKAGE_ERR_DYNAMIC_IMPORT');
  t.regex(
    e?.message ?? '',
    /^build\/e\.js:2 imports a computed specifier: expected import\('<a string literal>'\)/,
  );
});

test('importGraph: a missing entry or imported file is PACKAGE_ERR_NOT_BUILT naming it', (t) => {
  const root = tree({ 'build/e.js': "import './gone.js';" });
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const missing = t.throws(() => importGraph({ root, entries: ['build/nope.js'] }), {
    instanceOf: PackageError,
  });
  t.is(missing?.code, 'PACKAGE_ERR_NOT_BUILT');
  t.regex(missing?.message ?? '', /entry module build\/nope\.js does not exist/);
  const gone = t.throws(() => importGraph({ root, entries: ['build/e.js'] }), {
    instanceOf: PackageError,
  });
  t.is(gone?.code, 'PACKAGE_ERR_NOT_BUILT');
  t.regex(
    gone?.message ?? '',
    /^build\/e\.js:1 imports "\.\/gone\.js", which resolves to build\/gone\.js: expected an existing file/,
  );
});

test('packageName: a subpath import names its package, scoped or not', (t) => {
  t.is(packageName('pg'), 'pg');
  t.is(packageName('pino/file'), 'pino');
  t.is(
    packageName('@google-cloud/functions-framework/testing'),
    '@google-cloud/functions-framework',
  );
});

const fn = DEPLOYABLES.find((d) => d.name === 'alertTick');

test('functions graph: the compiled source reaches pg and the Functions Framework but neither onnxruntime-node nor better-sqlite3', (t) => {
  if (fn === undefined) return t.fail('no alertTick deployable');
  const g = importGraph({ root: ROOT, entries: fn.entries, omit: fn.omit });
  t.true(g.packages.has('pg'));
  t.true(g.packages.has('@google-cloud/functions-framework'));
  t.false(g.packages.has('onnxruntime-node'));
  t.false(g.packages.has('better-sqlite3'));
  t.true(g.modules.includes('build/alerts/store/postgres.js'));
  t.deepEqual([...g.omitted.keys()].sort(), [...fn.omit].sort());
  t.deepEqual(g.omitted.get('build/alerts/store/sqlite.js'), ['build/alerts/store/open.js']);
});

test('service graph: the service reaches onnxruntime-node and fastify, and no store driver nor the Functions Framework', (t) => {
  const g = importGraph({ root: ROOT, entries: SERVICE.entries, omit: SERVICE.omit });
  t.true(g.packages.has('onnxruntime-node'));
  t.true(g.packages.has('fastify'));
  for (const p of ['pg', 'better-sqlite3', '@google-cloud/functions-framework'])
    t.false(g.packages.has(p), p);
  t.false(g.modules.some((m) => m.startsWith('build/functions/') || m.startsWith('build/alerts/')));
});
