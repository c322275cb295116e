import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import {
  isModelPackageError,
  MDL_ERR_INFERENCE_FAILED,
  MDL_ERR_IO_MISMATCH,
  MDL_ERR_PACKAGE_CORRUPT,
  MDL_ERR_PACKAGE_MISSING,
  ModelError,
} from '../../../lib/model-package/errors.js';
import { featureId } from '../../../lib/model-package/featurizer.js';
import type { Model } from '../../../service/model/model.js';
import { loadModelPackage } from '../../../service/model/onnx-model.js';
import {
  encodeTinyModel,
  type TinyModelOptions,
  tinyModelReference,
  tinyModelWeights,
  writeTinyModelPackage,
} from '../../helpers/tiny-model.js';

const WORDS = [
  'i',
  'am',
  'so',
  'happy',
  'angry',
  'about',
  'this',
  "don't",
  'know',
  'why',
  'the',
  'weather',
  'is',
  'awful',
  'today',
  'what',
  'a',
  'surprise',
  'gross',
  'scared',
  'of',
  'spiders',
  'love',
  'it',
  'sad',
  'news',
];

/** A 512-character text of varied words, long enough to hit a small max_features. */
const LONG_TEXT = Array.from({ length: 200 }, (_, i) => WORDS[(i * 7) % WORDS.length])
  .join(' ')
  .slice(0, 512);

/** ~50 texts covering what the featurizer treats specially; rows differ widely in length. */
const TEXTS: readonly string[] = [
  '',
  '   ',
  '!!! ... ???',
  '\uD800',
  'a\uDC00b',
  '\uDFFF\uD800 lonely surrogates \uD83D',
  '😀',
  '😀😀😀 🎉',
  '👍🏽 ❤️',
  'I’m so happy today!',
  "I'm furious, this is unacceptable.",
  'WHY WOULD YOU DO THAT',
  'meh',
  'Je suis très content 😊',
  'Ich bin wütend!',
  'これは素晴らしい',
  'مرحبا بالعالم',
  'Привет, как дела?',
  'cafe\u0301 au lait',
  "rock'n'roll never dies",
  'lol '.repeat(60),
  LONG_TEXT,
  ...Array.from({ length: 28 }, (_, i) =>
    Array.from({ length: 1 + (i % 9) }, (_, k) => WORDS[(i * 5 + k * 3) % WORDS.length]).join(' '),
  ),
];

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runwatch-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function loadForTest(t: ExecutionContext, dir: string): Promise<Model> {
  const model = await loadModelPackage(dir);
  t.teardown(() => model.close());
  return model;
}

async function expectLoadError(
  t: ExecutionContext,
  dir: string,
  code: string,
  message: RegExp,
): Promise<void> {
  const error = await t.throwsAsync(loadModelPackage(dir), { instanceOf: ModelError });
  t.is(error?.code, code);
  t.is(error?.statusCode, 503);
  t.true(isModelPackageError(error));
  t.regex(error?.message ?? '', message);
}

const scoresMatchReference = test.macro({
  async exec(t, opts: TinyModelOptions) {
    const dir = await tempDir(t);
    const spec = await writeTinyModelPackage(dir, opts);
    const model = await loadForTest(t, dir);
    t.is(model.name, spec.name);
    t.is(model.version, spec.version);
    t.deepEqual(model.labels, spec.labels);
    t.deepEqual(model.thresholds, spec.thresholds);

    const scores = await model.predict(TEXTS);
    t.is(scores.length, TEXTS.length);
    t.true(scores.every((row) => row.length === 7));
    t.true(scores.flat().every((s) => s > 0 && s < 1));

    const reference = tinyModelReference(spec, tinyModelWeights(opts), TEXTS);
    const worst = Math.max(
      ...scores.flatMap((row, i) =>
        row.map((s, k) => Math.abs(s - (reference[i]?.[k] ?? Number.NaN))),
      ),
    );
    t.true(worst <= 1e-5, `largest difference from the reference is ${worst}`);
  },
  title: (what = '') =>
    `loadModelPackage: onnxruntime scores match the TypeScript forward pass to 1e-5 (${what})`,
});

test('word n-grams', scoresMatchReference, {});
test('word and char n-grams, capped', scoresMatchReference, {
  seed: 7,
  dim: 16,
  featurizer: { char_ngrams: [3, 4], max_features: 64 },
});

test('loadModelPackage: a text scores the same alone and in a padded batch', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadForTest(t, dir);
  const batch = await model.predict(['hi', LONG_TEXT, '']);
  const alone = await Promise.all(['hi', LONG_TEXT, ''].map((text) => model.predict([text])));
  for (const [i, [row]] of alone.entries()) {
    t.true(
      row?.every((s, k) => Math.abs(s - (batch[i]?.[k] ?? Number.NaN)) < 1e-6),
      `row ${i}`,
    );
  }
});

test('loadModelPackage: predict([]) resolves to []', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadForTest(t, dir);
  t.deepEqual(await model.predict([]), []);
});

test('loadModelPackage: a missing directory fails with MDL_ERR_PACKAGE_MISSING', async (t) => {
  const dir = join(await tempDir(t), 'absent');
  await expectLoadError(
    t,
    dir,
    MDL_ERR_PACKAGE_MISSING,
    /absent does not exist; expected a directory/,
  );
});

test('loadModelPackage: a file in place of the directory fails with MDL_ERR_PACKAGE_MISSING', async (t) => {
  const file = join(await tempDir(t), 'model.onnx');
  await writeFile(file, 'x');
  await expectLoadError(t, file, MDL_ERR_PACKAGE_MISSING, /model\.onnx is not a directory/);
});

test('loadModelPackage: a missing model.onnx fails with MDL_ERR_PACKAGE_MISSING', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  await unlink(join(dir, 'model.onnx'));
  await expectLoadError(t, dir, MDL_ERR_PACKAGE_MISSING, /has no file model\.onnx; expected/);
});

test('loadModelPackage: a missing model.json fails with MDL_ERR_PACKAGE_MISSING', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  await unlink(join(dir, 'model.json'));
  await expectLoadError(t, dir, MDL_ERR_PACKAGE_MISSING, /has no file model\.json; expected/);
});

test('loadModelPackage: an empty directory names both missing files', async (t) => {
  const dir = await tempDir(t);
  await expectLoadError(
    t,
    dir,
    MDL_ERR_PACKAGE_MISSING,
    /has no file model\.onnx and no file model\.json; expected/,
  );
});

test('loadModelPackage: a garbage model.onnx fails with MDL_ERR_PACKAGE_CORRUPT', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  await writeFile(join(dir, 'model.onnx'), 'this is not a protobuf');
  await expectLoadError(
    t,
    dir,
    MDL_ERR_PACKAGE_CORRUPT,
    /model\.onnx does not load in onnxruntime \(.+\); expected an ONNX model$/,
  );
});

test('loadModelPackage: a model.json that is not JSON fails with MDL_ERR_PACKAGE_CORRUPT', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  await writeFile(join(dir, 'model.json'), '{"name": "emotion-ekman",');
  await expectLoadError(t, dir, MDL_ERR_PACKAGE_CORRUPT, /model\.json is not valid JSON/);
});

test('loadModelPackage: a model.json failing its schema fails with MDL_ERR_PACKAGE_CORRUPT', async (t) => {
  const dir = await tempDir(t);
  const spec = await writeTinyModelPackage(dir);
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...spec, thresholds: [] }));
  await expectLoadError(
    t,
    dir,
    MDL_ERR_PACKAGE_CORRUPT,
    /model\.json field "thresholds" is an array of 0; expected an array of 7 numbers/,
  );
});

test('loadModelPackage: an input name differing from model.json fails with MDL_ERR_IO_MISMATCH', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir, { declaredInputName: 'tokens' });
  await expectLoadError(
    t,
    dir,
    MDL_ERR_IO_MISMATCH,
    /model\.onnx has graph inputs \["ids"\]; expected exactly one input, "tokens"/,
  );
});

test('loadModelPackage: an output name differing from model.json fails with MDL_ERR_IO_MISMATCH', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir, { outputName: 'probs', declaredOutputName: 'scores' });
  await expectLoadError(
    t,
    dir,
    MDL_ERR_IO_MISMATCH,
    /model\.onnx has graph outputs \["probs"\]; expected an output named "scores"/,
  );
});

test('loadModelPackage: an output narrower than the labels fails with MDL_ERR_IO_MISMATCH', async (t) => {
  const dir = await tempDir(t);
  const spec = await writeTinyModelPackage(dir, { labels: ['joy', 'sadness'] });
  const widened = { ...spec, labels: ['joy', 'sadness', 'fear'], thresholds: [0.5, 0.5, 0.5] };
  await writeFile(join(dir, 'model.json'), JSON.stringify(widened));
  await expectLoadError(
    t,
    dir,
    MDL_ERR_IO_MISMATCH,
    /output "scores" has shape \[N, 2\]; expected shape \[N, 3\]/,
  );
});

test('loadModelPackage: more buckets than embedding rows fails with MDL_ERR_IO_MISMATCH', async (t) => {
  const dir = await tempDir(t);
  const spec = await writeTinyModelPackage(dir, { buckets: 100 });
  const featurizer = { ...spec.featurizer, buckets: 200 };
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...spec, featurizer }));
  await expectLoadError(
    t,
    dir,
    MDL_ERR_IO_MISMATCH,
    /fails a probe run on ids \[\[0, 199\]\] .*; expected a graph that accepts int64 ids/,
  );
});

test('predict: non-finite scores reject with MDL_ERR_INFERENCE_FAILED', async (t) => {
  const dir = await tempDir(t);
  const spec = await writeTinyModelPackage(dir);
  const weights = tinyModelWeights();
  const poisoned = featureId('w:poison', spec.featurizer.buckets, new TextEncoder());
  weights.embedding.fill(Number.NaN, poisoned * weights.dim, (poisoned + 1) * weights.dim);
  await writeFile(join(dir, 'model.onnx'), encodeTinyModel(weights, 'ids', 'scores'));
  const model = await loadForTest(t, dir);

  const error = await t.throwsAsync(model.predict(['fine', 'poison']), { instanceOf: ModelError });
  t.is(error?.code, MDL_ERR_INFERENCE_FAILED);
  t.is(error?.statusCode, 500);
  t.false(isModelPackageError(error));
  t.regex(error?.message ?? '', /row 1 label "anger" is NaN; expected a finite score in \[0, 1\]/);
  t.false(error?.message.includes('poison'), 'the message does not echo the input text');
  t.is((await model.predict(['fine'])).length, 1, 'the model keeps serving other texts');
});

test('close: is idempotent, also when called concurrently', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadModelPackage(dir);
  await t.notThrowsAsync(Promise.all([model.close(), model.close()]));
  await t.notThrowsAsync(model.close());
});

test('close: predict after close rejects with MDL_ERR_INFERENCE_FAILED', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadModelPackage(dir);
  await model.close();
  for (const texts of [['hello'], []]) {
    const error = await t.throwsAsync(model.predict(texts), { instanceOf: ModelError });
    t.is(error?.code, MDL_ERR_INFERENCE_FAILED);
    t.regex(error?.message ?? '', /^model is closed/);
  }
});

test('close: waits for predictions already running, then releases the session', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadModelPackage(dir);
  const running = model.predict(TEXTS);
  const closing = model.close();
  const scores = await running;
  t.is(scores.length, TEXTS.length);
  await t.notThrowsAsync(closing);
});

test('predict: concurrent calls each get their own rows', async (t) => {
  const dir = await tempDir(t);
  const spec = await writeTinyModelPackage(dir);
  const model = await loadForTest(t, dir);
  const batches = [TEXTS.slice(0, 5), TEXTS.slice(5, 20), TEXTS.slice(20)];
  const results = await Promise.all(batches.map((texts) => model.predict(texts)));
  for (const [i, texts] of batches.entries()) {
    const reference = tinyModelReference(spec, tinyModelWeights(), texts);
    const rows = results[i] ?? [];
    t.is(rows.length, texts.length);
    t.true(
      rows.every((row, r) => row.every((s, k) => Math.abs(s - (reference[r]?.[k] ?? 0)) < 1e-5)),
    );
  }
});

test('onnx model: overlapping and successive runs each score their own texts (the reused id buffer is never shared by two runs in flight)', async (t) => {
  const dir = await tempDir(t);
  await writeTinyModelPackage(dir);
  const model = await loadForTest(t, dir);
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const a = ['I am so happy today', long, '🙂'];
  const b = ['this is awful', 'why would you do that?!'];
  // Scored alone first, on a fresh model: the same batches must score the same however they overlap.
  const expectedA = await (await loadForTest(t, dir)).predict(a);
  const expectedB = await (await loadForTest(t, dir)).predict(b);
  const [gotA, gotB, gotA2] = await Promise.all([
    model.predict(a),
    model.predict(b),
    model.predict(a),
  ]);
  t.deepEqual(gotA, expectedA);
  t.deepEqual(gotB, expectedB);
  t.deepEqual(gotA2, expectedA);
  // A narrower batch after a wider one reads no stale ids from the reused buffer.
  t.deepEqual(await model.predict(b), expectedB);
  t.deepEqual(await model.predict(a), expectedA);
});
