import type { FeaturizerSpec, ModelPackageSpec } from '../lib/model-package/package.js';
import type { TrainConfig } from './config.js';
import type { F1Report, HonestReport } from './metrics.js';
import { LOGIT_LIMIT } from './network.js';

/** What a finished run knows about its model, for model.json. */
export interface RunSummary {
  readonly labels: readonly string[];
  readonly config: TrainConfig;
  readonly featurizer: FeaturizerSpec;
  readonly thresholds: readonly number[];
  readonly honest: HonestReport;
  readonly optimistic: F1Report;
  readonly devRows: number;
  readonly trainRows: number;
  readonly memberSeeds: readonly number[];
  readonly bestEpochs: readonly number[];
  readonly dataSha256: { readonly train: string; readonly dev: string } | undefined;
  readonly onnxSha256: string;
}

/**
 * model.json of a run: the package contract the service validates, then the architecture,
 * dev metrics and provenance it ignores. Key order is part of the file's bytes.
 */
export function modelSpec(run: RunSummary): ModelPackageSpec & Record<string, unknown> {
  const { config } = run;
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const perLabel = (values: readonly number[]) =>
    Object.fromEntries(run.labels.map((label, k) => [label, round(values[k] ?? 0)]));
  return {
    name: 'emotion-ekman',
    version: `1.0.0+${run.onnxSha256.slice(0, 12)}`,
    labels: [...run.labels],
    thresholds: run.thresholds.map((t) => Math.round(t * 1e6) / 1e6),
    featurizer: run.featurizer,
    inputs: { ids: 'ids' },
    outputs: { scores: 'scores' },
    architecture: {
      type: 'ensemble of embedding-bag MLPs, mean of member sigmoids',
      members: config.members,
      pooling: 'sum over non-padding ids / sqrt(max(count, 1))',
      embedding: `float16 [${config.buckets}, ${config.dim}] per member`,
      hidden: config.hidden,
      activation: 'relu',
      output: `sigmoid(clip(logits, -${LOGIT_LIMIT}, ${LOGIT_LIMIT}))`,
    },
    metrics: {
      split: 'dev',
      dev_rows: run.devRows,
      honest_macro_f1: round(run.honest.macro),
      honest_micro_f1: round(run.honest.micro),
      honest_method:
        'thresholds tuned on one half of dev, scored on the other, both ways, 5 seeded shuffles; mean of 10',
      optimistic_macro_f1: round(run.optimistic.macro),
      optimistic_micro_f1: round(run.optimistic.micro),
      per_label_f1: perLabel(run.optimistic.perLabel),
      honest_per_label_f1: perLabel(run.honest.perLabel),
    },
    training: {
      config,
      seed: config.seed,
      member_seeds: [...run.memberSeeds],
      member_weights:
        config.averageFrom > 0
          ? `mean of each member's weights after epochs ${config.averageFrom}..${config.epochs} (no epoch selection)`
          : `each member at its epoch of best honest dev macro-F1: ${run.bestEpochs.join(', ')}`,
      train_rows: run.trainRows,
      data_sha256: run.dataSha256 ?? null,
      model_onnx_sha256: run.onnxSha256,
    },
  };
}
