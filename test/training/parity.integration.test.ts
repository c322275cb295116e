import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { parseModelSpecText } from '../../lib/model-package/package.js';
import { loadModelPackage } from '../../service/model/onnx-model.js';
import { referenceScores } from '../../training/network.js';
import { readNetwork } from '../../training/read-onnx.js';

const MODEL_DIR = join('models', 'emotion-ekman');

/** Exactly `n` code points of `unit` repeated (a string's length counts UTF-16 units, not these). */
const codePoints = (unit: string, n: number) => Array.from(unit.repeat(n)).slice(0, n).join('');

const TEXTS: readonly string[] = [
  // Empty after tokenizing: padding only.
  '',
  '!!! ...',
  '   ?',
  '\u200d\ufe0f',
  // Emoji, ZWJ sequences, skin tones, flags.
  '😀',
  'I love this 😍😍😍',
  '👩‍👩‍👧‍👦 family day',
  '👍🏽 nice one 👍🏿',
  '🏳️‍🌈 pride',
  '🇫🇷🇯🇵',
  '🤦‍♂️ why would you do that',
  // Lone surrogates.
  '\uD800',
  'a\uDC00b',
  'broken \uD83D pair \uDE00 here',
  // 512-code-point texts.
  codePoints('a', 512),
  codePoints('😀', 512),
  codePoints('I am so angry right now. ', 512),
  codePoints('ありがとう', 512),
  codePoints('w😂 ', 512),
  // Mixed scripts and diacritics.
  'Привет, как дела? I am fine',
  'これは本当に悲しい',
  'مرحبا بالعالم this is great',
  'Ελληνικά και English μαζί',
  'naïve café résumé',
  'e\u0301le\u0300ve',
  '한국어 텍스트 wow',
  'हिन्दी में लिखा',
  '😡 ЗЛОЙ 怒り angry',
  '100% sure 💯 $$$ €5',
  'rock’n’roll isn’t dead',
  "don't 'quote' me''",
  // Real-looking sentences.
  "My favourite food is anything I didn't have to cook myself.",
  'WHY THE FUCK IS BAYLESS ISOING',
  'This is the best day of my life, thank you all!',
  'I miss her so much, it hurts every day.',
  'That is disgusting, how could anyone eat that?',
  'I am terrified of what happens next.',
  'Wait, what? I did not expect that at all!',
  'Okay, see you tomorrow at the game.',
  'lol that was hilarious',
  'I am so sorry for your loss.',
  'You absolute idiot, you ruined everything.',
  'Gross. Just gross.',
  "I'm nervous about the exam tomorrow",
  'Wow, congratulations on the new job!!',
  'Nobody asked for your opinion.',
  'That movie made me cry like a baby',
  'Is this the right subreddit for this question?',
  'Holy shit, I never knew that',
  'Thanks, this really helped me out.',
  'Ugh, Mondays.',
  'He was shaking with fear',
  'Honestly? I do not care either way.',
  'What a beautiful goal, unbelievable',
  'The worst customer service I have ever experienced.',
];

test('parity: the committed model.onnx scores like the TypeScript reference forward pass (max abs diff <= 1e-5)', async (t) => {
  t.true(TEXTS.length >= 50);
  const spec = parseModelSpecText(
    await readFile(join(MODEL_DIR, 'model.json'), 'utf8'),
    join(MODEL_DIR, 'model.json'),
  );
  const members = readNetwork(await readFile(join(MODEL_DIR, 'model.onnx')));
  t.true(members.length >= 1);
  for (const member of members) {
    t.is(member.buckets, spec.featurizer.buckets);
    t.is(member.labels, spec.labels.length);
    // Padding must contribute nothing, even through Gather.
    t.true(member.embedding.subarray(0, member.dim).every((x) => x === 0));
  }
  const expected = referenceScores(spec.featurizer, members, TEXTS);
  const model = await loadModelPackage(MODEL_DIR);
  try {
    // One batch: rows are padded to the longest text, so this also proves padding is ignored.
    const batched = await model.predict(TEXTS);
    const single = await Promise.all(TEXTS.map(async (text) => (await model.predict([text]))[0]));
    let worst = { diff: 0, text: -1 };
    for (const [i, row] of expected.entries()) {
      for (const [k, score] of row.entries()) {
        for (const actual of [batched[i]?.[k], single[i]?.[k]]) {
          const diff = Math.abs((actual ?? Number.NaN) - score);
          if (!(diff <= worst.diff)) worst = { diff, text: i };
        }
        t.true(score > 0 && score < 1, `text ${i} label ${k} scores ${score}`);
      }
    }
    t.log(
      `max abs diff ${worst.diff.toExponential(2)} (text ${worst.text}) over ${TEXTS.length} texts`,
    );
    t.true(worst.diff <= 1e-5, `text ${worst.text} differs by ${worst.diff}`);
  } finally {
    await model.close();
  }
});

test('parity: texts without features score alike, whatever they contained', async (t) => {
  const spec = parseModelSpecText(
    await readFile(join(MODEL_DIR, 'model.json'), 'utf8'),
    join(MODEL_DIR, 'model.json'),
  );
  const weights = readNetwork(await readFile(join(MODEL_DIR, 'model.onnx')));
  const [empty, punctuation, surrogate] = referenceScores(spec.featurizer, weights, [
    '',
    '!!! ...',
    '\uD800',
  ]);
  t.deepEqual(punctuation, empty);
  t.deepEqual(surrogate, empty);
});
