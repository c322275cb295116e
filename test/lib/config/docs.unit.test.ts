import test from 'ava';
import { markdownTable, replaceSection, settingRows } from '../../../lib/config/docs.js';
import { integer, text } from '../../../lib/config/formats.js';
import { byEnvironment, byPlatform } from '../../../lib/config/presets.js';
import { setting } from '../../../lib/config/settings.js';

const tree = {
  fixed: setting({ env: 'A', doc: 'fixed', format: integer(0, 9), default: 3 }),
  nested: {
    env: setting({
      env: 'B',
      doc: 'per env',
      format: integer(0, 9),
      default: byEnvironment(1, 2, 3),
    }),
    plat: setting({
      env: 'C',
      doc: 'per platform',
      format: integer(0, 9),
      default: byPlatform(4, 5, 6),
    }),
  },
  unset: setting({ env: 'D', doc: 'a | b', format: text, default: null }),
  told: setting({ env: 'E', doc: 'told', format: text, default: null, defaultDoc: '(alias)' }),
};

test('config docs: one row per setting in declaration order, each default as the docs show it', (t) => {
  t.deepEqual(settingRows(tree), [
    { variable: 'A', default: '3', doc: 'fixed' },
    { variable: 'B', default: '1 / 2 / 3 (prod / staging / dev)', doc: 'per env' },
    {
      variable: 'C',
      default: '4 / 5 / 6 (Cloud Run / Kubernetes / elsewhere)',
      doc: 'per platform',
    },
    { variable: 'D', default: '(none)', doc: 'a | b' },
    { variable: 'E', default: '(alias)', doc: 'told' },
  ]);
});

test('config docs: a table escapes the pipes in its cells', (t) => {
  t.is(
    markdownTable([{ variable: 'D', default: '(none)', doc: 'a | b' }]),
    '| variable | default | meaning |\n|---|---|---|\n| `D` | (none) | a \\| b |',
  );
});

const section = { name: 'test', start: '<!-- s -->', end: '<!-- e -->', render: () => 'new' };

test('config docs: a section is rewritten between its markers, the rest kept', (t) => {
  t.is(
    replaceSection('head\n<!-- s -->\nold\n<!-- e -->\ntail', section),
    'head\n<!-- s -->\nnew\n<!-- e -->\ntail',
  );
});

test('config docs: a file without the markers is refused, naming the section', (t) => {
  t.throws(() => replaceSection('no markers', section), { message: /the test section's markers/ });
});
