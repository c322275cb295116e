import { readFileSync } from 'node:fs';
import test from 'ava';
import { STORE_ERROR_SPECS } from '../alerts/store/store.js';
import { SCRAPE_ERRORS } from '../alerts/sweep/prometheus-text.js';
import { TARGET_ERRORS } from '../alerts/sweep/targets.js';
import { RULE_ERRORS } from '../alerts/trends/errors.js';
import { SWEEP_ERRORS } from '../functions/shared/errors.js';
import { EXIT_CONFIG } from '../lib/config-kit.js';
import { MODEL_ERRORS } from '../lib/model-package/errors.js';
import { CONFIG_END, CONFIG_START, renderConfigTable } from '../service/config/docs.js';
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

test('docs: the configuration table matches the schema docs (npm run docs:config regenerates it)', (t) => {
  const start = configuration.indexOf(CONFIG_START) + CONFIG_START.length;
  const end = configuration.indexOf(CONFIG_END);
  t.is(configuration.slice(start, end).trim(), fold(renderConfigTable()));
});

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
