/** Small pure helpers over the overload bench's figures. */

/** The `q` quantile (nearest rank, 0 < q ≤ 1) of `values`; 0 when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
}

/** The lower median: of an even count, the smaller middle value. 0 when there are none. */
export const lowerMedian = (values: readonly number[]): number => quantile(values, 0.5);

/** a ÷ b, and 0 when b is not positive (no capacity measured means no ratio met). */
export const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Per-second counts summed over whole seconds [fromS, toS), per second; 0 for an empty span. */
export function ratePerSecond(bySecond: readonly number[], fromS: number, toS: number): number {
  if (toS <= fromS) return 0;
  let n = 0;
  for (let s = fromS; s < toS; s++) n += bySecond[s] ?? 0;
  return n / (toS - fromS);
}
