import test from 'ava';
import { labelPositives, positiveWeights, weightedCrossEntropy } from '../../training/loss.js';
import {
  backwardRow,
  createRowPass,
  forwardMember,
  forwardRow,
  type NetworkWeights,
  zeroWeights,
} from '../../training/network.js';
import { mulberry32 } from '../../training/prng.js';

function tinyNetwork(seed: number): NetworkWeights {
  const random = mulberry32(seed);
  const uniform = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
  const [buckets, dim, hidden, labels] = [6, 3, 5, 2];
  const embedding = uniform(buckets * dim);
  embedding.fill(0, 0, dim);
  return {
    buckets,
    dim,
    hidden,
    labels,
    embedding,
    w1: uniform(dim * hidden),
    b1: uniform(hidden),
    w2: uniform(hidden * labels),
    b2: uniform(labels),
  };
}

const IDS = Int32Array.of(1, 4, 4, 5);
const TRUTH = Uint8Array.of(1, 0);
const POS_WEIGHT = Float64Array.of(2, 1);
const MASK = Float64Array.of(2, 0, 2);

function loss(weights: NetworkWeights, mask?: Float64Array): number {
  const pass = createRowPass(weights);
  forwardRow(weights, IDS, pass, mask);
  return weightedCrossEntropy(pass.scores, TRUTH, 0, POS_WEIGHT, 1, new Float64Array(2), 0);
}

test('network: the backward pass is the gradient of the loss through the forward pass', (t) => {
  for (const mask of [undefined, MASK]) {
    const weights = tinyNetwork(7);
    const pass = createRowPass(weights);
    forwardRow(weights, IDS, pass, mask);
    const dClipped = new Float64Array(2);
    weightedCrossEntropy(pass.scores, TRUTH, 0, POS_WEIGHT, 1, dClipped, 0);
    const gradients = zeroWeights(weights);
    backwardRow(weights, IDS, pass, dClipped, gradients, mask);
    for (const name of ['embedding', 'w1', 'b1', 'w2', 'b2'] as const) {
      const param = weights[name];
      for (let i = 0; i < param.length; i++) {
        const saved = param[i] ?? 0;
        const h = 1e-2;
        param[i] = saved + h;
        const up = loss(weights, mask);
        param[i] = saved - h;
        const down = loss(weights, mask);
        param[i] = saved;
        const numeric = (up - down) / (Math.fround(saved + h) - Math.fround(saved - h));
        const analytic = gradients[name][i] ?? 0;
        t.true(
          Math.abs(numeric - analytic) <= 1e-3 + 1e-2 * Math.abs(numeric),
          `${name}[${i}] ${mask ? 'masked' : 'unmasked'}: numeric ${numeric}, backward ${analytic}`,
        );
      }
    }
  }
});

test('network: padding ids change neither the scores nor the gradient', (t) => {
  const weights = tinyNetwork(3);
  const padded = Int32Array.of(0, 1, 4, 0, 4, 5, 0);
  t.deepEqual(forwardMember(weights, padded), forwardMember(weights, IDS));
  const gradientOf = (ids: Int32Array) => {
    const pass = createRowPass(weights);
    forwardRow(weights, ids, pass);
    const gradients = zeroWeights(weights);
    backwardRow(weights, ids, pass, Float64Array.of(0.5, -0.25), gradients);
    return gradients;
  };
  t.deepEqual(gradientOf(padded), gradientOf(IDS));
  t.true(
    gradientOf(padded)
      .embedding.subarray(0, weights.dim)
      .every((g) => g === 0),
  );
});

test('network: a saturated logit passes no gradient', (t) => {
  const weights = tinyNetwork(5);
  weights.b2[0] = 100;
  const pass = createRowPass(weights);
  forwardRow(weights, IDS, pass);
  const gradients = zeroWeights(weights);
  backwardRow(weights, IDS, pass, Float64Array.of(1, 0), gradients);
  t.is(gradients.b2[0], 0);
  t.true(gradients.w1.every((g) => g === 0));
});

test('loss: rare labels weigh their positives up, by the configured power', (t) => {
  const truth = Uint8Array.of(1, 0, 0, 0, 1, 1, 0, 1);
  const positives = labelPositives(truth, 2);
  t.deepEqual([...positives], [2, 2]);
  t.deepEqual([...positiveWeights(Float64Array.of(1, 3), 4, 1)], [2, 0.5]);
  t.deepEqual([...positiveWeights(Float64Array.of(1, 3), 4, 0)], [1, 1]);
});
