import { FEATURIZER_LIMITS, type FeaturizerSpec } from '../lib/model-package/package.js';
import { TRN_ERR_USAGE, type TrainingError, trainingError } from './errors.js';

/**
 * Every knob of a training run; all are recorded in model.json `training.config`, in this order.
 * What each one means, its range and its command-line flag are its row in `TRAIN_OPTIONS`.
 */
export interface TrainConfig {
  readonly seed: number;
  readonly members: number;
  readonly epochs: number;
  readonly limit: number;
  readonly buckets: number;
  readonly dim: number;
  readonly hidden: number;
  readonly wordNgrams: readonly number[];
  readonly charNgrams: readonly number[];
  readonly maxFeatures: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly embeddingLr: number;
  readonly dropout: number;
  readonly featureDropout: number;
  readonly posWeightPower: number;
  readonly lrFloor: number;
  readonly averageFrom: number;
}

/** Key order is the order of model.json `training.config`, so it is part of the package bytes. */
export const DEFAULT_CONFIG: TrainConfig = {
  seed: 1,
  members: 4,
  epochs: 6,
  limit: 0,
  buckets: 2 ** 17,
  dim: 14,
  hidden: 128,
  wordNgrams: [1, 2],
  charNgrams: [2, 3, 4, 5],
  maxFeatures: 1024,
  batchSize: 32,
  lr: 1e-3,
  embeddingLr: 0.01,
  dropout: 0.5,
  featureDropout: 0.2,
  posWeightPower: 0.5,
  lrFloor: 0.1,
  averageFrom: 3,
};

type FieldOf<V> = {
  [K in keyof TrainConfig]: TrainConfig[K] extends V ? K : never;
}[keyof TrainConfig];

/**
 * One training option: its `TrainConfig` field, its command-line flag (without the dashes), what
 * values it takes and a line of help. `integer` and `real` bound the value inclusively; `orders`
 * takes distinct n-gram orders in 1..`FEATURIZER_LIMITS.maxNgram`, on the command line as a
 * comma-separated list ("" for none).
 */
export type TrainOption = { readonly flag: string; readonly help: string } & (
  | {
      readonly field: FieldOf<number>;
      readonly kind: 'integer' | 'real';
      readonly min: number;
      readonly max: number;
    }
  | { readonly field: FieldOf<readonly number[]>; readonly kind: 'orders' }
);

/** The one list of training options: the usage text, the parser and the checks all read it. */
export const TRAIN_OPTIONS: readonly TrainOption[] = [
  {
    flag: 'limit',
    field: 'limit',
    kind: 'integer',
    min: 0,
    max: 2 ** 31 - 1,
    help: 'train on the first N rows of train.tsv only; 0 = all',
  },
  {
    flag: 'epochs',
    field: 'epochs',
    kind: 'integer',
    min: 1,
    max: 1000,
    help: 'passes over the training rows',
  },
  {
    flag: 'seed',
    field: 'seed',
    kind: 'integer',
    min: 0,
    max: 2 ** 32 - 1,
    help: 'PRNG seed of the whole run',
  },
  {
    flag: 'members',
    field: 'members',
    kind: 'integer',
    min: 1,
    max: 16,
    help: 'ensemble members, each trained from its own seed; their sigmoids are averaged',
  },
  {
    flag: 'buckets',
    field: 'buckets',
    kind: 'integer',
    min: FEATURIZER_LIMITS.minBuckets,
    max: FEATURIZER_LIMITS.maxBuckets,
    help: 'hashed id space',
  },
  { flag: 'dim', field: 'dim', kind: 'integer', min: 1, max: 4096, help: 'embedding width' },
  { flag: 'hidden', field: 'hidden', kind: 'integer', min: 1, max: 4096, help: 'hidden units' },
  {
    flag: 'word-ngrams',
    field: 'wordNgrams',
    kind: 'orders',
    help: 'word n-gram orders, e.g. 1,2',
  },
  {
    flag: 'char-ngrams',
    field: 'charNgrams',
    kind: 'orders',
    help: 'char n-gram orders, e.g. 2,3,4,5',
  },
  {
    flag: 'max-features',
    field: 'maxFeatures',
    kind: 'integer',
    min: 1,
    max: FEATURIZER_LIMITS.maxFeatures,
    help: 'features kept per text',
  },
  {
    flag: 'batch-size',
    field: 'batchSize',
    kind: 'integer',
    min: 1,
    max: 4096,
    help: 'rows per Adam step',
  },
  {
    flag: 'lr',
    field: 'lr',
    kind: 'real',
    min: 0,
    max: 1,
    help: 'Adam step size of the dense layers',
  },
  {
    flag: 'embedding-lr',
    field: 'embeddingLr',
    kind: 'real',
    min: 0,
    max: 10,
    help: 'Adam step size of the embedding rows (lazy: only rows seen in a batch move)',
  },
  {
    flag: 'dropout',
    field: 'dropout',
    kind: 'real',
    min: 0,
    max: 0.95,
    help: 'dropout rate on the pooled vector',
  },
  {
    flag: 'feature-dropout',
    field: 'featureDropout',
    kind: 'real',
    min: 0,
    max: 0.95,
    help: 'rate at which each id of a training text is left out of its bag (per example, per epoch)',
  },
  {
    flag: 'pos-weight-power',
    field: 'posWeightPower',
    kind: 'real',
    min: 0,
    max: 1,
    help: "label k's positives weigh ((negatives + 1) / (positives + 1))^X",
  },
  {
    flag: 'lr-floor',
    field: 'lrFloor',
    kind: 'real',
    min: 0,
    max: 1,
    help: 'both step sizes decay linearly to this fraction by the last epoch',
  },
  {
    flag: 'average-from',
    field: 'averageFrom',
    kind: 'integer',
    min: 0,
    max: 1000,
    help: "a member is the mean of its weights after epochs N..last; 0 = the member's epoch with the best honest dev macro-F1",
  },
];

/** What `option` accepts, as the end of an error message ("expected ..."). */
export function expectation(option: TrainOption): string {
  switch (option.kind) {
    case 'integer':
      return `an integer in ${option.min}..${option.max}`;
    case 'real':
      return `a number in [${option.min}, ${option.max}]`;
    case 'orders':
      return `distinct integers in 1..${FEATURIZER_LIMITS.maxNgram}`;
  }
}

/** Whether `value` is in `option`'s range; says nothing about the other options. */
export function accepts(option: TrainOption, value: unknown): boolean {
  switch (option.kind) {
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= option.min &&
        value <= option.max
      );
    case 'real':
      return typeof value === 'number' && value >= option.min && value <= option.max;
    case 'orders':
      return (
        Array.isArray(value) &&
        value.every(
          (n, i) =>
            Number.isInteger(n) &&
            n >= 1 &&
            n <= FEATURIZER_LIMITS.maxNgram &&
            value.indexOf(n) === i,
        )
      );
  }
}

function configError(field: string, value: unknown, expected: string): TrainingError {
  return trainingError(
    TRN_ERR_USAGE,
    `training option ${field} is ${JSON.stringify(value)}; expected ${expected}`,
    { field },
  );
}

/** Throws `TRN_ERR_USAGE` naming the first option out of its range, then the cross-option rules. */
function checkConfig(config: TrainConfig): void {
  for (const option of TRAIN_OPTIONS) {
    const value = config[option.field];
    if (!accepts(option, value)) throw configError(option.field, value, expectation(option));
  }
  if (config.averageFrom > config.epochs) {
    throw configError('averageFrom', config.averageFrom, `an integer in 0..${config.epochs}`);
  }
  if (config.wordNgrams.length + config.charNgrams.length === 0) {
    throw configError('wordNgrams', config.wordNgrams, 'at least one word or char n-gram order');
  }
}

/** The defaults with `overrides` applied; throws `TRN_ERR_USAGE` naming the first bad option. */
export function resolveConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...overrides };
  checkConfig(config);
  return config;
}

/** The featurizer a run with `config` trains on; pinned in model.json so serving featurizes alike. */
export function featurizerSpec(config: TrainConfig): FeaturizerSpec {
  return {
    type: 'hashed-ngrams',
    version: 1,
    buckets: config.buckets,
    lowercase: true,
    word_ngrams: [...config.wordNgrams],
    char_ngrams: [...config.charNgrams],
    max_features: config.maxFeatures,
  };
}
