import type { Rng } from './rng.ts';

/** Declarative description of a non-negative duration distribution, in milliseconds. */
export type DistributionSpec =
  | { kind: 'constant'; valueMs: number }
  | { kind: 'exponential'; meanMs: number }
  | { kind: 'lognormal'; medianMs: number; p99Ms?: number; sigma?: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'empirical'; samplesMs: readonly number[] };

// Standard normal quantile at 0.99; lets scenarios state a tail latency instead of a raw sigma.
const Z_P99 = 2.3263478740408408;

function requireNonNegative(value: unknown, where: string, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${where}: ${field} must be a finite number >= 0, got ${String(value)}`);
  }
}

/** Throws an Error naming `where` and the offending field if `spec` cannot be sampled safely. */
export function validateDistribution(spec: DistributionSpec, where: string): void {
  // Specs usually come from hand-written scenario files, so check shapes defensively.
  if (spec === null || typeof spec !== 'object') {
    throw new Error(`${where}: distribution must be an object, got ${String(spec)}`);
  }
  switch (spec.kind) {
    case 'constant':
      requireNonNegative(spec.valueMs, where, 'valueMs');
      return;
    case 'exponential':
      requireNonNegative(spec.meanMs, where, 'meanMs');
      return;
    case 'lognormal': {
      requireNonNegative(spec.medianMs, where, 'medianMs');
      // A zero median would make ln(p99/median) meaningless.
      if (spec.medianMs === 0) throw new Error(`${where}: medianMs must be > 0 for lognormal`);
      const hasP99 = spec.p99Ms !== undefined;
      const hasSigma = spec.sigma !== undefined;
      if (hasP99 === hasSigma) {
        throw new Error(`${where}: lognormal needs exactly one of p99Ms or sigma`);
      }
      if (hasP99) {
        requireNonNegative(spec.p99Ms, where, 'p99Ms');
        if ((spec.p99Ms as number) < spec.medianMs) {
          throw new Error(`${where}: p99Ms (${spec.p99Ms}) must be >= medianMs (${spec.medianMs})`);
        }
      } else {
        requireNonNegative(spec.sigma, where, 'sigma');
      }
      return;
    }
    case 'uniform':
      requireNonNegative(spec.minMs, where, 'minMs');
      requireNonNegative(spec.maxMs, where, 'maxMs');
      if (spec.minMs > spec.maxMs) {
        throw new Error(`${where}: minMs (${spec.minMs}) must be <= maxMs (${spec.maxMs})`);
      }
      return;
    case 'empirical': {
      if (!Array.isArray(spec.samplesMs) || spec.samplesMs.length === 0) {
        throw new Error(`${where}: samplesMs must be a non-empty array`);
      }
      for (let i = 0; i < spec.samplesMs.length; i++) {
        requireNonNegative(spec.samplesMs[i], where, `samplesMs[${i}]`);
      }
      return;
    }
    default:
      throw new Error(`${where}: unknown distribution kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** Draws one exponential variate with the given mean. */
export function sampleExponential(rng: Rng, meanMs: number): number {
  // 1 - u lies in (0, 1], so the log is finite and the result is never negative.
  return -meanMs * Math.log(1 - rng());
}

/** Draws one standard normal variate via Box-Muller, consuming exactly two uniforms. */
export function sampleStandardNormal(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1] keeps log finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Numbers one Sampler's state takes in a Float64Array (see Sampler.save). */
export const SAMPLER_STATE_SIZE = 2;

// Numeric kind tags so sample() dispatches on a small integer rather than comparing strings.
const CONSTANT = 0;
const EXPONENTIAL = 1;
const LOGNORMAL = 2;
const UNIFORM = 3;
const EMPIRICAL = 4;

/** Validated, precomputed sampler for a DistributionSpec; sample() allocates nothing. */
export class Sampler {
  /** Analytic mean of the distribution in milliseconds. */
  readonly meanMs: number;

  private readonly rng: Rng;
  private readonly tag: number;
  // Generic parameter slots whose meaning depends on `tag`, so the hot path reads plain fields.
  private readonly p0: number;
  private readonly p1: number;
  private readonly samples: Float64Array;
  // Box-Muller yields normals in pairs; keeping the second halves the rng and trig cost
  // while staying deterministic because the cache is per sampler.
  private spareNormal = 0;
  private hasSpare = false;

  constructor(spec: DistributionSpec, rng: Rng) {
    validateDistribution(spec, 'Sampler');
    this.rng = rng;
    this.samples = new Float64Array(0);
    switch (spec.kind) {
      case 'constant':
        this.tag = CONSTANT;
        this.p0 = spec.valueMs;
        this.p1 = 0;
        this.meanMs = spec.valueMs;
        break;
      case 'exponential':
        this.tag = EXPONENTIAL;
        this.p0 = spec.meanMs;
        this.p1 = 0;
        this.meanMs = spec.meanMs;
        break;
      case 'lognormal': {
        const sigma = spec.sigma ?? Math.log((spec.p99Ms as number) / spec.medianMs) / Z_P99;
        this.tag = LOGNORMAL;
        this.p0 = Math.log(spec.medianMs);
        this.p1 = sigma;
        this.meanMs = spec.medianMs * Math.exp((sigma * sigma) / 2);
        break;
      }
      case 'uniform':
        this.tag = UNIFORM;
        this.p0 = spec.minMs;
        this.p1 = spec.maxMs - spec.minMs;
        this.meanMs = (spec.minMs + spec.maxMs) / 2;
        break;
      case 'empirical': {
        this.tag = EMPIRICAL;
        this.samples = Float64Array.from(spec.samplesMs);
        this.p0 = this.samples.length;
        this.p1 = 0;
        let sum = 0;
        for (const s of this.samples) sum += s;
        this.meanMs = sum / this.samples.length;
        break;
      }
    }
  }

  /** Draws one non-negative value in milliseconds. */
  sample(): number {
    switch (this.tag) {
      case CONSTANT:
        return this.p0;
      case EXPONENTIAL:
        return sampleExponential(this.rng, this.p0);
      case LOGNORMAL:
        return Math.exp(this.p0 + this.p1 * this.nextNormal());
      case UNIFORM:
        return this.p0 + this.p1 * this.rng();
      default: {
        // Math.min guards the float edge where u * n rounds up to n.
        const i = Math.min(Math.floor(this.rng() * this.p0), this.p0 - 1);
        return this.samples[i]!;
      }
    }
  }

  private nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rng()));
    const theta = 2 * Math.PI * this.rng();
    this.spareNormal = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /**
   * Writes the state carried between draws (the spare normal) to `to[at ..
   * at + SAMPLER_STATE_SIZE)`: a streamed workload moves one sampler between
   * actors, saving and loading each actor's, as it moves one generator.
   */
  save(to: Float64Array, at: number): void {
    to[at] = this.hasSpare ? 1 : 0;
    to[at + 1] = this.spareNormal;
  }

  /** Restores the state `save` wrote; the next draw is the one that followed the save. */
  load(from: Float64Array, at: number): void {
    this.hasSpare = from[at] === 1;
    this.spareNormal = from[at + 1]!;
  }
}
