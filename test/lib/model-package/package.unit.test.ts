import test from 'ava';
import { MDL_ERR_PACKAGE_CORRUPT, ModelError } from '../../../lib/model-package/errors.js';
import {
  type ModelPackageSpec,
  parseModelSpec,
  parseModelSpecText,
} from '../../../lib/model-package/package.js';

const PATH = '/models/emotion/model.json';

function validJson(): Record<string, unknown> & { featurizer: Record<string, unknown> } {
  return {
    name: 'emotion-ekman',
    version: '0.1.0',
    labels: ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'],
    thresholds: [0.5, 0.5, 0.5, 0.4, 0.6, 0.5, 0.5],
    featurizer: {
      type: 'hashed-ngrams',
      version: 1,
      buckets: 262144,
      lowercase: true,
      word_ngrams: [1, 2],
      char_ngrams: [],
      max_features: 256,
    },
    inputs: { ids: 'ids' },
    outputs: { scores: 'scores' },
  };
}

test('parseModelSpec: a valid model.json parses to the same spec', (t) => {
  const json = validJson();
  const spec: ModelPackageSpec = parseModelSpec(json, PATH);
  t.deepEqual(spec, json as unknown as ModelPackageSpec);
  t.not(spec.labels, json.labels, 'the spec does not share arrays with the parsed JSON');
});

test('parseModelSpec: unknown fields are ignored', (t) => {
  const json = { ...validJson(), trained_at: '2026-11-01', metrics: { f1: 0.61 } };
  t.false('trained_at' in parseModelSpec(json, PATH));
});

interface BadCase {
  /** What is wrong, for the test title. */
  readonly what: string;
  readonly mutate: (json: ReturnType<typeof validJson>) => void;
  readonly field: string;
  /** The whole expected message after the path. */
  readonly message: string;
}

const BAD_CASES: readonly BadCase[] = [
  {
    what: 'a missing name',
    mutate: (j) => {
      delete j.name;
    },
    field: 'name',
    message: 'field "name" is undefined; expected a non-empty string',
  },
  {
    what: 'an empty version',
    mutate: (j) => {
      j.version = '';
    },
    field: 'version',
    message: 'field "version" is ""; expected a non-empty string',
  },
  {
    what: 'empty labels',
    mutate: (j) => {
      j.labels = [];
    },
    field: 'labels',
    message: 'field "labels" is an array of 0; expected a non-empty array of distinct strings',
  },
  {
    what: 'labels that are not an array',
    mutate: (j) => {
      j.labels = 'joy';
    },
    field: 'labels',
    message: 'field "labels" is "joy"; expected a non-empty array of distinct strings',
  },
  {
    what: 'a label that is not a string',
    mutate: (j) => {
      j.labels = ['anger', 3];
    },
    field: 'labels[1]',
    message: 'field "labels[1]" is 3; expected a non-empty string',
  },
  {
    what: 'a duplicate label',
    mutate: (j) => {
      j.labels = ['joy', 'fear', 'joy'];
    },
    field: 'labels[2]',
    message: 'field "labels[2]" is "joy"; expected a label distinct from labels[0]',
  },
  {
    what: 'fewer thresholds than labels',
    mutate: (j) => {
      j.thresholds = [0.5];
    },
    field: 'thresholds',
    message:
      'field "thresholds" is an array of 1; expected an array of 7 numbers in (0, 1), one per label',
  },
  {
    what: 'a threshold of 1',
    mutate: (j) => {
      j.thresholds = [0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5];
    },
    field: 'thresholds[3]',
    message: 'field "thresholds[3]" is 1; expected a number strictly between 0 and 1',
  },
  {
    what: 'a threshold that is a string',
    mutate: (j) => {
      j.thresholds = ['0.5', 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    },
    field: 'thresholds[0]',
    message: 'field "thresholds[0]" is "0.5"; expected a number strictly between 0 and 1',
  },
  {
    what: 'a missing featurizer',
    mutate: (j) => {
      j.featurizer = null as unknown as Record<string, unknown>;
    },
    field: 'featurizer',
    message: 'field "featurizer" is null; expected an object',
  },
  {
    what: 'an unknown featurizer type',
    mutate: (j) => {
      j.featurizer.type = 'bpe';
    },
    field: 'featurizer.type',
    message: 'field "featurizer.type" is "bpe"; expected "hashed-ngrams"',
  },
  {
    what: 'an unknown featurizer version',
    mutate: (j) => {
      j.featurizer.version = 2;
    },
    field: 'featurizer.version',
    message:
      'field "featurizer.version" is 2; expected 1, the only version this service implements',
  },
  {
    what: 'one bucket',
    mutate: (j) => {
      j.featurizer.buckets = 1;
    },
    field: 'featurizer.buckets',
    message: 'field "featurizer.buckets" is 1; expected an integer in 2..16777216',
  },
  {
    what: 'more than 2^24 buckets',
    mutate: (j) => {
      j.featurizer.buckets = 2 ** 24 + 1;
    },
    field: 'featurizer.buckets',
    message: 'field "featurizer.buckets" is 16777217; expected an integer in 2..16777216',
  },
  {
    what: 'fractional buckets',
    mutate: (j) => {
      j.featurizer.buckets = 1000.5;
    },
    field: 'featurizer.buckets',
    message: 'field "featurizer.buckets" is 1000.5; expected an integer in 2..16777216',
  },
  {
    what: 'a lowercase flag that is not a boolean',
    mutate: (j) => {
      j.featurizer.lowercase = 'yes';
    },
    field: 'featurizer.lowercase',
    message: 'field "featurizer.lowercase" is "yes"; expected true or false',
  },
  {
    what: 'word_ngrams that is not an array',
    mutate: (j) => {
      j.featurizer.word_ngrams = 2;
    },
    field: 'featurizer.word_ngrams',
    message: 'field "featurizer.word_ngrams" is 2; expected an array of distinct integers in 1..5',
  },
  {
    what: 'a word n-gram order of 6',
    mutate: (j) => {
      j.featurizer.word_ngrams = [1, 6];
    },
    field: 'featurizer.word_ngrams[1]',
    message: 'field "featurizer.word_ngrams[1]" is 6; expected an integer in 1..5',
  },
  {
    what: 'a char n-gram order of 0',
    mutate: (j) => {
      j.featurizer.char_ngrams = [0];
    },
    field: 'featurizer.char_ngrams[0]',
    message: 'field "featurizer.char_ngrams[0]" is 0; expected an integer in 1..5',
  },
  {
    what: 'a repeated n-gram order',
    mutate: (j) => {
      j.featurizer.char_ngrams = [3, 3];
    },
    field: 'featurizer.char_ngrams[1]',
    message:
      'field "featurizer.char_ngrams[1]" is 3; expected an order distinct from featurizer.char_ngrams[0]',
  },
  {
    what: 'no n-gram orders at all',
    mutate: (j) => {
      j.featurizer.word_ngrams = [];
    },
    field: 'featurizer',
    message:
      'fields "featurizer.word_ngrams" and "featurizer.char_ngrams" are both empty; expected at least one n-gram order',
  },
  {
    what: 'max_features of 0',
    mutate: (j) => {
      j.featurizer.max_features = 0;
    },
    field: 'featurizer.max_features',
    message: 'field "featurizer.max_features" is 0; expected an integer in 1..4096',
  },
  {
    what: 'max_features above 4096',
    mutate: (j) => {
      j.featurizer.max_features = 4097;
    },
    field: 'featurizer.max_features',
    message: 'field "featurizer.max_features" is 4097; expected an integer in 1..4096',
  },
  {
    what: 'inputs that is an array',
    mutate: (j) => {
      j.inputs = ['ids'];
    },
    field: 'inputs',
    message: 'field "inputs" is an array of 1; expected an object',
  },
  {
    what: 'an empty inputs.ids',
    mutate: (j) => {
      j.inputs = { ids: '' };
    },
    field: 'inputs.ids',
    message: 'field "inputs.ids" is ""; expected a non-empty string',
  },
  {
    what: 'a missing outputs',
    mutate: (j) => {
      delete j.outputs;
    },
    field: 'outputs',
    message: 'field "outputs" is undefined; expected an object',
  },
  {
    what: 'a numeric outputs.scores',
    mutate: (j) => {
      j.outputs = { scores: 0 };
    },
    field: 'outputs.scores',
    message: 'field "outputs.scores" is 0; expected a non-empty string',
  },
];

for (const bad of BAD_CASES) {
  test(`parseModelSpec: ${bad.what} fails with MDL_ERR_PACKAGE_CORRUPT naming ${bad.field}`, (t) => {
    const json = validJson();
    bad.mutate(json);
    const error = t.throws(() => parseModelSpec(json, PATH), { instanceOf: ModelError });
    t.is(error?.code, MDL_ERR_PACKAGE_CORRUPT);
    t.is(error?.statusCode, 503);
    t.is(error?.field, bad.field);
    t.is(error?.message, `${PATH} ${bad.message}`);
  });
}

test('parseModelSpec: each bad field has its own message', (t) => {
  const messages = new Set(BAD_CASES.map((c) => c.message));
  t.is(messages.size, BAD_CASES.length);
});

test('parseModelSpec: a document that is not an object fails with MDL_ERR_PACKAGE_CORRUPT', (t) => {
  for (const json of [null, [], 'model', 42]) {
    const error = t.throws(() => parseModelSpec(json, PATH), { instanceOf: ModelError });
    t.is(error?.code, MDL_ERR_PACKAGE_CORRUPT);
    t.regex(error?.message ?? '', /expected a JSON object$/);
  }
});

test('parseModelSpec: a long bad value is described, not echoed', (t) => {
  const json = validJson();
  json.labels = ['x'.repeat(100), 'x'.repeat(100)];
  const error = t.throws(() => parseModelSpec(json, PATH), { instanceOf: ModelError });
  t.is(
    error?.message,
    `${PATH} field "labels[1]" is a string of 100 characters; expected a label distinct from labels[0]`,
  );
});

test('parseModelSpecText: text that is not JSON fails with MDL_ERR_PACKAGE_CORRUPT', (t) => {
  const error = t.throws(() => parseModelSpecText('{"name": ', PATH), { instanceOf: ModelError });
  t.is(error?.code, MDL_ERR_PACKAGE_CORRUPT);
  t.true(error?.message.startsWith(`${PATH} is not valid JSON (`));
  t.true(error?.cause instanceof SyntaxError);
});
