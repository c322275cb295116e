import { type ErrorSpec, RunwatchError } from '../errors.js';

/**
 * Every error the model seam raises on purpose. Messages name the path or field, the bad value
 * and what was expected; they never quote request text, because texts are user data and error
 * messages end up in logs.
 */
export class ModelError extends RunwatchError {}

export const MDL_ERR_PACKAGE_MISSING = 'MDL_ERR_PACKAGE_MISSING';
export const MDL_ERR_PACKAGE_CORRUPT = 'MDL_ERR_PACKAGE_CORRUPT';
export const MDL_ERR_IO_MISMATCH = 'MDL_ERR_IO_MISMATCH';
export const MDL_ERR_INFERENCE_FAILED = 'MDL_ERR_INFERENCE_FAILED';

export const MODEL_ERRORS: readonly ErrorSpec[] = [
  {
    code: MDL_ERR_PACKAGE_MISSING,
    statusCode: 503,
    surface: 'exit 66',
    meaning: 'The model package directory, its model.onnx or its model.json does not exist.',
  },
  {
    code: MDL_ERR_PACKAGE_CORRUPT,
    statusCode: 503,
    surface: 'exit 66',
    meaning:
      'model.json is not JSON or fails its schema, or model.onnx does not load in onnxruntime.',
  },
  {
    code: MDL_ERR_IO_MISMATCH,
    statusCode: 503,
    surface: 'exit 66',
    meaning:
      "The ONNX graph's input/output names, types or output width differ from what model.json declares.",
  },
  {
    code: MDL_ERR_INFERENCE_FAILED,
    statusCode: 500,
    meaning:
      'onnxruntime failed to score a batch, returned scores outside [0, 1], or the model is closed.',
  },
];

function statusOf(code: string): number {
  const spec = MODEL_ERRORS.find((s) => s.code === code);
  if (spec === undefined) throw new TypeError(`unknown model error code ${JSON.stringify(code)}`);
  return spec.statusCode;
}

/** Builds a `ModelError` whose status code comes from the catalogue, so the two cannot drift. */
export function modelError(
  code: string,
  message: string,
  options: { cause?: unknown; field?: string } = {},
): ModelError {
  return new ModelError(code, statusOf(code), message, options);
}

const PACKAGE_ERROR_CODES: readonly string[] = [
  MDL_ERR_PACKAGE_MISSING,
  MDL_ERR_PACKAGE_CORRUPT,
  MDL_ERR_IO_MISMATCH,
];

/**
 * True for the errors that mean "this model package cannot be served": the service exits with
 * code 66 (EX_NOINPUT) on them at start-up instead of retrying, because a restart cannot fix them.
 */
export function isModelPackageError(e: unknown): boolean {
  return e instanceof ModelError && PACKAGE_ERROR_CODES.includes(e.code);
}
