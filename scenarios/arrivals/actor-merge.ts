import { ALEA_STATE_SIZE, type AleaState } from './alea-state.ts';
import { StepBudget } from './budget.ts';
import { SAMPLER_STATE_SIZE, type Sampler } from '../distributions.ts';
import type { ActorStepper, ArrivalPlan, ArrivalStream, StepOut } from './types.ts';

/**
 * Streams a model that generates actor by actor (heavy-tailed, on/off,
 * sessions). Generation draws every actor's invocations in turn from one
 * generator, so actor i's draws start where actor i-1's ended. A first pass
 * runs the model through all actors without keeping anything but, per
 * actor, the generator's and samplers' state at its start (a few numbers);
 * a replay gives each actor its own copy and merges the actors by their next
 * arrival in a binary heap, one pending invocation per actor: memory grows
 * with the actors, not with the invocations or the duration.
 */
export class ActorMergePlan implements ArrivalPlan {
  readonly size: number;
  /** Generator and sampler state at each actor's start, `head` numbers each. */
  private readonly starts: Float64Array;
  private readonly head: number;
  /** Streams opened so far: the stepper is shared, so only the newest may be read. */
  private opened = 0;

  constructor(
    private readonly stepper: ActorStepper,
    private readonly alea: AleaState,
    private readonly work: Sampler,
    private readonly actors: number,
    private readonly firstActor: number,
  ) {
    this.head = ALEA_STATE_SIZE + SAMPLER_STATE_SIZE * (1 + stepper.samplers.length);
    this.starts = new Float64Array(actors * this.head);
    const state = new Float64Array(stepper.size);
    const out: StepOut = { arrivalMs: 0, workMs: 0 };
    let size = 0;
    for (let i = 0; i < actors; i++) {
      this.saveDraws(this.starts, i * this.head);
      stepper.begin(i, state, 0);
      while (stepper.next(i, state, 0, out)) size += 1;
      stepper.end?.(i);
    }
    this.size = size;
  }

  private saveDraws(to: Float64Array, at: number): void {
    this.alea.save(to, at);
    this.work.save(to, at + ALEA_STATE_SIZE);
    const samplers = this.stepper.samplers;
    for (let k = 0; k < samplers.length; k++) samplers[k]!.save(to, at + ALEA_STATE_SIZE + SAMPLER_STATE_SIZE * (1 + k));
  }

  private loadDraws(from: Float64Array, at: number): void {
    this.alea.load(from, at);
    this.work.load(from, at + ALEA_STATE_SIZE);
    const samplers = this.stepper.samplers;
    for (let k = 0; k < samplers.length; k++) samplers[k]!.load(from, at + ALEA_STATE_SIZE + SAMPLER_STATE_SIZE * (1 + k));
  }

  /** A stream at the first invocation. Streams of one plan are read one at a time: opening one retires the one before. */
  open(): ArrivalStream {
    // Steps were counted on the first pass; a replay never stops short.
    this.stepper.budget = new StepBudget(Number.POSITIVE_INFINITY, 'replay');
    const generation = ++this.opened;
    return new ActorMergeStream(
      this.stepper,
      this.starts,
      this.head,
      this.actors,
      this.firstActor,
      (s, at) => this.loadDraws(s, at),
      (s, at) => this.saveDraws(s, at),
      () => generation === this.opened,
    );
  }
}

class ActorMergeStream implements ArrivalStream {
  arrivalMs = 0;
  actor = 0;
  workMs = 0;
  /** Per actor: generator and samplers (head numbers), the stepper's variables, then the pending invocation's work. */
  private readonly state: Float64Array;
  private readonly stride: number;
  // Actors with a pending invocation: a binary min-heap on (time, actor), the
  // time kept beside the actor so that sifting reads the heap's own arrays,
  // whose top levels stay in cache, not a million actors' scattered state.
  private readonly heapMs: Float64Array;
  private readonly heapActor: Int32Array;
  private count = 0;
  private readonly out: StepOut = { arrivalMs: 0, workMs: 0 };

  constructor(
    private readonly stepper: ActorStepper,
    starts: Float64Array,
    private readonly head: number,
    actors: number,
    private readonly firstActor: number,
    private readonly load: (from: Float64Array, at: number) => void,
    private readonly save: (to: Float64Array, at: number) => void,
    private readonly current: () => boolean,
  ) {
    this.stride = head + stepper.size + 1;
    this.state = new Float64Array(actors * this.stride);
    this.heapMs = new Float64Array(actors);
    this.heapActor = new Int32Array(actors);
    for (let i = 0; i < actors; i++) {
      const at = i * this.stride;
      this.state.set(starts.subarray(i * head, (i + 1) * head), at);
      this.load(this.state, at);
      stepper.begin(i, this.state, at + head);
      if (this.advance(i)) {
        this.heapMs[this.count] = this.out.arrivalMs;
        this.heapActor[this.count] = i;
        this.count += 1;
      }
    }
    // Heapify bottom-up.
    for (let k = (this.count >> 1) - 1; k >= 0; k--) this.siftDown(k, this.heapMs[k]!, this.heapActor[k]!);
  }

  /** Draws actor i's next invocation (its generator loaded) into `out`, its work into its state; false when it has none left. */
  private advance(i: number): boolean {
    const at = i * this.stride;
    const more = this.stepper.next(i, this.state, at + this.head, this.out);
    this.save(this.state, at);
    if (more) this.state[at + this.stride - 1] = this.out.workMs;
    else this.stepper.end?.(i);
    return more;
  }

  next(): boolean {
    if (this.count === 0) return false;
    // Sessions keep an actor's pending turns in the (shared) stepper: a retired stream would read another's.
    if (!this.current()) throw new Error('arrival stream: a newer stream of the same plan was opened; read one at a time');
    const i = this.heapActor[0]!;
    this.arrivalMs = this.heapMs[0]!;
    this.actor = this.firstActor + i;
    const at = i * this.stride;
    this.workMs = this.state[at + this.stride - 1]!;
    this.load(this.state, at);
    if (this.advance(i)) {
      this.siftDown(0, this.out.arrivalMs, i);
    } else {
      const last = --this.count;
      if (last > 0) this.siftDown(0, this.heapMs[last]!, this.heapActor[last]!);
    }
    return true;
  }

  /** Places (timeMs, actor) at or below `pos`, moving smaller children up into the hole. */
  private siftDown(pos: number, timeMs: number, actor: number): void {
    const times = this.heapMs;
    const actors = this.heapActor;
    const n = this.count;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      let ct = times[child]!;
      let ca = actors[child]!;
      const right = child + 1;
      if (right < n) {
        const rt = times[right]!;
        const ra = actors[right]!;
        // Ties go to the lower actor: generation was actor by actor, and the sort that gave the old order was stable.
        if (rt < ct || (rt === ct && ra < ca)) {
          child = right;
          ct = rt;
          ca = ra;
        }
      }
      if (!(ct < timeMs || (ct === timeMs && ca < actor))) break;
      times[pos] = ct;
      actors[pos] = ca;
      pos = child;
    }
    times[pos] = timeMs;
    actors[pos] = actor;
  }
}
