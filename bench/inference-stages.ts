/**
 * Where the time of one prediction goes, stage by stage, in one process pinned to one core:
 * featurizing a text (short and 512 code points), `session.run` per call at batch 1, 8 and 32
 * (and per text), and the whole `Model.predict` (featurize + run + rows). The inference issue
 * asks to measure this before tuning the batcher: batching saves per-call overhead only.
 *
 *   npm run bench:stages [-- --model models/emotion-ekman --rounds 5]
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createFeaturizer } from '../lib/model-package/featurizer.js';
import { parseModelSpecText } from '../lib/model-package/package.js';
import { loadModelPackage } from '../service/model/onnx-model.js';
import { interleave, type Metrics, pinSelf, writeResult } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/emotion-ekman' },
    rounds: { type: 'string', default: '5' },
  },
});
const MODEL = values.model;
const ROUNDS = Number(values.rounds);
const pinned = pinSelf(0);

const spec = parseModelSpecText(await readFile(join(MODEL, 'model.json'), 'utf8'), MODEL);
const featurizer = createFeaturizer(spec.featurizer);
const session = await ort.InferenceSession.create(join(MODEL, 'model.onnx'), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const model = await loadModelPackage(MODEL);

const SHORT = "I can't believe they did that, honestly so disappointed 😡";
const LONG = `${SHORT} `.repeat(10).slice(0, 512);
const MIXED = [
  'thanks!',
  SHORT,
  'This game was absolutely incredible from start to finish, the ending had me in tears.',
  'Why would anyone think this is a good idea?',
];

/** Mean µs per call of `fn` over enough calls to take ~200 ms, after a warm-up. */
async function perCall(fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 200) {
    await fn();
    n++;
  }
  return ((performance.now() - t0) * 1000) / n;
}

function batchOf(size: number): string[] {
  return Array.from({ length: size }, (_, i) => MIXED[i % MIXED.length] ?? '');
}

async function runOnly(size: number): Promise<number> {
  const batch = featurizer.featurize(batchOf(size));
  const feeds = {
    [spec.inputs.ids]: new ort.Tensor('int64', batch.ids, [batch.rows, batch.cols]),
  };
  return perCall(() => session.run(feeds));
}

async function stages(): Promise<Metrics> {
  const m: Metrics = {};
  m['featurize short µs/text'] = await perCall(() => featurizer.featurize([SHORT]));
  m['featurize 512-char µs/text'] = await perCall(() => featurizer.featurize([LONG]));
  for (const size of [1, 8, 32]) {
    const run = await runOnly(size);
    m[`session.run batch ${size} µs/call`] = run;
    m[`session.run batch ${size} µs/text`] = run / size;
    const predict = await perCall(() => model.predict(batchOf(size)));
    m[`Model.predict batch ${size} µs/text`] = predict / size;
  }
  for (const k of Object.keys(m)) m[k] = Math.round((m[k] ?? 0) * 10) / 10;
  return m;
}

const result = await interleave(ROUNDS, { [spec.name]: stages }, (r, _v, m) =>
  process.stdout.write(`round ${r + 1}/${ROUNDS}: ${JSON.stringify(m)}\n`),
);
const med = (k: string) => result.summary[spec.name]?.[k]?.median ?? 0;
const file = writeResult({
  bench: 'inference-stages',
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  rounds: ROUNDS,
  setup: {
    model: `${MODEL} (${spec.name} ${spec.version})`,
    featurizer: `word ${spec.featurizer.word_ngrams.join('/')}-grams, char ${spec.featurizer.char_ngrams.join('/')}-grams, ${spec.featurizer.buckets} buckets`,
    texts: 'batches cycle 4 comment-like texts of 1–16 words',
    core: pinned ? 0 : 'unpinned',
  },
  variants: result.summary,
  raw: result.raw,
  verdicts: [],
  notes: [
    `Per text, batching saves the per-call part of session.run: ${med('session.run batch 1 µs/call')} µs at batch 1 against ${med('session.run batch 32 µs/text')} µs per text at batch 32. Featurizing is per text whatever the batch (${med('featurize short µs/text')} µs short, ${med('featurize 512-char µs/text')} µs at 512 code points).`,
  ],
});
process.stdout.write(`results: ${file}\n`);
