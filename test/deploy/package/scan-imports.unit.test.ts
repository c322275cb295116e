import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { scanImports } from '../../../deploy/package/scan-imports.js';

const specifiers = (src: string) => scanImports(src).map((r) => [r.kind, r.specifier]);

test('scanImports: static declarations of every form name their module', (t) => {
  const src = [
    "import { a, b as c } from './a.js';",
    "import d from 'pkg';",
    "import * as ns from '@scope/pkg/sub';",
    "import './side-effect.js';",
    'import e, { f } from "double";',
    "export * from './re.js';",
    "export * as m from './ns.js';",
    "export { g } from './g.js';",
    'import {',
    '  h,',
    "} from './multi-line.js';",
  ].join('\n');
  t.deepEqual(specifiers(src), [
    ['static', './a.js'],
    ['static', 'pkg'],
    ['static', '@scope/pkg/sub'],
    ['static', './side-effect.js'],
    ['static', 'double'],
    ['static', './re.js'],
    ['static', './ns.js'],
    ['static', './g.js'],
    ['static', './multi-line.js'],
  ]);
});

test('scanImports: a dynamic import of a literal names its module, with its line', (t) => {
  const refs = scanImports(
    'const x = 1;\nconst m = await import(\'./lazy.js\');\nimport("./two.js", { with: {} });',
  );
  t.deepEqual(refs, [
    { kind: 'dynamic', specifier: './lazy.js', line: 2 },
    { kind: 'dynamic', specifier: './two.js', line: 3 },
  ]);
});

test('scanImports: a dynamic import of a computed value is reported with no specifier', (t) => {
  t.deepEqual(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source under test
    specifiers('await import(entry);\nawait import(`./${name}.js`);\nimport("./a" + b);'),
    [
      ['dynamic', null],
      ['dynamic', null],
      ['dynamic', null],
    ],
  );
});

test('scanImports: imports quoted in comments, strings, templates and regular expressions are not imports', (t) => {
  const src = [
    "// import x from 'comment';",
    "/* import('block-comment') */",
    'const s = "import y from \'string\'";',
    "const u = 'it\\'s import(\"escaped\")';",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source under test
    "const tpl = `import('template') ${\"nested\" + `import('deep')`} import z from 'tail'`;",
    "const re = /import('regex')['\"]/g;",
    "const div = a / b; import('./after-division.js');",
    "if (ok) { return /'/.test(q); }",
    "import('./real.js');",
  ].join('\n');
  t.deepEqual(specifiers(src), [
    ['dynamic', './after-division.js'],
    ['dynamic', './real.js'],
  ]);
});

test('scanImports: import.meta, a method named import and exports of values import nothing', (t) => {
  const src = [
    "const url = new URL('../x.json', import.meta.url);",
    "loader.import('./not-a-module.js');",
    "export const name = 'value';",
    'export function f() { return 1; }',
    'export { a, b };',
    "export default 'x';",
  ].join('\n');
  t.deepEqual(specifiers(src), []);
});

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function compiled(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return compiled(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

test("scanImports: on tsc's output of the deployables it finds exactly the one-line import and export declarations", (t) => {
  const files = ['service', 'functions', 'alerts', 'lib', 'stack'].flatMap((d) =>
    compiled(join('build', d)),
  );
  t.true(files.length > 100, `${files.length} compiled modules`);
  for (const file of files) {
    const src = readFileSync(join(ROOT, file), 'utf8');
    const declared = [
      ...src.matchAll(
        /^(?:import\s[^'"\n]*?from\s|import\s|export\s[^'"\n=]*?from\s)'([^']+)'(?: with \{[^}]*\})?;$/gm,
      ),
    ].map((m) => m[1]);
    const found = scanImports(src)
      .filter((r) => r.kind === 'static')
      .map((r) => r.specifier);
    t.deepEqual(found, declared, file);
  }
});
