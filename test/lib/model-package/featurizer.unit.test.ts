import test from 'ava';
import fc from 'fast-check';
import {
  createFeaturizer,
  extractFeatures,
  featureId,
  featureIds,
  fnv1a32,
  tokenize,
} from '../../../lib/model-package/featurizer.js';
import type { FeaturizerSpec } from '../../../lib/model-package/package.js';

const SPEC: FeaturizerSpec = {
  type: 'hashed-ngrams',
  version: 1,
  buckets: 262144,
  lowercase: true,
  word_ngrams: [1, 2],
  char_ngrams: [3],
  max_features: 256,
};

const encoder = new TextEncoder();

/** Any texts, biased towards the characters the tokenizer treats specially. */
const textsArbitrary = fc.array(
  fc.string({
    unit: fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("'", '’', ' ', '😀', '\u0301', 'A', 'é'),
    ),
    maxLength: 80,
  }),
  { maxLength: 8 },
);

function rowOf(ids: BigInt64Array, cols: number, row: number): number[] {
  return Array.from(ids.subarray(row * cols, (row + 1) * cols), Number);
}

test('fnv1a32: matches the published FNV-1a 32-bit test vectors', (t) => {
  t.is(fnv1a32(encoder.encode('')), 0x811c9dc5);
  t.is(fnv1a32(encoder.encode('a')), 0xe40c292c);
  t.is(fnv1a32(encoder.encode('foobar')), 0xbf9cf968);
});

test('featurizer: ids of a pinned text never change (the scheme is a frozen format)', (t) => {
  // Pinned when featurizer version 1 was written: if this fails, every trained model's ids moved.
  const { ids, rows, cols } = createFeaturizer(SPEC).featurize(['I’m SO happy 😀!']);
  t.is(rows, 1);
  t.deepEqual(
    rowOf(ids, cols, 0),
    [
      6223, 4687, 223264, 137137, 107940, 95324, 50667, 15183, 137951, 133800, 179727, 92047,
      121950, 226587, 16440, 211095, 17163, 119813,
    ],
  );
});

test('featurizer: features follow the documented order, word then char n-grams per token', (t) => {
  t.deepEqual(extractFeatures('Hi you', SPEC), [
    'w:hi',
    'w:hi you',
    'c:<hi',
    'c:hi>',
    'w:you',
    'c:<yo',
    'c:you',
    'c:ou>',
  ]);
});

test('featurizer: the same texts give the same ids, across calls and featurizers', (t) => {
  fc.assert(
    fc.property(textsArbitrary, (texts) => {
      const first = createFeaturizer(SPEC).featurize(texts);
      const again = createFeaturizer(SPEC).featurize(texts);
      t.deepEqual(again, first);
      t.deepEqual(createFeaturizer(SPEC).featurize(texts), first);
    }),
  );
});

test('featurizer: every id is padding or a bucket in 1..buckets-1', (t) => {
  const spec = { ...SPEC, buckets: 7 };
  fc.assert(
    fc.property(textsArbitrary, (texts) => {
      const { ids } = createFeaturizer(spec).featurize(texts);
      t.true(ids.every((id) => id >= 0n && id < 7n));
    }),
  );
  t.is(featureId('w:anything', 2, encoder), 1);
});

test('featurizer: apostrophes are kept inside words', (t) => {
  t.deepEqual(tokenize("I'm sure it's rock'n'roll", true), ["i'm", 'sure', "it's", "rock'n'roll"]);
  // Typographic apostrophes become ASCII ones, so both spellings share features.
  t.deepEqual(tokenize('don’t don\u02BCt', true), ["don't", "don't"]);
});

test('featurizer: apostrophes at word edges or doubled are separators', (t) => {
  t.deepEqual(tokenize("'quoted' dogs' don''t", true), ['quoted', 'dogs', 'don', 't']);
});

test('featurizer: each emoji or other symbol code point is its own token', (t) => {
  t.deepEqual(tokenize('love😀😀it', false), ['love', '😀', '😀', 'it']);
  // Skin-tone modifiers are symbols too; the variation selector after ❤ is dropped.
  t.deepEqual(tokenize('👍🏽 ❤️ 5$ a+b', false), ['👍', '🏽', '❤', '5', '$', 'a', '+', 'b']);
});

test('featurizer: punctuation and whitespace separate tokens and are dropped', (t) => {
  t.deepEqual(tokenize('Hello,   world!!! (really?)', true), ['hello', 'world', 'really']);
});

test('featurizer: lowercase is applied only when the spec asks for it', (t) => {
  t.deepEqual(tokenize('ÉTÉ Hot', true), ['été', 'hot']);
  t.deepEqual(tokenize('ÉTÉ Hot', false), ['ÉTÉ', 'Hot']);
});

test('featurizer: composed and decomposed accents give the same ids', (t) => {
  const { ids, cols } = createFeaturizer(SPEC).featurize(['café', 'cafe\u0301']);
  t.deepEqual(rowOf(ids, cols, 1), rowOf(ids, cols, 0));
});

test('featurizer: lone surrogates do not throw and are dropped as separators', (t) => {
  const texts = ['\uD800', 'a\uDC00b', '\uDFFF\uD800x', '😀\uD83D'];
  t.notThrows(() => createFeaturizer(SPEC).featurize(texts));
  t.deepEqual(tokenize('a\uDC00b', true), ['a', 'b']);
  t.deepEqual(tokenize('😀\uD83D', true), ['😀']);
});

test('featurizer: a text without tokens gives an all-padding row', (t) => {
  const { ids, rows, cols } = createFeaturizer(SPEC).featurize(['', 'hello world', '!?  ...']);
  t.is(rows, 3);
  t.true(cols > 1);
  t.deepEqual(rowOf(ids, cols, 0), new Array(cols).fill(0));
  t.deepEqual(rowOf(ids, cols, 2), new Array(cols).fill(0));
});

test('featurizer: a batch of only empty texts still has one column', (t) => {
  const { ids, rows, cols } = createFeaturizer(SPEC).featurize(['', '']);
  t.deepEqual({ rows, cols, ids: Array.from(ids) }, { rows: 2, cols: 1, ids: [0n, 0n] });
});

test('featurizer: an empty batch has no rows', (t) => {
  const { ids, rows } = createFeaturizer(SPEC).featurize([]);
  t.is(rows, 0);
  t.is(ids.length, 0);
});

test('featurizer: max_features caps each row at the first features of the text', (t) => {
  const spec = { ...SPEC, char_ngrams: [], max_features: 5 };
  const text = 'a b c d e f g h i j k l';
  t.deepEqual(extractFeatures(text, spec), ['w:a', 'w:a b', 'w:b', 'w:b c', 'w:c']);
  const { cols } = createFeaturizer(spec).featurize([text, `${text} `.repeat(100)]);
  t.is(cols, 5);
  const capped = extractFeatures('x'.repeat(5000), { ...SPEC, word_ngrams: [], max_features: 7 });
  t.is(capped.length, 7);
});

test('featurizer: rows are padded with 0 to the longest row of the batch', (t) => {
  const spec = { ...SPEC, char_ngrams: [] };
  const { ids, rows, cols } = createFeaturizer(spec).featurize(['a', 'a b c', 'b c']);
  t.is(rows, 3);
  t.is(cols, 5);
  const a = featureId('w:a', spec.buckets, encoder);
  const b = featureId('w:b', spec.buckets, encoder);
  const c = featureId('w:c', spec.buckets, encoder);
  const bc = featureId('w:b c', spec.buckets, encoder);
  t.deepEqual(rowOf(ids, cols, 0), [a, 0, 0, 0, 0]);
  t.deepEqual(rowOf(ids, cols, 2), [b, bc, c, 0, 0]);
});

test('featurizer: character n-grams are taken over code points of the padded token', (t) => {
  const spec = { ...SPEC, word_ngrams: [], char_ngrams: [2, 5] };
  t.deepEqual(extractFeatures('😀 ab', spec), ['c:<😀', 'c:😀>', 'c:<a', 'c:ab', 'c:b>']);
});

test('featurizer: the string-free fast path gives the same ids as the documented scheme, for any text and spec (property)', (t) => {
  const orders = fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 3 });
  fc.assert(
    fc.property(
      textsArbitrary,
      fc.record({
        lowercase: fc.boolean(),
        word: orders,
        char: orders,
        maxFeatures: fc.integer({ min: 1, max: 300 }),
        buckets: fc.constantFrom(2, 3, 1000, 2 ** 18, 2 ** 24),
      }),
      (texts, o) => {
        const spec: FeaturizerSpec = {
          ...SPEC,
          lowercase: o.lowercase,
          word_ngrams: o.word,
          char_ngrams: o.char,
          max_features: o.maxFeatures,
          buckets: o.buckets,
        };
        for (const text of texts) {
          const expected = extractFeatures(text, spec).map((f) =>
            featureId(f, spec.buckets, encoder),
          );
          t.deepEqual(featureIds(text, spec), expected);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("featurizer: a batch holds each row's fast-path ids, padded with 0", (t) => {
  const spec: FeaturizerSpec = { ...SPEC, char_ngrams: [2, 4] };
  const texts = ['Ça va? 👍🏽 très bien', '', 'a'];
  const { ids, rows, cols } = createFeaturizer(spec).featurize(texts);
  t.is(rows, 3);
  for (const [r, text] of texts.entries()) {
    const expected = extractFeatures(text, spec).map((f) => featureId(f, spec.buckets, encoder));
    t.deepEqual(rowOf(ids, cols, r), [...expected, ...Array(cols - expected.length).fill(0)]);
  }
});
