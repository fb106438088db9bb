/** Cumulative probabilities of the seven percentile columns of the Azure 2019 durations file, in column order. */
export const DURATION_PERCENTILE_POINTS: readonly number[] = [0, 0.01, 0.25, 0.5, 0.75, 0.99, 1];

/**
 * Inverse CDF through published percentiles: for u in [0, 1), the value linearly
 * interpolated between the two percentile points around u (the CDF is taken as piecewise
 * linear between them). `values` holds DURATION_PERCENTILE_POINTS.length values from
 * `offset`, already made non-decreasing, so the result lies within [first, last].
 */
export function percentileQuantile(values: Float64Array, offset: number, u: number): number {
  const points = DURATION_PERCENTILE_POINTS;
  let i = 1;
  while (i < points.length - 1 && u >= points[i]!) i++;
  const p0 = points[i - 1]!;
  const p1 = points[i]!;
  const v0 = values[offset + i - 1]!;
  const v1 = values[offset + i]!;
  return v0 + ((v1 - v0) * (u - p0)) / (p1 - p0);
}

/** Replaces each value by the running maximum, so a slightly non-monotone row still yields a valid inverse CDF. */
export function makeNonDecreasing(values: Float64Array, offset: number): void {
  for (let i = 1; i < DURATION_PERCENTILE_POINTS.length; i++) {
    const prev = values[offset + i - 1]!;
    if (values[offset + i]! < prev) values[offset + i] = prev;
  }
}
