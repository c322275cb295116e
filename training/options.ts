import { parseArgs } from 'node:util';
import {
  accepts,
  DEFAULT_CONFIG,
  expectation,
  TRAIN_OPTIONS,
  type TrainConfig,
  type TrainOption,
} from './config.js';
import { TRN_ERR_USAGE, type TrainingError, trainingError } from './errors.js';

/** The train CLI's arguments: where to read the dataset, where to write the package, overrides. */
export interface TrainArgs {
  readonly data: string;
  readonly out: string;
  readonly config: Partial<TrainConfig>;
}

/** The paths every run needs, before the options of `TRAIN_OPTIONS`. */
const PATHS = [
  { flag: 'data', help: 'dataset directory: labels.txt, train.tsv, dev.tsv' },
  { flag: 'out', help: 'model package directory to write (created if needed)' },
] as const;

/** Placeholder of an option's value in the usage text. */
function placeholder(option: TrainOption): string {
  return option.kind === 'orders' ? 'L' : option.kind === 'integer' ? 'N' : 'X';
}

function formatDefault(option: TrainOption): string {
  const value = DEFAULT_CONFIG[option.field];
  if (typeof value === 'number') return String(value);
  return value.length === 0 ? '""' : value.join(',');
}

/** Columns the usage text wraps at. */
const USAGE_WIDTH = 100;

/** `words` joined by spaces into lines of at most `width` characters where they fit. */
function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** The usage text: each option with its value, its help and its default, help wrapped in a column. */
export function trainUsage(): string {
  const rows: [string, string[]][] = [
    ...PATHS.map(({ flag, help }): [string, string[]] => [`--${flag} <dir>`, help.split(' ')]),
    ...TRAIN_OPTIONS.map((option): [string, string[]] => {
      const list = option.kind === 'orders' ? '; "" for none' : '';
      return [
        `--${option.flag} ${placeholder(option)}`,
        [...`${option.help}${list}`.split(' '), `(default ${formatDefault(option)})`],
      ];
    }),
  ];
  const column = 2 + Math.max(...rows.map(([left]) => left.length)) + 2;
  const indent = ' '.repeat(column);
  return [
    'usage: npm run train:model -- --data <dataset dir> --out <model dir> [options]',
    ...rows.flatMap(([left, right]) =>
      wrap(right, USAGE_WIDTH - column).map((line, i) =>
        i === 0 ? `  ${left}`.padEnd(column) + line : indent + line,
      ),
    ),
  ].join('\n');
}

function optionError(flag: string, raw: string, expected: string): TrainingError {
  return trainingError(
    TRN_ERR_USAGE,
    `option --${flag} is ${JSON.stringify(raw)}; expected ${expected}`,
    { field: flag },
  );
}

function parseNumber(flag: string, raw: string): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw optionError(flag, raw, 'a number');
  return value;
}

/** The value of `option` given as `raw` on the command line; throws naming the flag if it is bad. */
function parseValue(option: TrainOption, raw: string): number | number[] {
  const value =
    option.kind === 'orders'
      ? raw.trim() === ''
        ? []
        : raw.split(',').map((part) => parseNumber(option.flag, part))
      : parseNumber(option.flag, raw);
  if (!accepts(option, value)) throw optionError(option.flag, raw, expectation(option));
  return value;
}

/**
 * Parses the train CLI's arguments into the paths and the options given, by `TRAIN_OPTIONS`.
 * Unknown options, values out of their option's range and a missing --data or --out are
 * `TRN_ERR_USAGE`; rules across options are left to `resolveConfig`.
 */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        [...PATHS, ...TRAIN_OPTIONS].map(({ flag }) => [flag, { type: 'string' as const }]),
      ),
    }) as { values: Record<string, string | undefined> });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw trainingError(TRN_ERR_USAGE, `${reason}\n${trainUsage()}`, { cause });
  }
  const { data, out } = values;
  if (data === undefined || out === undefined) {
    throw trainingError(
      TRN_ERR_USAGE,
      `option --${data === undefined ? 'data' : 'out'} is missing; expected a path\n${trainUsage()}`,
    );
  }
  const config: Record<string, number | number[]> = {};
  for (const option of TRAIN_OPTIONS) {
    const raw = values[option.flag];
    if (raw !== undefined) config[option.field] = parseValue(option, raw);
  }
  return { data, out, config: config as Partial<TrainConfig> };
}
