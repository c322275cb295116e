/**
 * The event catalogue (lib/log-events.ts) is exactly what the code logs: every `event: '…'`
 * literal of an object under service/, functions/, alerts/, stack/ and lib/ is in it, and it
 * lists nothing that no code logs. Filters and runbooks match on these names, so neither a new
 * event nor a renamed one can slip past the catalogue.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { isLogEvent, LOG_EVENTS } from '../../lib/log-events.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCES = ['service', 'functions', 'alerts', 'stack', 'lib'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * `event: '…'` as an object property: after `{`, `,` or at the start of a line. A parameter's
 * type (`on(event: 'SIGTERM', …)`) follows `(` and is not one.
 */
const EVENT_LITERAL = /(?:^|[{,])\s*event:\s*'([^']*)'/gm;

function emitted(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of SOURCES.flatMap(sources)) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(EVENT_LITERAL)) {
      const name = m[1] ?? '';
      found.set(name, [...(found.get(name) ?? []), file]);
    }
  }
  return found;
}

test('log events: the scan finds the events of every area (a scan that finds nothing proves nothing)', (t) => {
  const names = [...emitted().keys()];
  for (const name of [
    'http.request',
    'sweep.probe',
    'sweep.completed',
    'alert.ingested',
    'stack.ready',
  ]) {
    t.true(names.includes(name), name);
  }
  t.false(names.includes('SIGTERM'), 'a parameter type is not an event');
  t.true(names.length >= 80, `${names.length} events`);
});

test('log events: every event the code logs is in the catalogue', (t) => {
  const missing = [...emitted()]
    .filter(([name]) => !isLogEvent(name))
    .map(([name, files]) => `${name} (${files.join(', ')})`);
  t.deepEqual(missing, []);
});

test('log events: the catalogue lists no event that no code logs', (t) => {
  const found = emitted();
  t.deepEqual(
    Object.keys(LOG_EVENTS).filter((name) => !found.has(name)),
    [],
  );
});

test('log events: every meaning is one line of text', (t) => {
  for (const [name, meaning] of Object.entries(LOG_EVENTS)) {
    t.true(meaning.length > 10 && !meaning.includes('\n'), name);
  }
});
