import { createFeaturizer } from '../lib/model-package/featurizer.js';
import type { FeaturizerSpec } from '../lib/model-package/package.js';
import type { Example } from './data.js';
import { createRowPass, featureIds, forwardRow, type NetworkWeights } from './network.js';

/** Featurized rows: the non-padding ids of row i are `ids[offsets[i]..offsets[i+1])`. */
export interface Rows {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
  /** 1 where row i carries label k, at `i * labels + k`. */
  readonly truth: Uint8Array;
  readonly count: number;
}

/** Featurizes `examples` once, with the service's featurizer, so training ids are serving ids. */
export function featurizeAll(
  spec: FeaturizerSpec,
  examples: readonly Example[],
  labels: number,
): Rows {
  const featurizer = createFeaturizer(spec);
  const parts: number[][] = [];
  let total = 0;
  for (const example of examples) {
    const ids = featureIds(featurizer.featurize([example.text]).ids);
    parts.push(ids);
    total += ids.length;
  }
  const ids = new Int32Array(total);
  const offsets = new Int32Array(examples.length + 1);
  const truth = new Uint8Array(examples.length * labels);
  let at = 0;
  for (const [i, part] of parts.entries()) {
    ids.set(part, at);
    at += part.length;
    offsets[i + 1] = at;
    for (const k of examples[i]?.labels ?? []) truth[i * labels + k] = 1;
  }
  return { ids, offsets, truth, count: examples.length };
}

/** The ids of row `r`. */
export function rowIds(rows: Rows, r: number): Int32Array {
  return rows.ids.subarray(rows.offsets[r] ?? 0, rows.offsets[r + 1] ?? 0);
}

/** Scores of every row by the reference forward pass, so thresholds see what is exported. */
export function scoreRows(weights: NetworkWeights, rows: Rows): Float32Array {
  const out = new Float32Array(rows.count * weights.labels);
  const pass = createRowPass(weights);
  for (let r = 0; r < rows.count; r++) {
    forwardRow(weights, rowIds(rows, r), pass);
    out.set(pass.scores, r * weights.labels);
  }
  return out;
}
