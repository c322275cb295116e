import test from 'ava';
import { parseLabels, parseTsv } from '../../training/data.js';
import { TRN_ERR_DATA_INVALID } from '../../training/errors.js';

test('data: a GoEmotions line parses into text, sorted distinct label ids and comment id', (t) => {
  const examples = parseTsv('so happy\t3,0\tabc\nmeh\t4\tdef\n', 'train.tsv', 7);
  t.deepEqual(examples, [
    { text: 'so happy', labels: [0, 3], id: 'abc' },
    { text: 'meh', labels: [4], id: 'def' },
  ]);
});

test('data: a label id outside labels.txt is an error naming the file, line and value', (t) => {
  const error = t.throws(() => parseTsv('fine\t4\ta\nbad\t2,7\tb\n', 'dev.tsv', 7));
  t.is((error as { code?: string }).code, TRN_ERR_DATA_INVALID);
  t.is(
    error?.message,
    'dev.tsv line 2 has label id "7"; expected comma-separated label ids in 0..6',
  );
});

test('data: non-numeric, empty and repeated label ids are refused', (t) => {
  t.regex(
    t.throws(() => parseTsv('x\tjoy\ta', 'f.tsv', 7))?.message ?? '',
    /line 1 has label id "joy"/,
  );
  t.regex(t.throws(() => parseTsv('x\t\ta', 'f.tsv', 7))?.message ?? '', /line 1 has label id ""/);
  t.regex(t.throws(() => parseTsv('x\t-1\ta', 'f.tsv', 7))?.message ?? '', /label id "-1"/);
  t.regex(
    t.throws(() => parseTsv('x\t1,1\ta', 'f.tsv', 7))?.message ?? '',
    /line 1 repeats label id "1"; expected distinct label ids/,
  );
});

test('data: a line without three columns or with an empty text is refused with its line number', (t) => {
  t.is(
    t.throws(() => parseTsv('ok\t1\ta\nno tabs here\n', 'f.tsv', 7))?.message,
    'f.tsv line 2 has 1 tab-separated columns; expected 3 (text, label ids, id)',
  );
  t.is(
    t.throws(() => parseTsv('  \t1\ta', 'f.tsv', 7))?.message,
    'f.tsv line 1 has an empty text; expected a non-empty text in column 1',
  );
});

test('data: labels.txt refuses blank and repeated labels', (t) => {
  t.deepEqual(parseLabels('anger\njoy\n', 'labels.txt'), ['anger', 'joy']);
  t.regex(t.throws(() => parseLabels('anger\nanger\n', 'labels.txt'))?.message ?? '', /line 2/);
  t.regex(t.throws(() => parseLabels('', 'labels.txt'))?.message ?? '', /is empty/);
});
