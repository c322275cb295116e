import type { NetworkParameters, NetworkWeights } from './network.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** Adam's first and second moment estimates for one parameter array. */
class Moments {
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }
}

/** One Adam step on `param[from..to)` with gradient `grad[from..to)`, then zeroes the gradient. */
function adamStep(
  param: Float32Array,
  grad: Float32Array,
  state: Moments,
  from: number,
  to: number,
  lr: number,
  correction1: number,
  correction2: number,
): void {
  const { m, v } = state;
  for (let i = from; i < to; i++) {
    const g = grad[i] ?? 0;
    const mi = BETA1 * (m[i] ?? 0) + (1 - BETA1) * g;
    const vi = BETA2 * (v[i] ?? 0) + (1 - BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] =
      (param[i] ?? 0) - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + EPSILON);
    grad[i] = 0;
  }
}

/**
 * Adam over one member's parameters. The dense layers step every batch. The embedding is lazy: only
 * the rows `touch`ed in a batch step, and each row's bias correction counts its own steps, since
 * its moments have only seen the batches it was in.
 */
export class MemberOptimizer {
  private taken = 0;
  private readonly embedding: Moments;
  private readonly w1: Moments;
  private readonly b1: Moments;
  private readonly w2: Moments;
  private readonly b2: Moments;
  /** Steps taken by each embedding row. */
  private readonly rowSteps: Int32Array;
  /** The step during which each row was last touched (-1: never), so `touched` lists it once. */
  private readonly touchedAt: Int32Array;
  private readonly touched: number[] = [];

  constructor(weights: NetworkWeights) {
    this.embedding = new Moments(weights.embedding.length);
    this.w1 = new Moments(weights.w1.length);
    this.b1 = new Moments(weights.b1.length);
    this.w2 = new Moments(weights.w2.length);
    this.b2 = new Moments(weights.b2.length);
    this.rowSteps = new Int32Array(weights.buckets);
    this.touchedAt = new Int32Array(weights.buckets).fill(-1);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.taken;
  }

  /** Records that the embedding rows of `ids` have a gradient in the coming step. */
  touch(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] ?? 0;
      if (this.touchedAt[id] !== this.taken) {
        this.touchedAt[id] = this.taken;
        this.touched.push(id);
      }
    }
  }

  /**
   * One step: the dense parameters with step size `lr`, the touched embedding rows with
   * `embeddingLr`. Zeroes the gradients it applied, which are all the non-zero ones.
   */
  step(
    weights: NetworkWeights,
    gradients: NetworkParameters,
    lr: number,
    embeddingLr: number,
  ): void {
    this.taken++;
    const c1 = 1 - BETA1 ** this.taken;
    const c2 = 1 - BETA2 ** this.taken;
    adamStep(weights.w1, gradients.w1, this.w1, 0, weights.w1.length, lr, c1, c2);
    adamStep(weights.b1, gradients.b1, this.b1, 0, weights.b1.length, lr, c1, c2);
    adamStep(weights.w2, gradients.w2, this.w2, 0, weights.w2.length, lr, c1, c2);
    adamStep(weights.b2, gradients.b2, this.b2, 0, weights.b2.length, lr, c1, c2);
    const { dim } = weights;
    for (const id of this.touched) {
      const t = (this.rowSteps[id] ?? 0) + 1;
      this.rowSteps[id] = t;
      adamStep(
        weights.embedding,
        gradients.embedding,
        this.embedding,
        id * dim,
        (id + 1) * dim,
        embeddingLr,
        1 - BETA1 ** t,
        1 - BETA2 ** t,
      );
    }
    this.touched.length = 0;
  }
}
