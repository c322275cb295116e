/** Open Inference Protocol requests of the wrong shape or datatype. */
import { type Case, INFER, KEY, LABELS, LONG, MODEL, oip, post } from './table.js';

export const OIP_CASES: Case[] = [
  // --- Open Inference Protocol shape and datatype errors -------------------------------------
  ...(
    [
      ['datatype FP32', oip({ datatype: 'FP32' }), 'inputs[0].datatype', /expected "BYTES"/],
      ['no datatype', oip({ datatype: undefined }), 'inputs[0].datatype', /expected "BYTES"/],
      ['the input named "texts"', oip({ name: 'texts' }), 'inputs[0].name', /expected "text"/],
      ['no "inputs"', { id: 'x' }, 'inputs', /expected an array of exactly one tensor/],
      ['"inputs" empty', { inputs: [] }, 'inputs', /exactly one tensor/],
      ['two inputs', { inputs: [oip().inputs[0], oip().inputs[0]] }, 'inputs', /exactly one/],
      ['an input that is a string', { inputs: ['hello'] }, 'inputs[0]', /expected an object/],
      ['no shape', oip({ shape: undefined }), 'inputs[0].shape', /expected \[n\] or \[n, 1\]/],
      ['shape [0]', oip({ shape: [0], data: [] }), 'inputs[0].shape', /is \[0\]/],
      [
        'shape [101] (MAX_BATCH_SIZE 100)',
        oip({ shape: [101], data: Array.from({ length: 101 }, () => 'x') }),
        'inputs[0].shape',
        /n in 1\.\.100/,
      ],
      ['shape [1, 2]', oip({ shape: [1, 2], data: ['a', 'b'] }), 'inputs[0].shape', /is \[1, 2\]/],
      ['shape [-1]', oip({ shape: [-1] }), 'inputs[0].shape[0]', /non-negative integer/],
      ['shape [1.5]', oip({ shape: [1.5] }), 'inputs[0].shape[0]', /non-negative integer/],
      ['shape "1" (a string)', oip({ shape: '1' }), 'inputs[0].shape', /expected \[n\]/],
      [
        'shape [2] with one element',
        oip({ shape: [2], data: ['one'] }),
        'inputs[0].data',
        /has 1 elements but shape \[2\] needs 2/,
      ],
      ['data that is a string', oip({ data: 'hello' }), 'inputs[0].data', /expected an array/],
      ['a number in data', oip({ data: [42] }), 'inputs[0].data[0]', /expected a string/],
      [
        'data nested 2,000 deep (the most a 4 KiB body holds)',
        oip({ data: JSON.parse(`${'['.repeat(2000)}"x"${']'.repeat(2000)}`) }),
        'inputs[0].data[0][0]',
        /is an array; expected a string \(data nests at most/,
      ],
      [
        'more elements in data than the shape holds',
        oip({ shape: [2], data: ['a', 'b', 'c'] }),
        'inputs[0].data',
        /has more than 2 elements but shape \[2\] needs 2/,
      ],
      ['an empty string in data', oip({ data: [''] }), 'inputs[0].data[0]', /is empty/],
      [
        'a whitespace-only string in data',
        oip({ shape: [2], data: ['ok', ' \n '] }),
        'inputs[0].data[1]',
        /whitespace only/,
      ],
      [
        'a 513-code-point string in data',
        oip({ data: [LONG] }),
        'inputs[0].data[0]',
        /513 code points/,
      ],
      [
        'content_type "base64"',
        oip({ parameters: { content_type: 'base64' } }),
        'inputs[0].parameters.content_type',
        /expected "str"/,
      ],
      [
        'an unknown requested output',
        oip({}, { outputs: [{ name: 'logits' }] }),
        'outputs[0].name',
        /expected one of "scores", "predicted"/,
      ],
      [
        '"outputs" that is an object',
        oip({}, { outputs: { name: 'scores' } }),
        'outputs',
        /expected an array/,
      ],
      ['a numeric "id"', oip({}, { id: 7 }), 'id', /expected a string/],
      [
        'a body that is an array',
        [oip()],
        '(body)',
        /expected a JSON object with an "inputs" array/,
      ],
    ] as const
  ).map(
    ([what, value, field, message]): Case => ({
      name: `OIP infer with ${what} is 400 SVC_ERR_INPUT_INVALID naming "${field}" in the protocol body`,
      send: post(INFER, value),
      status: 400,
      body: 'oip',
      code: 'SVC_ERR_INPUT_INVALID',
      field,
      message,
    }),
  ),
  {
    name: 'OIP infer with a lone surrogate in data is scored (200)',
    send: post(INFER, oip({ data: ['lone \ud800'] })),
    status: 200,
    body: 'ok',
    check: (t, body) => {
      const out = (body as { outputs: { name: string; shape: number[] }[] }).outputs;
      t.deepEqual(out[0]?.shape, [1, LABELS.length]);
    },
  },
  {
    name: 'OIP infer with invalid JSON is 400 SVC_ERR_BODY_INVALID_JSON in the protocol body',
    send: post(INFER, '{"inputs": ['),
    status: 400,
    body: 'oip',
    code: 'SVC_ERR_BODY_INVALID_JSON',
  },
  {
    name: 'OIP infer with a text/plain body is 415 SVC_ERR_UNSUPPORTED_MEDIA_TYPE in the protocol body',
    send: post(INFER, JSON.stringify(oip()), { 'content-type': 'text/plain', 'x-api-key': KEY }),
    status: 415,
    body: 'oip',
    code: 'SVC_ERR_UNSUPPORTED_MEDIA_TYPE',
    field: 'Content-Type',
    message: /content type "text\/plain"/,
  },
  {
    name: 'OIP infer over BODY_LIMIT_BYTES is 413 SVC_ERR_BODY_TOO_LARGE in the protocol body',
    send: post(
      INFER,
      oip({ shape: [20], data: Array.from({ length: 20 }, () => 'c'.repeat(250)) }),
    ),
    status: 413,
    body: 'oip',
    code: 'SVC_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'OIP infer for an unknown model is 404 SVC_ERR_MODEL_NOT_FOUND naming model_name',
    send: post('/v2/models/no-such-model/infer', oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_name',
    message: /model "no-such-model" is not loaded/,
  },
  {
    name: 'OIP infer for an unknown version is 404 SVC_ERR_MODEL_NOT_FOUND naming model_version',
    send: post(`/v2/models/${MODEL}/versions/9.9.9/infer`, oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_version',
    message: /version "9.9.9" of model/,
  },
  {
    name: 'OIP infer for a model name over 100 characters is 404 SVC_ERR_MODEL_NOT_FOUND in the protocol body',
    send: post(`/v2/models/${'m'.repeat(101)}/infer`, oip()),
    status: 404,
    body: 'oip',
    code: 'SVC_ERR_MODEL_NOT_FOUND',
    field: 'model_name',
    message: /model "m{101}" is not loaded/,
  },
];
