import seedrandom from 'seedrandom';

/** A source of uniform random numbers in [0, 1). */
export type Rng = () => number;

/** Creates a reproducible generator whose sequence depends on both the run seed and the purpose-specific stream name. */
export function makeRng(seed: string | number, stream: string): Rng {
  // Keying by stream keeps purposes independent: drawing more workload samples
  // must not shift the fault schedule of an otherwise identical run.
  return seedrandom.alea(`${seed}:${stream}`);
}
