/** The health-check contract: each check is a factory returning `{name, check()}`. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface CheckResult {
  readonly status: HealthStatus;
  /** The measured value (ms, ratio, ...), or null when nothing could be measured. */
  readonly value: number | null;
  /** The value above which the check is degraded, or null when it never degrades. */
  readonly degraded: number | null;
  /** The value above which the check is unhealthy, or null when it never fails on a value. */
  readonly unhealthy: number | null;
  readonly detail: string;
}

export interface Check {
  readonly name: string;
  check(): Promise<CheckResult> | CheckResult;
  /** Stops any sampler the check owns. */
  close?(): void;
}

/** Classifies a value against thresholds; unhealthy is tested first, so it always dominates. */
export function classify(
  value: number,
  degraded: number | null,
  unhealthy: number | null,
): HealthStatus {
  if (unhealthy !== null && value > unhealthy) return 'unhealthy';
  if (degraded !== null && value > degraded) return 'degraded';
  return 'healthy';
}
