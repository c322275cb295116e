import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { createFeaturizer } from '../../lib/model-package/featurizer.js';
import {
  type FeaturizerSpec,
  MODEL_JSON_FILE,
  MODEL_ONNX_FILE,
  type ModelPackageSpec,
} from '../../lib/model-package/package.js';
import { floatTensor, int64Tensor, tensorValueInfo } from '../../training/export-onnx.js';
import { mulberry32 } from '../../training/prng.js';

/**
 * A real, tiny ONNX model package for tests: a bag of hashed n-gram embeddings, summed, then a
 * linear layer and a sigmoid per label.
 *
 *   ids int64 [N, L] -> Gather(E [buckets, dim]) -> ReduceSum(axis 1) -> MatMul(W [dim, K])
 *     -> Add(b [K]) -> Sigmoid -> scores float [N, K]
 *
 * E's row 0 is zero, so padding ids add nothing and a row's scores do not depend on how much it
 * was padded. Weights come from a seeded PRNG and are small enough that no logit reaches the
 * float32 saturation of the sigmoid (|logit| < 16.6) for realistic texts, so scores stay in (0, 1).
 */

// onnx-proto is CommonJS assigning `module.exports`, so ESM sees only a default export.
const { onnx } = onnxProto;

export const TINY_MODEL_LABELS: readonly string[] = [
  'anger',
  'disgust',
  'fear',
  'joy',
  'neutral',
  'sadness',
  'surprise',
];

export interface TinyModelOptions {
  labels?: string[];
  buckets?: number;
  dim?: number;
  seed?: number;
  /** Graph input name (default `ids`). */
  inputName?: string;
  /** Graph output name (default `scores`). */
  outputName?: string;
  /** Name written to model.json `inputs.ids`; defaults to `inputName`. */
  declaredInputName?: string;
  /** Name written to model.json `outputs.scores`; defaults to `outputName`. */
  declaredOutputName?: string;
  /** Overrides of the featurizer spec, except the hashing space (use `buckets`). */
  featurizer?: Partial<
    Pick<FeaturizerSpec, 'lowercase' | 'word_ngrams' | 'char_ngrams' | 'max_features'>
  >;
}

/** The tiny model's parameters, row-major float32, as the ONNX graph holds them. */
export interface TinyModelWeights {
  readonly buckets: number;
  readonly dim: number;
  readonly labels: number;
  /** E [buckets, dim]; row 0 is zeros. */
  readonly embedding: Float32Array;
  /** W [dim, labels]. */
  readonly weight: Float32Array;
  /** b [labels]. */
  readonly bias: Float32Array;
}

/** The spec `writeTinyModelPackage` writes to model.json for these options. */
export function tinyModelSpec(opts: TinyModelOptions = {}): ModelPackageSpec {
  const labels = opts.labels ?? [...TINY_MODEL_LABELS];
  return {
    name: 'tiny-test-model',
    version: '0.0.1',
    labels,
    thresholds: labels.map(() => 0.5),
    featurizer: {
      type: 'hashed-ngrams',
      version: 1,
      buckets: opts.buckets ?? 4096,
      lowercase: opts.featurizer?.lowercase ?? true,
      word_ngrams: opts.featurizer?.word_ngrams ?? [1, 2],
      char_ngrams: opts.featurizer?.char_ngrams ?? [],
      max_features: opts.featurizer?.max_features ?? 256,
    },
    inputs: { ids: opts.declaredInputName ?? opts.inputName ?? 'ids' },
    outputs: { scores: opts.declaredOutputName ?? opts.outputName ?? 'scores' },
  };
}

/** The weights `writeTinyModelPackage` writes for these options; deterministic in `seed`. */
export function tinyModelWeights(opts: TinyModelOptions = {}): TinyModelWeights {
  const buckets = opts.buckets ?? 4096;
  const dim = opts.dim ?? 8;
  const labels = (opts.labels ?? TINY_MODEL_LABELS).length;
  const random = mulberry32(opts.seed ?? 1);
  const uniform = (scale: number) => (random() * 2 - 1) * scale;
  const embedding = new Float32Array(buckets * dim);
  for (let i = dim; i < embedding.length; i++) embedding[i] = uniform(0.05);
  const weight = Float32Array.from({ length: dim * labels }, () => uniform(0.5));
  const bias = Float32Array.from({ length: labels }, () => uniform(0.1));
  return { buckets, dim, labels, embedding, weight, bias };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const ATTR_INT = onnx.AttributeProto.AttributeType.INT;

/** Encodes the tiny graph as an ONNX ModelProto (IR 8, opset 13). */
export function encodeTinyModel(
  weights: TinyModelWeights,
  inputName: string,
  outputName: string,
): Uint8Array {
  const { buckets, dim, labels } = weights;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'runwatch-test-tiny-model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny_bag_of_ngrams',
      input: [tensorValueInfo(inputName, INT64, ['N', 'L'])],
      output: [tensorValueInfo(outputName, FLOAT, ['N', labels])],
      initializer: [
        floatTensor('E', [buckets, dim], weights.embedding),
        // Since opset 13 ReduceSum takes its axes as an input tensor, not an attribute.
        int64Tensor('axes', [1], [1n]),
        floatTensor('W', [dim, labels], weights.weight),
        floatTensor('b', [labels], weights.bias),
      ],
      node: [
        {
          opType: 'Gather',
          input: ['E', inputName],
          output: ['embedded'],
          attribute: [{ name: 'axis', type: ATTR_INT, i: 0 }],
        },
        {
          opType: 'ReduceSum',
          input: ['embedded', 'axes'],
          output: ['pooled'],
          attribute: [{ name: 'keepdims', type: ATTR_INT, i: 0 }],
        },
        { opType: 'MatMul', input: ['pooled', 'W'], output: ['projected'] },
        { opType: 'Add', input: ['projected', 'b'], output: ['logits'] },
        { opType: 'Sigmoid', input: ['logits'], output: [outputName] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes model.onnx and model.json into `dir` (created if needed) and returns the spec written.
 * The weights are `tinyModelWeights(opts)`.
 */
export async function writeTinyModelPackage(
  dir: string,
  opts: TinyModelOptions = {},
): Promise<ModelPackageSpec> {
  const spec = tinyModelSpec(opts);
  const weights = tinyModelWeights(opts);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, MODEL_ONNX_FILE),
    encodeTinyModel(weights, opts.inputName ?? 'ids', opts.outputName ?? 'scores'),
  );
  await writeFile(join(dir, MODEL_JSON_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  return spec;
}

/**
 * The tiny model's forward pass in plain TypeScript (float64 arithmetic on the float32 weights),
 * one text at a time so it is also independent of batch padding.
 */
export function tinyModelReference(
  spec: ModelPackageSpec,
  weights: TinyModelWeights,
  texts: readonly string[],
): number[][] {
  const { dim, labels, embedding, weight, bias } = weights;
  const featurizer = createFeaturizer(spec.featurizer);
  return texts.map((text) => {
    const { ids } = featurizer.featurize([text]);
    const pooled = new Float64Array(dim);
    for (const id of ids) {
      for (let d = 0; d < dim; d++) {
        pooled[d] = (pooled[d] ?? 0) + (embedding[Number(id) * dim + d] ?? Number.NaN);
      }
    }
    return Array.from({ length: labels }, (_, k) => {
      let logit = bias[k] ?? Number.NaN;
      for (let d = 0; d < dim; d++) logit += (pooled[d] ?? 0) * (weight[d * labels + k] ?? 0);
      return 1 / (1 + Math.exp(-logit));
    });
  });
}
