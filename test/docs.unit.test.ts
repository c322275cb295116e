/**
 * The docs are kept honest by the code they describe: generated tables equal what the code
 * renders now, every catalogue code and exit code is documented, every relative link and anchor
 * resolves, and the README stays an entry page with the two-command quick start.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { EXIT_CONFIG } from '../lib/config/problems.js';
import { EXIT } from '../service/start.js';
import { CONFIG_SECTIONS } from '../tools/config-doc.js';
import {
  answerOf,
  CATALOGUES,
  ERRORS_END,
  ERRORS_START,
  renderErrorTables,
} from '../tools/errors-doc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
// Table cells may be padded for alignment; compare with runs of spaces folded.
const fold = (text: string): string => text.replace(/[ \t]+/g, ' ');
// docs/*.md and the runbooks (docs/runbooks/*.md; test/alerts/runbooks.unit.test.ts checks their form).
const DOCS = ['docs', 'docs/runbooks'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `${dir}/${f}`),
);

function between(text: string, start: string, end: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  return a < 0 || b < a ? '' : text.slice(a + start.length, b).trim();
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    anchors.add(slug);
  }
  return anchors;
}

for (const section of CONFIG_SECTIONS) {
  test(`docs: the ${section.name} configuration tables match the settings' docs (npm run docs:config regenerates them)`, (t) => {
    const doc = fold(read('docs/configuration.md'));
    t.true(doc.includes(section.start) && doc.includes(section.end), `${section.name} markers`);
    t.is(between(doc, section.start, section.end), fold(section.render()));
  });
}

test('docs: the error tables match the catalogues (npm run docs:errors regenerates them)', (t) => {
  const doc = read('docs/errors.md');
  t.is(between(doc, ERRORS_START, ERRORS_END), renderErrorTables());
});

test('docs: every catalogue code appears once with its answer, and CFG_ERR_INVALID says exit 78', (t) => {
  const doc = fold(read('docs/errors.md'));
  const codes = CATALOGUES.flatMap((c) => c.specs);
  t.is(new Set(codes.map((s) => s.code)).size, codes.length, 'no code in two catalogues');
  for (const spec of codes) {
    t.true(doc.includes(`| \`${spec.code}\` | ${answerOf(spec)} |`), spec.code);
  }
  t.true(doc.includes(`| \`CFG_ERR_INVALID\` | exit ${EXIT_CONFIG} |`));
});

test('docs: the exit-code table lists every exit code the service uses', (t) => {
  t.is(EXIT.CONFIG, EXIT_CONFIG);
  const doc = read('docs/errors.md');
  for (const code of Object.values(EXIT)) t.regex(doc, new RegExp(`\\n\\| ${code} +\\| `));
});

test('readme: the quick start is exactly the two commands', (t) => {
  const readme = read('README.md');
  const start = readme.indexOf('## Quick start');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1] ?? '';
  const commands = block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
  t.deepEqual(commands, ['npm ci && npm start', 'npm test']);
});

test('readme: an entry page of at most 12 KB', (t) => {
  const size = Buffer.byteLength(read('README.md'));
  t.true(size <= 12 * 1024, `README.md is ${size} bytes`);
});

test('docs: every relative link in the README and docs/ names a file that exists, and its anchor a heading', (t) => {
  const broken: string[] = [];
  for (const file of ['README.md', ...DOCS]) {
    for (const m of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1] ?? '';
      if (/^[a-z]+:/.test(link)) continue;
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? file : join(dirname(file), path);
      if (!existsSync(join(ROOT, target))) {
        broken.push(`${file}: ${link} (no ${target})`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(read(target)).has(anchor)) {
        broken.push(`${file}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
  }
  t.deepEqual(broken, []);
});
