/**
 * The model seam. The service only ever talks to a `Model`; the ONNX-backed implementation and
 * any decorator (tests wrap it in `DelayedModel`) satisfy the same contract.
 */
export interface Model {
  /** The model package's `name` (e.g. `emotion-ekman`). */
  readonly name: string;
  /** The model package's `version`. */
  readonly version: string;
  /** Output labels, in score order. */
  readonly labels: readonly string[];
  /** Per-label decision thresholds, same order as `labels`. */
  readonly thresholds: readonly number[];
  /**
   * Scores every text: one row per text, one score in [0, 1] per label. Rejects with a
   * `ModelError` (`MDL_ERR_INFERENCE_FAILED`) when the runtime fails; never resolves to a row of
   * another length.
   */
  predict(texts: readonly string[]): Promise<number[][]>;
  /** Releases the runtime session. Idempotent. */
  close(): Promise<void>;
}
