import { sampleExponential, validateDistribution, type DistributionSpec } from '../distributions.ts';
import type { Rng } from '../rng.ts';

/** Numbers one sampler's state takes in a Float64Array. */
export const SAMPLER_STATE_SIZE = 2;

// Standard normal quantile at 0.99, as in scenarios/distributions.ts.
const Z_P99 = 2.3263478740408408;

const CONSTANT = 0;
const EXPONENTIAL = 1;
const LOGNORMAL = 2;
const UNIFORM = 3;
const EMPIRICAL = 4;

/**
 * The Sampler of scenarios/distributions.ts, draw for draw, with the one
 * piece of state it carries between draws (the spare normal of Box-Muller)
 * saveable: a streamed workload moves one sampler between actors the way it
 * moves one AleaState. The tests check it against Sampler for every kind.
 */
export class ResumableSampler {
  private readonly tag: number;
  private readonly p0: number;
  private readonly p1: number;
  private readonly samples: Float64Array;
  private spareNormal = 0;
  private hasSpare = false;

  constructor(
    spec: DistributionSpec,
    private readonly rng: Rng,
  ) {
    validateDistribution(spec, 'Sampler');
    this.samples = new Float64Array(0);
    switch (spec.kind) {
      case 'constant':
        this.tag = CONSTANT;
        this.p0 = spec.valueMs;
        this.p1 = 0;
        break;
      case 'exponential':
        this.tag = EXPONENTIAL;
        this.p0 = spec.meanMs;
        this.p1 = 0;
        break;
      case 'lognormal':
        this.tag = LOGNORMAL;
        this.p0 = Math.log(spec.medianMs);
        this.p1 = spec.sigma ?? Math.log((spec.p99Ms as number) / spec.medianMs) / Z_P99;
        break;
      case 'uniform':
        this.tag = UNIFORM;
        this.p0 = spec.minMs;
        this.p1 = spec.maxMs - spec.minMs;
        break;
      case 'empirical':
        this.tag = EMPIRICAL;
        this.samples = Float64Array.from(spec.samplesMs);
        this.p0 = this.samples.length;
        this.p1 = 0;
        break;
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

  save(to: Float64Array, at: number): void {
    to[at] = this.hasSpare ? 1 : 0;
    to[at + 1] = this.spareNormal;
  }

  load(from: Float64Array, at: number): void {
    this.hasSpare = from[at] === 1;
    this.spareNormal = from[at + 1]!;
  }
}
