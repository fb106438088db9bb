import { Sampler, sampleExponential, sampleStandardNormal } from '../distributions.ts';
import { AleaState } from './alea-state.ts';
import { StepBudget } from './budget.ts';
import type { DiurnalArrivals } from './diurnal.ts';
import type { PoissonArrivals } from './poisson.ts';
import type { ArrivalPlan, ArrivalStream, StreamContext } from './stream-types.ts';
import type { SynchronizedArrivals } from './synchronized.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

const HOUR_MS = 3_600_000;

/** The stream's fields as the stream itself writes them. */
interface Cursor {
  arrivalMs: number;
  actor: number;
  workMs: number;
  next(): boolean;
}

/** A model whose whole group is one process: a stream over it from the group's generator at its start. */
type GroupStreamFactory = (alea: AleaState, work: Sampler, budget: StepBudget) => ArrivalStream;

/**
 * Streams a model that generates its group as one process (poisson,
 * diurnal, synchronized). A first pass counts the invocations (and spends
 * the step budget, so a group that is too large fails before any run, as it
 * did when generated at once); each replay starts the generator afresh.
 */
export class GroupPlan implements ArrivalPlan {
  readonly size: number;

  constructor(
    private readonly ctx: StreamContext,
    private readonly make: GroupStreamFactory,
    stepLimit: number,
    what: string,
  ) {
    const counting = this.start(new StepBudget(stepLimit, what));
    let size = 0;
    while (counting.next()) size += 1;
    this.size = size;
  }

  private start(budget: StepBudget): ArrivalStream {
    const alea = AleaState.of(this.ctx.seed, this.ctx.stream);
    return this.make(alea, new Sampler(this.ctx.work, alea.rng), budget);
  }

  open(): ArrivalStream {
    return this.start(new StepBudget(Number.POSITIVE_INFINITY, 'replay'));
  }
}

/** generatePoisson as a stream: it draws in time order already (gap, actor, work). */
export function poissonStream(spec: PoissonArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('poisson', 'ratePerSec', spec.ratePerSec);
  const { durationMs, actors, firstActor } = ctx;
  const groupRatePerSec = spec.perActor ? spec.ratePerSec * actors : spec.ratePerSec;
  return (alea, work, budget) => {
    const rng = alea.rng;
    const meanGapMs = 1000 / groupRatePerSec;
    let t = Number.NaN;
    let done = groupRatePerSec <= 0;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        if (done) return false;
        // The first arrival is the first gap itself (0 + gap would turn a -0 into 0).
        t = Number.isNaN(t) ? sampleExponential(rng, meanGapMs) : t + sampleExponential(rng, meanGapMs);
        if (!(t < durationMs)) {
          done = true;
          return false;
        }
        budget.spend();
        this.arrivalMs = t;
        this.actor = firstActor + Math.min(actors - 1, Math.floor(rng() * actors));
        this.workMs = work.sample();
        return true;
      },
    };
    return cursor;
  };
}

/** generateDiurnal as a stream: thinning draws candidates in time order. */
export function diurnalStream(spec: DiurnalArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('diurnal', 'ratePerHour', spec.ratePerHour);
  requirePositive('diurnal', 'periodMs', spec.periodMs);
  requireNonNegative('diurnal', 'peakAtMs', spec.peakAtMs);
  if (!(spec.peakToTrough >= 1 && Number.isFinite(spec.peakToTrough))) {
    throw new RangeError(`diurnal: peakToTrough must be a finite number >= 1, got ${spec.peakToTrough}`);
  }
  const { durationMs: endMs, actors, firstActor } = ctx;
  const a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
  const meanRatePerMs = (spec.ratePerHour * actors) / HOUR_MS;
  const maxRatePerMs = meanRatePerMs * (1 + a);
  const meanGapMs = 1 / maxRatePerMs;
  const omega = (2 * Math.PI) / spec.periodMs;
  return (alea, work, budget) => {
    const rng = alea.rng;
    let t = 0;
    let done = maxRatePerMs <= 0;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        if (done) return false;
        for (;;) {
          budget.spend();
          t += sampleExponential(rng, meanGapMs);
          if (t >= endMs) {
            done = true;
            return false;
          }
          const ratePerMs = meanRatePerMs * (1 + a * Math.cos(omega * (t - spec.peakAtMs)));
          if (rng() * maxRatePerMs > ratePerMs) continue;
          this.arrivalMs = t;
          this.actor = firstActor + Math.min(actors - 1, Math.floor(rng() * actors));
          this.workMs = work.sample();
          return true;
        }
      },
    };
    return cursor;
  };
}

// A normal spread's redraws, as in synchronized.ts.
const MAX_REDRAWS = 16;

/**
 * generateSynchronized as a stream. A round draws its arrivals in actor
 * order, not time order, and rounds may overlap when the window is longer
 * than the repeat: a round is drawn whole into a heap on (time, draw order),
 * and an arrival leaves the heap once no later round can start before it.
 * Memory is a round or two of arrivals, never the run's.
 */
export function synchronizedStream(spec: SynchronizedArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('synchronized', 'atMs', spec.atMs);
  requireNonNegative('synchronized', 'windowMs', spec.windowMs);
  if (spec.repeatEveryMs !== undefined) requirePositive('synchronized', 'repeatEveryMs', spec.repeatEveryMs);
  const { durationMs: endMs, actors, firstActor } = ctx;
  const count = spec.count ?? actors;
  if (!Number.isInteger(count) || count < 1 || count > actors) {
    throw new RangeError(`synchronized: count must be an integer in [1, ${actors}] (the group's actors), got ${count}`);
  }
  const windowMs = spec.windowMs;
  const centreMs = windowMs / 2;
  const sdMs = windowMs / 6;
  const rounds = spec.repeatEveryMs === undefined ? 1 : Infinity;
  return (alea, work, budget) => {
    const rng = alea.rng;
    const heap = new RowHeap();
    let round = 0;
    const roundStart = (r: number): number => spec.atMs + r * (spec.repeatEveryMs ?? 0);
    const drawRound = (): void => {
      const startMs = roundStart(round);
      round += 1;
      for (let i = 0; i < count; i++) {
        budget.spend();
        let offsetMs = 0;
        if (windowMs > 0) {
          if (spec.spread === 'uniform') {
            offsetMs = windowMs * rng();
          } else {
            offsetMs = centreMs;
            for (let k = 0; k < MAX_REDRAWS; k++) {
              const x = centreMs + sdMs * sampleStandardNormal(rng);
              if (x >= 0 && x < windowMs) {
                offsetMs = x;
                break;
              }
            }
          }
        }
        const arrivalMs = startMs + offsetMs;
        const workMs = work.sample();
        if (arrivalMs < endMs) heap.push(arrivalMs, firstActor + i, workMs);
      }
    };
    /** Whether round `round` is still to be drawn. */
    const moreRounds = (): boolean => round < rounds && roundStart(round) < endMs;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        for (;;) {
          const more = moreRounds();
          // A later round's arrivals all come at or after its start, and after in draw order.
          if (heap.size > 0 && (!more || heap.minTimeMs() <= roundStart(round))) {
            heap.pop();
            this.arrivalMs = heap.timeMs;
            this.actor = heap.actor;
            this.workMs = heap.workMs;
            return true;
          }
          if (!more) return false;
          drawRound();
        }
      },
    };
    return cursor;
  };
}

/** A min-heap of arrivals on (time, insertion order), in typed arrays; pop() leaves the row in the public fields. */
class RowHeap {
  timeMs = 0;
  actor = 0;
  workMs = 0;
  private times = new Float64Array(64);
  private seqs = new Float64Array(64);
  private actors = new Int32Array(64);
  private works = new Float64Array(64);
  size = 0;
  private nextSeq = 0;

  minTimeMs(): number {
    return this.times[0]!;
  }

  push(timeMs: number, actor: number, workMs: number): void {
    if (this.size === this.times.length) this.grow();
    let pos = this.size++;
    const seq = this.nextSeq++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.before(timeMs, seq, parent)) break;
      this.move(parent, pos);
      pos = parent;
    }
    this.put(pos, timeMs, seq, actor, workMs);
  }

  pop(): void {
    this.timeMs = this.times[0]!;
    this.actor = this.actors[0]!;
    this.workMs = this.works[0]!;
    const last = --this.size;
    if (last === 0) return;
    const t = this.times[last]!;
    const s = this.seqs[last]!;
    const a = this.actors[last]!;
    const w = this.works[last]!;
    let pos = 0;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= last) break;
      if (child + 1 < last && this.before(this.times[child + 1]!, this.seqs[child + 1]!, child)) child += 1;
      if (!this.beforeRow(child, t, s)) break;
      this.move(child, pos);
      pos = child;
    }
    this.put(pos, t, s, a, w);
  }

  /** (t, s) sorts before row k. */
  private before(t: number, s: number, k: number): boolean {
    const tk = this.times[k]!;
    return t < tk || (t === tk && s < this.seqs[k]!);
  }

  /** Row k sorts before (t, s). */
  private beforeRow(k: number, t: number, s: number): boolean {
    const tk = this.times[k]!;
    return tk < t || (tk === t && this.seqs[k]! < s);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.actors[to] = this.actors[from]!;
    this.works[to] = this.works[from]!;
  }

  private put(k: number, t: number, s: number, a: number, w: number): void {
    this.times[k] = t;
    this.seqs[k] = s;
    this.actors[k] = a;
    this.works[k] = w;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(n);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const actors = new Int32Array(n);
    actors.set(this.actors);
    this.actors = actors;
    const works = new Float64Array(n);
    works.set(this.works);
    this.works = works;
  }
}
