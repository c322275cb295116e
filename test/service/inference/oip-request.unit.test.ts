/**
 * The Open Inference Protocol request parser on hostile `data` (issue 16, finding 8): nesting and
 * element count are bounded before any work proportional to them, and every refusal is a 400
 * naming the element, never a stack overflow.
 */
import test from 'ava';
import { ServiceError } from '../../../service/errors.js';
import { parseInferRequest } from '../../../service/inference/oip-request.js';

const SIG = { input: 'text', outputs: ['scores', 'predicted'], maxTexts: 100, maxInputLength: 512 };

function body(data: unknown, shape: number[] = [1]) {
  return { inputs: [{ name: 'text', datatype: 'BYTES', shape, data }] };
}

/** `leaf` wrapped in `depth` arrays: depth 1 is `[leaf]`. */
function nested(depth: number, leaf: unknown = 'x'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function refusal(t: import('ava').ExecutionContext, fn: () => unknown): ServiceError {
  const e = t.throws(fn);
  t.true(e instanceof ServiceError, String(e));
  const err = e as ServiceError;
  t.is(err.code, 'SVC_ERR_INPUT_INVALID');
  t.is(err.statusCode, 400);
  return err;
}

test('oip request: data nested 8,000 deep is 400 SVC_ERR_INPUT_INVALID naming inputs[0].data[0][0], not a stack overflow', (t) => {
  const err = refusal(t, () => parseInferRequest(body(nested(8000)), SIG));
  t.is(err.field, 'inputs[0].data[0][0]');
  t.regex(err.message, /"inputs\[0\]\.data\[0\]\[0\]" is an array; expected a string/);
});

test('oip request: data nested one level deeper than shape [n, 1] allows is 400 naming the element', (t) => {
  const err = refusal(t, () => parseInferRequest(body([['a'], [['b']]], [2, 1]), SIG));
  t.is(err.field, 'inputs[0].data[1][0]');
});

test('oip request: flat data and data nested as [n, 1] are both accepted, row-major', (t) => {
  t.deepEqual(parseInferRequest(body(['a', 'b'], [2]), SIG).texts, ['a', 'b']);
  t.deepEqual(parseInferRequest(body([['a'], ['b']], [2, 1]), SIG).texts, ['a', 'b']);
  t.deepEqual(parseInferRequest(body([['a', 'b'], 'c'], [3]), SIG).texts, ['a', 'b', 'c']);
});

test('oip request: data with more elements than the shape is refused as soon as it has one too many', (t) => {
  const many = Array.from({ length: 1_000_000 }, () => 'x');
  const flat = refusal(t, () => parseInferRequest(body(many, [2]), SIG));
  t.is(flat.field, 'inputs[0].data');
  t.regex(flat.message, /has more than 2 elements but shape \[2\] needs 2/);
  const rows = refusal(t, () => parseInferRequest(body([['a', 'b'], many], [2]), SIG));
  t.regex(rows.message, /has more than 2 elements/);
});

test('oip request: data with fewer elements than the shape still says how many it has', (t) => {
  const err = refusal(t, () => parseInferRequest(body([['a'], []], [2, 1]), SIG));
  t.regex(err.message, /has 1 elements but shape \[2, 1\] needs 2/);
});
