/**
 * The tree's layers, read from the compiled imports: each top-level folder may import only the
 * folders below it, so the domain (alerts/) never reaches the adapters or deploy tooling built on
 * it, the service and the functions stay apart, and no product code imports the tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { scanImports } from '../deploy/package/scan-imports.js';

const BUILD = fileURLToPath(new URL('../', import.meta.url));

/** What each folder may import besides itself. bench/ measures everything, with test helpers. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  lib: [],
  service: ['lib'],
  alerts: ['lib'],
  functions: ['alerts', 'lib'],
  training: ['lib', 'service'],
  stack: ['alerts', 'functions', 'lib', 'service'],
  tools: ['alerts', 'deploy', 'functions', 'lib', 'service', 'stack', 'training'],
  deploy: ['alerts', 'functions', 'lib', 'service', 'tools'],
  bench: ['alerts', 'functions', 'lib', 'service', 'stack', 'test', 'training'],
};

function compiledModules(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return compiledModules(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

/** Every relative import that crosses from one top-level folder into another. */
function crossings(): { from: string; to: string; module: string; line: number }[] {
  return Object.keys(ALLOWED).flatMap((folder) =>
    compiledModules(join(BUILD, folder)).flatMap((module) =>
      scanImports(readFileSync(module, 'utf8')).flatMap((ref) => {
        if (ref.specifier === null || !ref.specifier.startsWith('.')) return [];
        const to = relative(BUILD, resolve(dirname(module), ref.specifier)).split('/')[0] ?? '';
        return to === folder
          ? []
          : [{ from: folder, to, module: relative(BUILD, module), line: ref.line }];
      }),
    ),
  );
}

test('layers: every import between top-level folders goes down the allowed direction', (t) => {
  const all = crossings();
  // The scan sees the real tree: the domain is imported from above.
  t.true(all.some((c) => c.from === 'functions' && c.to === 'alerts'));
  const wrong = all
    .filter((c) => !ALLOWED[c.from]?.includes(c.to))
    .map(
      (c) =>
        `${c.module}:${c.line} imports ${c.to}/ (${c.from}/ may import ${ALLOWED[c.from]?.join(', ') || 'nothing outside itself'})`,
    );
  t.deepEqual(wrong, []);
});
