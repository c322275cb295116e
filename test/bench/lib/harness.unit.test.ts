import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  type BenchResult,
  benchmarksMarkdown,
  interleaveRounds,
  labNotesOf,
  RESULTS_DIR,
} from '../../../bench/lib/harness.js';

const result = (bench: string): BenchResult => ({
  bench,
  date: '2026-12-01T00:00:00.000Z',
  node: 'v20.20.2',
  cpu: '2 × cpu',
  rounds: 1,
  setup: { core: 0 },
  variants: { a: { 'req/s': { min: 1, median: 2, max: 3 } } },
  raw: { a: [{ 'req/s': 2 }] },
  verdicts: [{ target: 'fast', met: true, detail: '2 req/s' }],
  notes: ['method'],
});

const block = (bench: string, text: string) =>
  `<!-- lab-notes:${bench} -->\n${text}\n<!-- /lab-notes:${bench} -->`;

test('benchmarks doc: a lab-notes block is kept under its own bench section', (t) => {
  const notes = block('one', '### Lab notes\n\n- found by hand');
  const doc = benchmarksMarkdown([result('one'), result('two')], labNotesOf(`old\n${notes}\nold`));
  const one = doc.indexOf('## one');
  const two = doc.indexOf('## two');
  const at = doc.indexOf(notes);
  t.true(one < at && at < two, doc);
  t.is(doc.split(notes).length, 2);
});

test('benchmarks doc: regenerating a doc leaves its lab notes as they were', (t) => {
  const notes = labNotesOf(block('one', '- once'));
  const doc = benchmarksMarkdown([result('one')], notes);
  t.is(benchmarksMarkdown([result('one')], labNotesOf(doc)), doc);
});

test('benchmarks doc: lab notes of a bench without a result file are kept at the end', (t) => {
  const doc = benchmarksMarkdown([result('one')], labNotesOf(block('gone', '- kept')));
  t.true(doc.endsWith(`## gone\n\n${block('gone', '- kept')}\n`), doc);
});

test('benchmarks doc: the committed doc is what the committed result files render', (t) => {
  const root = join(RESULTS_DIR, '..', '..');
  const committed = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
  const results = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchResult);
  t.is(benchmarksMarkdown(results, labNotesOf(committed)), committed);
});

test('bench harness: rounds alternate the variant order and keep each variant in round order', async (t) => {
  const calls: string[] = [];
  const raw = await interleaveRounds(3, {
    a: async (r) => {
      calls.push(`a${r}`);
      return r;
    },
    b: async (r) => {
      calls.push(`b${r}`);
      return 10 + r;
    },
  });
  t.deepEqual(calls, ['a0', 'b0', 'b1', 'a1', 'a2', 'b2']);
  t.deepEqual(raw, { a: [0, 1, 2], b: [10, 11, 12] });
});
