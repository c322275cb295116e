import { type ErrorSpec, RunwatchError } from '../lib/errors.js';

/**
 * Errors of the offline training and evaluation scripts. They never reach an HTTP edge; the status
 * code only satisfies `RunwatchError` and mirrors the nearest HTTP meaning (bad input: 400).
 * Messages name the file, line or option, the bad value and what was expected, but never quote a
 * whole text (dataset texts are user data).
 */
export class TrainingError extends RunwatchError {}

export const TRN_ERR_DATA_INVALID = 'TRN_ERR_DATA_INVALID';
export const TRN_ERR_DATA_MISSING = 'TRN_ERR_DATA_MISSING';
export const TRN_ERR_USAGE = 'TRN_ERR_USAGE';
export const TRN_ERR_MODEL_INVALID = 'TRN_ERR_MODEL_INVALID';

export const TRAINING_ERRORS: readonly ErrorSpec[] = [
  {
    code: TRN_ERR_DATA_INVALID,
    statusCode: 400,
    surface: 'exit 1',
    meaning: 'A dataset line has the wrong number of columns, an empty text or a bad label id.',
  },
  {
    code: TRN_ERR_DATA_MISSING,
    statusCode: 400,
    surface: 'exit 1',
    meaning: 'The dataset directory, labels.txt, train.tsv or dev.tsv cannot be read.',
  },
  {
    code: TRN_ERR_USAGE,
    statusCode: 400,
    surface: 'exit 1',
    meaning: 'A command-line option or training option is unknown or out of range.',
  },
  {
    code: TRN_ERR_MODEL_INVALID,
    statusCode: 400,
    surface: 'exit 1',
    meaning:
      'A model.onnx lacks an initializer the reference network needs, or has the wrong shape.',
  },
];

export function trainingError(
  code: string,
  message: string,
  options: { cause?: unknown; field?: string } = {},
): TrainingError {
  const spec = TRAINING_ERRORS.find((s) => s.code === code);
  if (spec === undefined)
    throw new TypeError(`unknown training error code ${JSON.stringify(code)}`);
  return new TrainingError(code, spec.statusCode, message, options);
}
