/**
 * What the deployables import must be installed by a production install (`npm ci --omit=dev`):
 * every package a module of service/, functions/, alerts/, stack/ or lib/ imports at run time is
 * a dependency, not a devDependency. (CI also loads every entry point from such an install.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOYED = ['service', 'functions', 'alerts', 'stack', 'lib'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Package names of the value (not type-only) imports of `text`. */
function runtimeImports(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^'.][^']*)'/gm)) {
    const spec = m[1] ?? '';
    if (spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    names.push(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? spec));
  }
  for (const m of text.matchAll(/import\(\s*'([^'.][^']*)'\s*\)/g)) names.push(m[1] ?? '');
  return names;
}

test('dependencies: every package the deployables import at run time is a production dependency', (t) => {
  const missing: string[] = [];
  for (const file of DEPLOYED.flatMap(sources)) {
    for (const name of runtimeImports(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!(name in pkg.dependencies)) missing.push(`${file}: ${name}`);
    }
  }
  t.deepEqual(missing, []);
});

test('install policy: engines admit only npm 11.16 or later, which honours allowScripts, and onnxruntime-node runs no install script', (t) => {
  const manifest = pkg as unknown as {
    engines: { npm?: string };
    packageManager?: string;
    allowScripts: Record<string, boolean>;
  };
  const floor = /^>=(\d+)\.(\d+)/.exec(manifest.engines.npm ?? '');
  t.truthy(floor, `engines.npm is ${manifest.engines.npm}; expected a >= floor`);
  const [major, minor] = [Number(floor?.[1]), Number(floor?.[2])];
  t.true(major > 11 || (major === 11 && minor >= 16), manifest.engines.npm);
  t.regex(manifest.packageManager ?? '', /^npm@(1[1-9]|[2-9]\d)\./);
  t.is(manifest.allowScripts['onnxruntime-node'], false);
});
