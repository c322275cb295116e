import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { float16Bits } from './float16.js';
import { type Ensemble, LOGIT_LIMIT } from './network.js';

// onnx-proto is CommonJS assigning `module.exports`, so ESM sees only a default export.
const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;
const ATTR_INT = onnx.AttributeProto.AttributeType.INT;

/** Initializer names of member `m`; `read-onnx.ts` decodes the weights back by these names. */
export function initializerNames(m: number) {
  return {
    embedding: `m${m}_embedding`,
    w1: `m${m}_hidden_weight`,
    b1: `m${m}_hidden_bias`,
    w2: `m${m}_output_weight`,
    b2: `m${m}_output_bias`,
  } as const;
}

/** ONNX raw_data is little-endian whatever the host, hence DataView rather than `.buffer`. */
export function floatTensor(
  name: string,
  dims: number[],
  values: Float32Array,
): OnnxTypes.ITensorProto {
  const raw = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) raw.setFloat32(i * 4, values[i] ?? 0, true);
  return { name, dataType: FLOAT, dims, rawData: new Uint8Array(raw.buffer) };
}

export function float16Tensor(
  name: string,
  dims: number[],
  values: Float32Array,
): OnnxTypes.ITensorProto {
  const raw = new DataView(new ArrayBuffer(values.length * 2));
  for (let i = 0; i < values.length; i++) raw.setUint16(i * 2, float16Bits(values[i] ?? 0), true);
  return { name, dataType: FLOAT16, dims, rawData: new Uint8Array(raw.buffer) };
}

export function int64Tensor(
  name: string,
  dims: number[],
  values: readonly bigint[],
): OnnxTypes.ITensorProto {
  const raw = new DataView(new ArrayBuffer(values.length * 8));
  for (const [i, v] of values.entries()) raw.setBigInt64(i * 8, v, true);
  return { name, dataType: INT64, dims, rawData: new Uint8Array(raw.buffer) };
}

export function tensorValueInfo(
  name: string,
  elemType: number,
  dims: readonly (number | string)[],
): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/**
 * Encodes the ensemble (see `network.ts`) as an ONNX ModelProto (IR 8, opset 13). Shared by all
 * members:
 *
 *   ids -> Greater(0) -> Cast(float) -> ReduceSum(axis 1, keepdims) -> Max(1) -> Sqrt  = denominator
 *
 * then per member m (initializers and values prefixed `m<m>_`):
 *
 *   ids int64 [N, L] -> Gather(embedding float16) -> Cast(float) -> ReduceSum(axis 1)   = summed
 *   Div(summed, denominator) -> MatMul -> Add -> Relu -> MatMul -> Add -> Clip(±LOGIT_LIMIT) -> Sigmoid
 *
 * and `scores` = Mean of the members' sigmoids. The embeddings' float32 values must already be
 * float16-representable (`roundToFloat16`); otherwise the graph and the reference forward pass
 * would disagree by the rounding.
 */
export function encodeNetwork(ensemble: Ensemble): Uint8Array {
  const first = ensemble[0];
  if (first === undefined) throw new RangeError('an ensemble needs at least one member');
  const labels = first.labels;
  const node = (
    opType: string,
    input: string[],
    output: string,
    attribute: OnnxTypes.IAttributeProto[] = [],
  ) => ({ opType, input, output: [output], name: output, attribute });
  const initializer: OnnxTypes.ITensorProto[] = [
    // Since opset 13 ReduceSum takes its axes as an input tensor, not an attribute.
    int64Tensor('axis_1', [1], [1n]),
    int64Tensor('padding_id', [], [0n]),
    floatTensor('one', [], Float32Array.of(1)),
    floatTensor('logit_min', [], Float32Array.of(-LOGIT_LIMIT)),
    floatTensor('logit_max', [], Float32Array.of(LOGIT_LIMIT)),
  ];
  const nodes = [
    node('Greater', ['ids', 'padding_id'], 'is_feature'),
    node('Cast', ['is_feature'], 'is_feature_f', [{ name: 'to', type: ATTR_INT, i: FLOAT }]),
    node('ReduceSum', ['is_feature_f', 'axis_1'], 'count', [
      { name: 'keepdims', type: ATTR_INT, i: 1 },
    ]),
    node('Max', ['count', 'one'], 'count_at_least_1'),
    node('Sqrt', ['count_at_least_1'], 'denominator'),
  ];
  const memberScores: string[] = [];
  for (const [m, weights] of ensemble.entries()) {
    const { buckets, dim, hidden } = weights;
    const n = initializerNames(m);
    const v = (name: string) => `m${m}_${name}`;
    initializer.push(
      float16Tensor(n.embedding, [buckets, dim], weights.embedding),
      floatTensor(n.w1, [dim, hidden], weights.w1),
      floatTensor(n.b1, [hidden], weights.b1),
      floatTensor(n.w2, [hidden, labels], weights.w2),
      floatTensor(n.b2, [labels], weights.b2),
    );
    nodes.push(
      node('Gather', [n.embedding, 'ids'], v('embedded16'), [
        { name: 'axis', type: ATTR_INT, i: 0 },
      ]),
      node('Cast', [v('embedded16')], v('embedded'), [{ name: 'to', type: ATTR_INT, i: FLOAT }]),
      node('ReduceSum', [v('embedded'), 'axis_1'], v('summed'), [
        { name: 'keepdims', type: ATTR_INT, i: 0 },
      ]),
      node('Div', [v('summed'), 'denominator'], v('pooled')),
      node('MatMul', [v('pooled'), n.w1], v('hidden_pre')),
      node('Add', [v('hidden_pre'), n.b1], v('hidden_biased')),
      node('Relu', [v('hidden_biased')], v('hidden')),
      node('MatMul', [v('hidden'), n.w2], v('logits_pre')),
      node('Add', [v('logits_pre'), n.b2], v('logits')),
      node('Clip', [v('logits'), 'logit_min', 'logit_max'], v('logits_clipped')),
      node('Sigmoid', [v('logits_clipped')], v('scores')),
    );
    memberScores.push(v('scores'));
  }
  nodes.push(node('Mean', memberScores, 'scores'));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'runwatch-training',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'emotion_embedding_bag_mlp',
      input: [tensorValueInfo('ids', INT64, ['N', 'L'])],
      output: [tensorValueInfo('scores', FLOAT, ['N', labels])],
      initializer,
      node: nodes,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
