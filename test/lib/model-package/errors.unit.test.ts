import test from 'ava';
import { RunwatchError } from '../../../lib/errors.js';
import {
  isModelPackageError,
  MDL_ERR_INFERENCE_FAILED,
  MDL_ERR_IO_MISMATCH,
  MDL_ERR_PACKAGE_CORRUPT,
  MDL_ERR_PACKAGE_MISSING,
  MODEL_ERRORS,
  ModelError,
  modelError,
} from '../../../lib/model-package/errors.js';

test('MODEL_ERRORS: lists the four model codes with their HTTP status', (t) => {
  t.deepEqual(
    MODEL_ERRORS.map((e) => [e.code, e.statusCode]),
    [
      [MDL_ERR_PACKAGE_MISSING, 503],
      [MDL_ERR_PACKAGE_CORRUPT, 503],
      [MDL_ERR_IO_MISMATCH, 503],
      [MDL_ERR_INFERENCE_FAILED, 500],
    ],
  );
  t.true(MODEL_ERRORS.every((e) => e.meaning.length > 0));
});

test('modelError: takes the status code from the catalogue', (t) => {
  const error = modelError(MDL_ERR_INFERENCE_FAILED, 'boom', { field: 'x' });
  t.true(error instanceof ModelError);
  t.true(error instanceof RunwatchError);
  t.is(error.name, 'ModelError');
  t.is(error.statusCode, 500);
  t.is(error.field, 'x');
  t.throws(() => modelError('MDL_ERR_NOPE', 'boom'), { instanceOf: TypeError });
});

test('isModelPackageError: true exactly for the package errors the service exits 66 on', (t) => {
  t.true(isModelPackageError(modelError(MDL_ERR_PACKAGE_MISSING, 'm')));
  t.true(isModelPackageError(modelError(MDL_ERR_PACKAGE_CORRUPT, 'm')));
  t.true(isModelPackageError(modelError(MDL_ERR_IO_MISMATCH, 'm')));
  t.false(isModelPackageError(modelError(MDL_ERR_INFERENCE_FAILED, 'm')));
  t.false(isModelPackageError(new RunwatchError(MDL_ERR_PACKAGE_MISSING, 503, 'not a ModelError')));
  t.false(isModelPackageError(new Error(MDL_ERR_PACKAGE_MISSING)));
  t.false(isModelPackageError(undefined));
});
