/**
 * Parses an Open Inference Protocol v2 inference request for a text classifier: exactly one
 * input, a BYTES tensor of texts. Every problem is a 400 `SVC_ERR_INPUT_INVALID` whose `field`
 * is the JSON path (`inputs[0].shape`) and whose message names the value and what was expected.
 */
import { describeValue } from '../../lib/errors.js';
import { ServiceError } from '../errors.js';
import { checkText } from './text-input.js';

export interface TextTensorSignature {
  /** The one input's name, e.g. `text`. */
  readonly input: string;
  /** Output names the model produces, in response order. */
  readonly outputs: readonly string[];
  readonly maxTexts: number;
  readonly maxInputLength: number;
}

export interface InferRequest {
  readonly id: string | undefined;
  readonly texts: string[];
  /** Outputs to return, in the model's order; all of them when the request names none. */
  readonly outputs: string[];
}

type Json = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(field: string, message: string): ServiceError {
  return new ServiceError('SVC_ERR_INPUT_INVALID', message, { field });
}

/**
 * `data` flattened row-major, at most `n` texts: the protocol allows flat data or data nested
 * as the shape is, and a shape here has at most two dimensions, so `data` nests at most one
 * level (`[["a"], ["b"]]`). Two loops rather than recursion, and a refusal as soon as an element
 * is nested deeper or is one too many: the work is bounded by `n` and the body, never by how
 * deep a client nests, and no nesting can exhaust the stack.
 */
function flattenData(data: readonly unknown[], n: number, shape: readonly number[]): unknown[] {
  const tooMany = () =>
    invalid(
      'inputs[0].data',
      `field "inputs[0].data" has more than ${n} elements but shape [${shape.join(', ')}] needs ${n}`,
    );
  if (data.length > n) throw tooMany();
  const out: unknown[] = [];
  for (let i = 0; i < data.length; i++) {
    const item = data[i];
    if (!Array.isArray(item)) {
      out.push(item);
      continue;
    }
    for (let j = 0; j < item.length; j++) {
      const element: unknown = item[j];
      if (Array.isArray(element)) {
        const field = `inputs[0].data[${i}][${j}]`;
        throw invalid(
          field,
          `field "${field}" is an array; expected a string (data nests at most one level, as for shape [n, 1])`,
        );
      }
      if (out.length === n) throw tooMany();
      out.push(element);
    }
  }
  return out;
}

function parseShape(value: unknown, field: string, maxTexts: number): number {
  const expected = `[n] or [n, 1] with n in 1..${maxTexts} texts`;
  if (!Array.isArray(value) || value.length === 0 || value.length > 2) {
    throw invalid(field, `field "${field}" is ${describeValue(value)}; expected ${expected}`);
  }
  for (const [i, dim] of value.entries()) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) {
      throw invalid(
        `${field}[${i}]`,
        `field "${field}[${i}]" is ${describeValue(dim)}; expected a non-negative integer`,
      );
    }
  }
  const [n, width = 1] = value as number[];
  if (width !== 1 || n === undefined || n < 1 || n > maxTexts) {
    throw invalid(field, `field "${field}" is [${value.join(', ')}]; expected ${expected}`);
  }
  return n;
}

export function parseInferRequest(body: unknown, sig: TextTensorSignature): InferRequest {
  if (!isObject(body)) {
    throw invalid(
      '(body)',
      `the body is ${describeValue(body)}; expected a JSON object with an "inputs" array`,
    );
  }
  const { id } = body;
  if (id !== undefined && typeof id !== 'string') {
    throw invalid('id', `field "id" is ${describeValue(id)}; expected a string`);
  }

  const { inputs } = body;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalid(
      'inputs',
      `field "inputs" is ${describeValue(inputs)}; expected an array of exactly one tensor, "${sig.input}" (BYTES)`,
    );
  }
  const input: unknown = inputs[0];
  if (!isObject(input)) {
    throw invalid('inputs[0]', `field "inputs[0]" is ${describeValue(input)}; expected an object`);
  }
  if (input.name !== sig.input) {
    throw invalid(
      'inputs[0].name',
      `field "inputs[0].name" is ${describeValue(input.name)}; expected "${sig.input}", the model's only input`,
    );
  }
  if (input.datatype !== 'BYTES') {
    throw invalid(
      'inputs[0].datatype',
      `field "inputs[0].datatype" is ${describeValue(input.datatype)}; expected "BYTES" (one string per text)`,
    );
  }
  const params = input.parameters;
  if (isObject(params) && params.content_type !== undefined && params.content_type !== 'str') {
    throw invalid(
      'inputs[0].parameters.content_type',
      `field "inputs[0].parameters.content_type" is ${describeValue(params.content_type)}; expected "str" or nothing (texts as JSON strings)`,
    );
  }
  const n = parseShape(input.shape, 'inputs[0].shape', sig.maxTexts);
  if (!Array.isArray(input.data)) {
    throw invalid(
      'inputs[0].data',
      `field "inputs[0].data" is ${describeValue(input.data)}; expected an array of ${n} strings`,
    );
  }
  const shape = input.shape as number[];
  const data = flattenData(input.data, n, shape);
  if (data.length !== n) {
    throw invalid(
      'inputs[0].data',
      `field "inputs[0].data" has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`,
    );
  }
  for (const [i, text] of data.entries()) {
    const problem = checkText(text, `inputs[0].data[${i}]`, sig.maxInputLength);
    if (problem) throw problem;
  }

  const requested = body.outputs;
  let outputs = [...sig.outputs];
  if (requested !== undefined) {
    if (!Array.isArray(requested)) {
      throw invalid(
        'outputs',
        `field "outputs" is ${describeValue(requested)}; expected an array of {"name": ...}`,
      );
    }
    const names = new Set<string>();
    for (const [i, o] of requested.entries()) {
      const name = isObject(o) ? o.name : undefined;
      if (typeof name !== 'string' || !sig.outputs.includes(name)) {
        throw invalid(
          `outputs[${i}].name`,
          `field "outputs[${i}].name" is ${describeValue(name)}; expected one of ${sig.outputs.map((s) => `"${s}"`).join(', ')}`,
        );
      }
      names.add(name);
    }
    if (names.size > 0) outputs = sig.outputs.filter((name) => names.has(name));
  }
  return { id, texts: data as string[], outputs };
}
