/**
 * Small statistics and queueing-theory helpers for the simulator's
 * validation tests.
 */

/** Arithmetic mean. */
export function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

/** Result of a batch-means analysis of one (autocorrelated) output sequence. */
export interface BatchMeans {
  /** Mean over the observations the batches cover. */
  readonly mean: number;
  /** Standard error of `mean`: sample SD of the batch means over sqrt(batches). */
  readonly se: number;
  readonly batches: number;
  readonly batchSize: number;
}

/**
 * Non-overlapping batch means: splits `xs` (in time order) into `batches`
 * contiguous batches of equal size, dropping at most batches - 1 trailing
 * observations, and estimates the standard error of the overall mean from the
 * spread of the batch means. With batches much longer than the correlation
 * time of the sequence the batch means are nearly independent and nearly
 * normal, so (mean - truth) / se is approximately Student t with
 * batches - 1 degrees of freedom.
 */
export function batchMeans(xs: ArrayLike<number>, batches: number): BatchMeans {
  if (!(batches >= 2)) throw new Error(`batchMeans: need at least 2 batches, got ${batches}`);
  const batchSize = Math.floor(xs.length / batches);
  if (batchSize < 1) throw new Error(`batchMeans: ${xs.length} observations are too few for ${batches} batches`);
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    let sum = 0;
    for (let i = b * batchSize; i < (b + 1) * batchSize; i++) sum += xs[i]!;
    means.push(sum / batchSize);
  }
  const grand = mean(means);
  let ss = 0;
  for (const m of means) ss += (m - grand) * (m - grand);
  const sd = Math.sqrt(ss / (batches - 1));
  return { mean: grand, se: sd / Math.sqrt(batches), batches, batchSize };
}

/**
 * Erlang C: probability that an arrival to an M/M/c queue with offered load
 * `a` = lambda / mu (in Erlangs, a < c) has to wait.
 *
 *   C(c, a) = (a^c / c!) * c / (c - a)  /  (sum_{k<c} a^k / k!  +  (a^c / c!) * c / (c - a))
 *
 * Terms are built incrementally (a^k / k! from the previous one) so no
 * factorial overflows for moderate c.
 */
export function erlangC(c: number, a: number): number {
  if (!Number.isInteger(c) || c < 1) throw new Error(`erlangC: c must be a positive integer, got ${c}`);
  if (!(a >= 0 && a < c)) throw new Error(`erlangC: need 0 <= a < c for a stable queue, got a=${a}, c=${c}`);
  let term = 1; // a^0 / 0!
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term = (term * a) / (k + 1);
  }
  // term is now a^c / c!
  const top = (term * c) / (c - a);
  return top / (sum + top);
}

/** Mean wait in queue of an M/M/c queue (time units of 1 / mu): C(c, a) / (c mu - lambda). */
export function mmcMeanWait(c: number, lambda: number, mu: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda);
}

/**
 * Waiting times in queue of a FIFO multi-server queue with `c` identical
 * servers, given arrival times (sorted) and service times: each customer, in
 * arrival order, takes the server that frees first (Kiefer-Wolfowitz). An
 * exact reference to compare a simulator with on the same random numbers.
 */
export function fifoWaits(arrivalMs: ArrayLike<number>, serviceMs: ArrayLike<number>, c: number): Float64Array {
  const free = new Float64Array(c);
  const waits = new Float64Array(arrivalMs.length);
  for (let i = 0; i < arrivalMs.length; i++) {
    let k = 0;
    for (let j = 1; j < c; j++) if (free[j]! < free[k]!) k = j;
    const a = arrivalMs[i]!;
    const start = Math.max(a, free[k]!);
    free[k] = start + serviceMs[i]!;
    waits[i] = start - a;
  }
  return waits;
}
