import { readFile } from 'node:fs/promises';
import test from 'ava';
import {
  DEFAULT_CONFIG,
  expectation,
  resolveConfig,
  TRAIN_OPTIONS,
} from '../../training/config.js';
import { TRN_ERR_USAGE } from '../../training/errors.js';
import { parseTrainArgs, trainUsage } from '../../training/options.js';

const PATHS = ['--data', 'd', '--out', 'o'];

/** The usage error `argv` raises, as code, field and message. */
function usageError(argv: readonly string[]) {
  try {
    parseTrainArgs(argv);
  } catch (e) {
    const { code, field, message } = e as { code?: string; field?: string; message: string };
    return { code, field, message };
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

/** The usage text's entries: an option's line joined with its continuation lines. */
function usageEntries(): string[] {
  const entries: string[] = [];
  for (const line of trainUsage().split('\n').slice(1)) {
    if (line.startsWith('  --')) entries.push(line.trim().replace(/ +/g, ' '));
    else entries.push(`${entries.pop()} ${line.trim()}`);
  }
  return entries;
}

test('train options: --help lists every option with its default', (t) => {
  t.regex(trainUsage(), /^usage: npm run train:model -- --data <dataset dir> --out <model dir>/);
  t.true(
    trainUsage()
      .split('\n')
      .every((line) => line.length <= 100),
  );
  const entries = usageEntries();
  t.regex(entries[0] ?? '', /^--data <dir> dataset directory/);
  t.regex(entries[1] ?? '', /^--out <dir> model package directory/);
  for (const [i, option] of TRAIN_OPTIONS.entries()) {
    const value = DEFAULT_CONFIG[option.field];
    const shown = typeof value === 'number' ? String(value) : value.join(',');
    const entry = entries[2 + i] ?? '';
    t.true(entry.startsWith(`--${option.flag} `), entry);
    t.true(entry.endsWith(`(default ${shown})`), entry);
  }
  t.is(entries.length, 2 + TRAIN_OPTIONS.length);
});

test('train options: the table has one option per config field, each with its own flag', (t) => {
  t.deepEqual(TRAIN_OPTIONS.map((o) => o.field).sort(), Object.keys(DEFAULT_CONFIG).sort());
  const flags = TRAIN_OPTIONS.map((o) => o.flag);
  t.is(new Set(flags).size, flags.length);
  t.false(flags.includes('data') || flags.includes('out') || flags.includes('help'));
});

test('train options: the defaults are inside their own ranges', (t) => {
  t.notThrows(() => resolveConfig({}));
  for (const option of TRAIN_OPTIONS) {
    const value = DEFAULT_CONFIG[option.field];
    const raw = typeof value === 'number' ? String(value) : value.join(',');
    t.deepEqual(parseTrainArgs([...PATHS, `--${option.flag}`, raw]).config, {
      [option.field]: value,
    });
  }
});

test('train options: the documented command maps to the configuration the committed model records', async (t) => {
  const args = parseTrainArgs([
    '--data',
    '../shared/datasets/goemotions/ekman',
    '--out',
    'models/emotion-ekman',
  ]);
  t.deepEqual(args, {
    data: '../shared/datasets/goemotions/ekman',
    out: 'models/emotion-ekman',
    config: {},
  });
  const committed = JSON.parse(await readFile('models/emotion-ekman/model.json', 'utf8')) as {
    training: { config: unknown };
  };
  // Key order too: model.json's bytes depend on it.
  t.is(JSON.stringify(resolveConfig(args.config)), JSON.stringify(committed.training.config));
});

test('train options: every option maps to its config field, with lists split on commas', (t) => {
  const args = parseTrainArgs([
    ...PATHS,
    '--limit',
    '2000',
    '--epochs',
    '7',
    '--seed',
    '3',
    '--members',
    '2',
    '--buckets',
    '4096',
    '--dim',
    '8',
    '--hidden',
    '16',
    '--word-ngrams',
    '1,2,3',
    '--char-ngrams',
    '',
    '--max-features',
    '256',
    '--batch-size',
    '64',
    '--lr',
    '0.002',
    '--embedding-lr',
    '0.05',
    '--dropout',
    '0.3',
    '--feature-dropout',
    '0.1',
    '--pos-weight-power',
    '0.25',
    '--lr-floor',
    '0.2',
    '--average-from',
    '0',
  ]);
  t.deepEqual(args, {
    data: 'd',
    out: 'o',
    config: {
      limit: 2000,
      epochs: 7,
      seed: 3,
      members: 2,
      buckets: 4096,
      dim: 8,
      hidden: 16,
      wordNgrams: [1, 2, 3],
      charNgrams: [],
      maxFeatures: 256,
      batchSize: 64,
      lr: 0.002,
      embeddingLr: 0.05,
      dropout: 0.3,
      featureDropout: 0.1,
      posWeightPower: 0.25,
      lrFloor: 0.2,
      averageFrom: 0,
    },
  });
});

test('train options: an unknown option is a usage error naming it, followed by the usage text', (t) => {
  const error = usageError([...PATHS, '--learning-rate', '0.1']);
  t.is(error.code, TRN_ERR_USAGE);
  t.is(error.message, `Unknown option '--learning-rate'\n${trainUsage()}`);
});

test('train options: a missing --data or --out is a usage error naming it', (t) => {
  t.is(
    usageError(['--out', 'o']).message,
    `option --data is missing; expected a path\n${trainUsage()}`,
  );
  t.is(
    usageError(['--data', 'd']).message,
    `option --out is missing; expected a path\n${trainUsage()}`,
  );
});

test('train options: a bad value is a usage error naming the option, the value and the expectation', (t) => {
  const cases: [string, string, string][] = [
    ['epochs', 'ten', 'a number'],
    ['lr', ' ', 'a number'],
    ['word-ngrams', 'x', 'a number'],
    ['dim', '0', 'an integer in 1..4096'],
    ['epochs', '2.5', 'an integer in 1..1000'],
    ['seed', '-1', 'an integer in 0..4294967295'],
    ['max-features', '4097', 'an integer in 1..4096'],
    ['lr', '2', 'a number in [0, 1]'],
    ['dropout', '0.96', 'a number in [0, 0.95]'],
    ['word-ngrams', '1,6', 'distinct integers in 1..5'],
    ['char-ngrams', '2,2', 'distinct integers in 1..5'],
  ];
  for (const [flag, raw, expected] of cases) {
    const error = usageError([...PATHS, `--${flag}=${raw}`]);
    t.is(error.code, TRN_ERR_USAGE);
    t.is(error.field, flag);
    t.is(error.message, `option --${flag} is ${JSON.stringify(raw)}; expected ${expected}`);
  }
});

test('train options: every numeric option accepts its bounds and refuses just beyond them', (t) => {
  for (const option of TRAIN_OPTIONS) {
    if (option.kind === 'orders') continue;
    const step = option.kind === 'integer' ? 1 : 0.01;
    for (const bound of [option.min, option.max]) {
      t.deepEqual(parseTrainArgs([...PATHS, `--${option.flag}=${bound}`]).config, {
        [option.field]: bound,
      });
    }
    for (const outside of [option.min - step, option.max + step]) {
      t.is(
        usageError([...PATHS, `--${option.flag}=${outside}`]).message,
        `option --${option.flag} is "${outside}"; expected ${expectation(option)}`,
      );
    }
  }
});

test('train config: rules across options are checked on the defaults merged with the overrides', (t) => {
  t.is(
    t.throws(() => resolveConfig({ epochs: 2 }))?.message,
    'training option averageFrom is 3; expected an integer in 0..2',
  );
  t.is(
    t.throws(() => resolveConfig({ wordNgrams: [], charNgrams: [] }))?.message,
    'training option wordNgrams is []; expected at least one word or char n-gram order',
  );
  t.is(resolveConfig({ epochs: 2, averageFrom: 0 }).epochs, 2);
});

test('train config: a programmatic override out of range is a usage error naming its field', (t) => {
  const error = t.throws(() => resolveConfig({ dim: 0 }));
  t.is((error as { code?: string }).code, TRN_ERR_USAGE);
  t.is((error as { field?: string }).field, 'dim');
  t.is(error?.message, 'training option dim is 0; expected an integer in 1..4096');
});
