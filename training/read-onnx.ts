import onnxProto from 'onnx-proto';
import { TRN_ERR_MODEL_INVALID, trainingError } from './errors.js';
import { initializerNames } from './export-onnx.js';
import { float16Value } from './float16.js';
import type { NetworkWeights } from './network.js';

const { onnx } = onnxProto;

export interface DecodedTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * Decodes every FLOAT and FLOAT16 initializer of an ONNX model into float32 values (float16 is
 * exact in float32), by name. Other initializer types are skipped.
 */
export function readInitializers(bytes: Uint8Array): Map<string, DecodedTensor> {
  const model = onnx.ModelProto.decode(bytes);
  const out = new Map<string, DecodedTensor>();
  for (const t of model.graph?.initializer ?? []) {
    const dims = (t.dims ?? []).map(Number);
    const size = dims.reduce((a, b) => a * b, 1);
    const raw = t.rawData ?? new Uint8Array(0);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = new Float32Array(size);
    if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
      if (raw.byteLength > 0) for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true);
      else data.set(t.floatData ?? []);
    } else if (t.dataType === onnx.TensorProto.DataType.FLOAT16) {
      // Without raw_data, float16 values sit one per int32_data element (ONNX spec).
      if (raw.byteLength > 0)
        for (let i = 0; i < size; i++) data[i] = float16Value(view.getUint16(i * 2, true));
      else for (let i = 0; i < size; i++) data[i] = float16Value((t.int32Data ?? [])[i] ?? 0);
    } else {
      continue;
    }
    out.set(t.name ?? '', { dims, data });
  }
  return out;
}

/** The ensemble of a model.onnx written by `encodeNetwork`: members m0, m1, ... in order. */
export function readNetwork(bytes: Uint8Array): NetworkWeights[] {
  const tensors = readInitializers(bytes);
  const members: NetworkWeights[] = [];
  for (let m = 0; tensors.has(initializerNames(m).embedding) || m === 0; m++) {
    const names = initializerNames(m);
    const get = (name: string, rank: number): DecodedTensor => {
      const t = tensors.get(name);
      if (t === undefined || t.dims.length !== rank) {
        throw trainingError(
          TRN_ERR_MODEL_INVALID,
          `model.onnx initializer ${JSON.stringify(name)} is ${t === undefined ? 'missing' : `of shape [${t.dims.join(', ')}]`}; expected a float tensor of rank ${rank}`,
          { field: name },
        );
      }
      return t;
    };
    const embedding = get(names.embedding, 2);
    const w1 = get(names.w1, 2);
    const w2 = get(names.w2, 2);
    const [buckets = 0, dim = 0] = embedding.dims;
    const [, hidden = 0] = w1.dims;
    const [, labels = 0] = w2.dims;
    members.push({
      buckets,
      dim,
      hidden,
      labels,
      embedding: embedding.data,
      w1: w1.data,
      b1: get(names.b1, 1).data,
      w2: w2.data,
      b2: get(names.b2, 1).data,
    });
  }
  return members;
}
