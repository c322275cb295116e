import { readFileSync } from 'node:fs';
import test from 'ava';
import { STORE_ERROR_SPECS } from '../alerts/store/store.js';
import { SCRAPE_ERRORS } from '../alerts/sweep/prometheus-text.js';
import { TARGET_ERRORS } from '../alerts/sweep/targets.js';
import { RULE_ERRORS } from '../alerts/trends/errors.js';
import { SWEEP_ERRORS } from '../functions/shared/errors.js';
import { EXIT_CONFIG } from '../lib/config/problems.js';
import { MODEL_ERRORS } from '../lib/model-package/errors.js';
import { CONFIG_SECTIONS } from '../service/config/docs.js';
import { SERVICE_ERROR_SPECS } from '../service/errors.js';
import { EXIT } from '../service/start.js';
import { STACK_ERRORS } from '../stack/errors.js';
import { TRAINING_ERRORS } from '../training/errors.js';

// Table cells may be padded for alignment; compare with runs of spaces folded.
const fold = (text: string): string => text.replace(/[ \t]+/g, ' ');
const readme = fold(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
const configuration = fold(
  readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8'),
);

test('readme: every error code of every catalogue appears in the errors table', (t) => {
  const codes = [
    ...SERVICE_ERROR_SPECS,
    ...MODEL_ERRORS,
    ...TRAINING_ERRORS,
    ...RULE_ERRORS,
    ...TARGET_ERRORS,
    ...SCRAPE_ERRORS,
    ...SWEEP_ERRORS,
    ...STACK_ERRORS,
    ...STORE_ERROR_SPECS,
  ]
    .map((e) => e.code)
    .concat('CFG_ERR_INVALID');
  const missing = codes.filter((c) => !readme.includes(`| \`${c}\` |`));
  t.deepEqual(missing, []);
});

test("readme: the service error rows state each code's HTTP status", (t) => {
  for (const e of SERVICE_ERROR_SPECS)
    t.true(readme.includes(`| \`${e.code}\` | ${e.statusCode} |`), e.code);
});

for (const section of CONFIG_SECTIONS) {
  test(`docs: the ${section.name} configuration tables match the settings' docs (npm run docs:config regenerates them)`, (t) => {
    const start = configuration.indexOf(section.start);
    const end = configuration.indexOf(section.end);
    t.true(start >= 0 && end > start, `${section.name} markers in docs/configuration.md`);
    t.is(configuration.slice(start + section.start.length, end).trim(), fold(section.render()));
  });
}

test('readme: the exit-code table lists every exit code the service uses', (t) => {
  t.is(EXIT.CONFIG, EXIT_CONFIG);
  for (const code of Object.values(EXIT)) t.regex(readme, new RegExp(`\\n\\| ${code} \\| `));
});

test('readme: the quick start is exactly the two commands', (t) => {
  t.true(readme.includes('npm ci && npm start'));
  t.true(readme.includes('npm test'));
});

test("readme: the local stack's error rows state each code's exit code", (t) => {
  for (const e of STACK_ERRORS)
    t.true(readme.includes(`| \`${e.code}\` | exit ${e.statusCode} |`), e.code);
});
