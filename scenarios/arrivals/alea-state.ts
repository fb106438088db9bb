import seedrandom from 'seedrandom';

/** Numbers one alea state takes in a Float64Array. */
export const ALEA_STATE_SIZE = 4;

/**
 * The alea generator of seedrandom (scenarios/rng.ts), with its state in
 * plain fields that can be saved to and loaded from a Float64Array: a
 * streamed workload keeps one state per actor and moves a single generator
 * between them, so each actor's draws continue exactly where the
 * all-at-once generation would have had them. `next()` is seedrandom's
 * arithmetic, step for step, so the numbers are bit for bit the same.
 */
export class AleaState {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private c = 1;
  /** The generator as an Rng, made once: samplers and arrival models call it. */
  readonly rng: () => number = () => this.next();

  /** The state makeRng(seed, stream) starts from. */
  static of(seed: string | number, stream: string): AleaState {
    // Keyed as makeRng keys it, so this generator draws what makeRng's would.
    const prng = seedrandom.alea(`${seed}:${stream}`, { state: true });
    const s = prng.state() as unknown as { c: number; s0: number; s1: number; s2: number };
    const a = new AleaState();
    a.s0 = s.s0;
    a.s1 = s.s1;
    a.s2 = s.s2;
    a.c = s.c;
    return a;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    return (this.s2 = t - (this.c = t | 0));
  }

  save(to: Float64Array, at: number): void {
    to[at] = this.s0;
    to[at + 1] = this.s1;
    to[at + 2] = this.s2;
    to[at + 3] = this.c;
  }

  load(from: Float64Array, at: number): void {
    this.s0 = from[at]!;
    this.s1 = from[at + 1]!;
    this.s2 = from[at + 2]!;
    this.c = from[at + 3]!;
  }
}
