// Percentiles of measured delays, by nearest rank: the p-th percentile is a value that was
// measured (the smallest with at least p of all values at or below it), never an interpolation.

export interface Spread {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 1) of `sorted` (ascending); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile: p must be in (0, 1] (got ${p})`);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** Count, median, 95th percentile and maximum of `values` (in any order; not changed). */
export function spread(values: ArrayLike<number>): Spread {
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
}
