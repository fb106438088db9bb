import type { EventQueue } from '../session/event-queue.ts';

/**
 * One contended resource of the simulated runtime (a machine's or a node's
 * snapshot bandwidth, or its cpus for worker starts) as an exact
 * processor-sharing queue: every job holds an amount of work in solo
 * milliseconds and a demand (the share of the resource it uses alone at full
 * speed, 1 by default). The capacity is shared max-min fairly, as a
 * scheduler shares cpus between processes: each active job is offered an
 * equal share, a job that needs less than its share (its demand) takes only
 * that, and what it leaves is split among the others; a job given share s
 * progresses at min(1, s / demand) of its solo speed (see fairShare). With
 * equal demands d this is min(1, capacity / (n d)) for every job (unit
 * demands: min(1, capacity / n)); with unequal ones a job that uses more
 * alone is slowed more, which is what the calibration's mixed sweep shows
 * (issue 18: checkpoints finish after restores of more solo work when both
 * run together). A demand above the capacity slows even a job alone. A host model (sim/runtime.ts) puts every primitive that
 * uses a machine's cpus on one such resource, each with its own demand. A
 * job that finishes its work schedules its own completion event after a
 * fixed tail (the unshared part of the primitive).
 *
 * Only the earliest finish is ever in the event queue, as one event of kind
 * `doneKind` carrying (resource index, stamp). Every arrival, departure or
 * cancellation advances the remaining work of all jobs to `nowMs` and pushes
 * a new earliest finish with a new stamp; an event whose stamp is not the
 * current one is stale and ignored (onDone), so nothing is ever removed from
 * the heap. Jobs are kept in arrival order, so simultaneous finishes
 * complete in that order: the same inputs give the same events.
 */
export class SharedResource {
  /** Stamp of the one completion event that is current. */
  private stamp = 0;
  private lastMs = 0;
  // Parallel arrays of the active jobs, in arrival order (a few dozen at most: O(n) per change is fine).
  private readonly remaining: number[] = [];
  private readonly tails: number[] = [];
  private readonly kinds: number[] = [];
  private readonly as: number[] = [];
  private readonly bs: number[] = [];
  private readonly cs: number[] = [];
  private readonly demands: number[] = [];
  private readonly workers: number[] = [];
  /** Each job's cap group ({@link add}'s `group`: its worker, or {@link STORE_GROUP}). */
  private readonly groups: number[] = [];
  /** Each job's worker's cap in the resource's units (Infinity: none); see {@link add}. */
  private readonly caps: number[] = [];
  /** The part of each job's demand spent inside its worker, under the cap; see {@link add}. */
  private readonly inWorker: number[] = [];
  /** The part of each job's time alone under its cap that the cap holds it; see {@link add}. */
  private readonly bound: number[] = [];
  /** Jobs with a finite cap: while there are none, every job's rate comes from shareCap alone. */
  private capped = 0;
  /** The share each job is offered since the last change ({@link fairShare}; Infinity: nobody is held back). */
  private shareCap = Number.POSITIVE_INFINITY;
  /** With capped jobs: each job's speed since the last change (see {@link cappedRates}). */
  private readonly rates: number[] = [];
  // Scratch for the sort of the demands when they differ, and for the capped rates.
  private readonly sorted: number[] = [];
  private readonly scratch: CappedScratch = { effective: [], levels: [], group: [], sorted: [] };

  /** With {@link byProcess}: scratch of processRates. */
  private readonly processes: ProcessScratch | undefined;

  /**
   * @param capacity solo jobs' worth of throughput (> 0)
   * @param queue where completions go
   * @param doneKind event kind of this resource's own finish events
   * @param index this resource's number, payload `a` of its finish events
   * @param byProcess share the capacity between processes (each job's group and worker), not between jobs: {@link processRates} (host.share: process)
   */
  constructor(
    readonly capacity: number,
    private readonly queue: EventQueue,
    private readonly doneKind: number,
    private readonly index: number,
    readonly byProcess = false,
  ) {
    this.processes = byProcess ? processScratch() : undefined;
    if (!(capacity > 0) || !Number.isFinite(capacity)) throw new Error(`SharedResource: capacity must be a positive number, got ${capacity}`);
  }

  /** Jobs currently sharing the resource. */
  get active(): number {
    return this.remaining.length;
  }

  /** Speed of a job of `demand` since the last change, as a fraction of its solo speed (no job capped). */
  private rate(demand: number): number {
    return demand <= this.shareCap ? 1 : this.shareCap / demand;
  }

  /** Speed of job `i` since the last change, as a fraction of its solo speed. */
  private rateAt(i: number): number {
    return this.capped === 0 && this.processes === undefined ? this.rate(this.demands[i]!) : this.rates[i]!;
  }

  /**
   * Starts a job of `workMs` solo milliseconds at `nowMs`; when its work is
   * done, the event (kind, a, b, c) is pushed `tailMs` later. `demand` is
   * its share of the resource alone; `worker` tags it for {@link cancelWorker}
   * (-1: none). `cap` is the most of the resource the jobs of `worker` may
   * use together (a Kubernetes pod's cpu limit; Infinity: none); every job of
   * one worker must be given the same cap. `inWorker` is what the job costs
   * the worker's cap at full speed: the part of the demand spent inside the
   * worker (the rest, such as the snapshot store's side of a transfer, is not
   * capped), or more than the demand where running under a limit costs more
   * than running free (CFS throttling of a multi-threaded sandbox). A capped
   * job alone runs at most at cap / inWorker of its solo speed. `bound`, in
   * (0, 1], is the part of that time alone under the cap that the cap holds
   * it; the rest it waits on something outside the worker (the store, the
   * network), and a second job of the same worker uses the cap meanwhile.
   * So a worker's jobs together get more of their cap than one alone: see
   * {@link limitGain}. 1 (the default): none, the cap is shared as it is.
   * `group` is whose cap it is: its worker's by default, or
   * {@link STORE_GROUP}, the snapshot store's threads, which every external
   * transfer of the run shares (then `cap` is the store's threads and
   * `inWorker` the part of the demand spent in the store); `worker` still
   * tags the job for {@link cancelWorker}.
   */
  add(nowMs: number, workMs: number, tailMs: number, kind: number, a: number, b: number, c: number, demand = 1, worker = -1, cap = Number.POSITIVE_INFINITY, inWorker = demand, bound = 1, group = worker): void {
    if (!(demand > 0) || !Number.isFinite(demand)) throw new Error(`SharedResource: demand must be a positive number, got ${demand}`);
    if (!(cap > 0)) throw new Error(`SharedResource: cap must be a positive number or Infinity, got ${cap}`);
    if (cap !== Number.POSITIVE_INFINITY && group < 0) throw new Error('SharedResource: a capped job needs its group (its worker, or the store)');
    if (!(inWorker > 0) || !Number.isFinite(inWorker)) throw new Error(`SharedResource: inWorker must be a positive number, got ${inWorker}`);
    if (!(bound > 0 && bound <= 1)) throw new Error(`SharedResource: bound must be above 0 and at most 1, got ${bound}`);
    this.advance(nowMs);
    this.demands.push(demand);
    this.workers.push(worker);
    this.groups.push(group);
    this.caps.push(cap);
    this.inWorker.push(inWorker);
    this.bound.push(bound);
    if (cap !== Number.POSITIVE_INFINITY) this.capped += 1;
    this.remaining.push(workMs);
    this.tails.push(tailMs);
    this.kinds.push(kind);
    this.as.push(a);
    this.bs.push(b);
    this.cs.push(c);
    this.reschedule(nowMs);
  }

  /** Drops the first job whose completion is (kind, a), if any (a worker stopped while starting). */
  cancel(nowMs: number, kind: number, a: number): void {
    for (let i = 0; i < this.remaining.length; i++) {
      if (this.kinds[i] === kind && this.as[i] === a) {
        this.advance(nowMs);
        this.removeAt(i);
        this.reschedule(nowMs);
        return;
      }
    }
  }

  /**
   * Drops every job tagged with `worker` (a lost worker: its transfers end
   * with it, and free their share for the others); their completions are
   * never pushed. Returns how many were dropped.
   */
  cancelWorker(nowMs: number, worker: number): number {
    if (!this.workers.includes(worker)) return 0;
    this.advance(nowMs);
    let dropped = 0;
    for (let i = this.workers.length - 1; i >= 0; i--) {
      if (this.workers[i] === worker) {
        this.removeAt(i);
        dropped += 1;
      }
    }
    this.reschedule(nowMs);
    return dropped;
  }

  /** Handles this resource's finish event of `stamp` at `nowMs`: completes what is done, unless stale. */
  onDone(nowMs: number, stamp: number): void {
    if (stamp !== this.stamp) return;
    this.advance(nowMs);
    const rem = this.remaining;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rem.length; i++) if (rem[i]! < min) min = rem[i]!;
    // The scheduled job is the one with least work left (about 0 now); equal
    // jobs started together finish together, within rounding.
    const done = min + FINISH_EPSILON_MS;
    let i = 0;
    while (i < rem.length) {
      if (rem[i]! <= done) {
        this.queue.push(nowMs + this.tails[i]!, this.kinds[i]!, this.as[i]!, this.bs[i]!, this.cs[i]!);
        this.removeAt(i);
      } else {
        i += 1;
      }
    }
    this.reschedule(nowMs);
  }

  // Every job did (nowMs - lastMs) * rate of work since the last change.
  private advance(nowMs: number): void {
    const n = this.remaining.length;
    if (n > 0 && nowMs > this.lastMs) {
      const dt = nowMs - this.lastMs;
      for (let i = 0; i < n; i++) this.remaining[i]! -= dt * this.rateAt(i);
    }
    this.lastMs = nowMs;
  }

  private reschedule(nowMs: number): void {
    this.stamp += 1;
    const n = this.remaining.length;
    if (n === 0) {
      this.shareCap = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.processes !== undefined) processRates(this.demands, this.groups, this.caps, this.inWorker, this.workers, this.capacity, this.rates, this.processes);
    else if (this.capped === 0) this.shareCap = fairShare(this.demands, this.capacity, this.sorted);
    else cappedRates(this.demands, this.groups, this.caps, this.capacity, this.rates, this.scratch, this.inWorker, this.bound);
    let first = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const t = Math.max(0, this.remaining[i]!) / this.rateAt(i);
      if (t < first) first = t;
    }
    this.queue.push(nowMs + first, this.doneKind, this.index, this.stamp, 0);
  }

  private removeAt(i: number): void {
    if (this.caps[i] !== Number.POSITIVE_INFINITY) this.capped -= 1;
    this.caps.splice(i, 1);
    this.inWorker.splice(i, 1);
    this.bound.splice(i, 1);
    this.rates.splice(i, 1);
    this.demands.splice(i, 1);
    this.workers.splice(i, 1);
    this.groups.splice(i, 1);
    this.remaining.splice(i, 1);
    this.tails.splice(i, 1);
    this.kinds.splice(i, 1);
    this.as.splice(i, 1);
    this.bs.splice(i, 1);
    this.cs.splice(i, 1);
  }
}

/**
 * The cap group of the snapshot store (contention.host.store): every
 * transfer through the store shares its threads, whichever worker runs it.
 * Above any worker id.
 */
export const STORE_GROUP = 2 ** 31 - 1;

/**
 * The share of `capacity` each job is offered when jobs of these demands
 * share it max-min fairly: Infinity when their total fits (every job runs at
 * full speed); otherwise the level L at which the jobs needing less than L
 * take their demand and every other one takes L, the capacity used in full.
 * A job of demand d then runs at min(1, L / d) of its solo speed. With n
 * equal demands L is capacity / n. `scratch` is reused for the sort.
 */
export function fairShare(demands: readonly number[], capacity: number, scratch: number[] = []): number {
  const n = demands.length;
  let total = 0;
  let equal = true;
  for (let i = 0; i < n; i++) {
    total += demands[i]!;
    if (demands[i] !== demands[0]) equal = false;
  }
  if (total <= capacity) return Number.POSITIVE_INFINITY;
  if (equal) return capacity / n;
  scratch.length = 0;
  for (let i = 0; i < n; i++) scratch.push(demands[i]!);
  scratch.sort((x, y) => x - y);
  let left = capacity;
  for (let i = 0; i < n; i++) {
    const fair = left / (n - i);
    if (scratch[i]! > fair) return fair;
    left -= scratch[i]!;
  }
  // Reached only when rounding made the total look larger than the capacity: nobody is held back.
  return Number.POSITIVE_INFINITY;
}

/** Scratch arrays of {@link cappedRates}, reused from call to call. */
export interface CappedScratch {
  effective: number[];
  levels: number[];
  group: number[];
  sorted: number[];
}

/**
 * Each job's speed (a fraction of its solo speed, into `out`) when jobs of
 * these demands share `capacity` and the jobs of one worker together use at
 * most their worker's cap (`caps[i]`, the same for every job of a worker;
 * Infinity: none) of what they spend inside the worker (`inWorker[i]` of
 * demand d_i, default all of it).
 *
 * First each worker alone: its jobs share its cap max-min fairly by their
 * in-worker demands w_i, at the level L_w = fairShare(those w, cap), so job
 * i runs at most at rho_i = min(1, L_w / w_i) and then uses
 * e_i = d_i rho_i of the capacity. Then the capacity is shared over those
 * e_i as over demands: L = fairShare(e, capacity), and job i gets
 * min(e_i, L), running at min(e_i, L) / d_i. With w = d this is exactly the
 * max-min fair allocation under both kinds of limit (what progressive
 * filling reaches: every share grows alike until it meets its demand, its
 * worker's cap or the capacity); with no cap it is {@link fairShare}'s rule,
 * min(1, L / d_i). With w != d it is an approximation in one respect: a
 * worker's job slowed further by the capacity leaves part of its cap unused,
 * which the others of that worker do not take up (a worker runs one or two
 * primitives at a time, so this is rarely more than a little).
 *
 * `bound[i]` (default 1 each) is the part of job i's time alone under its
 * cap that the cap holds it: a worker running several jobs shares not its
 * cap but its cap times {@link limitGain} of their bounds, as the wait of
 * one overlaps the others' use of the cap.
 */
export function cappedRates(
  demands: readonly number[],
  workers: readonly number[],
  caps: readonly number[],
  capacity: number,
  out: number[],
  s: CappedScratch = { effective: [], levels: [], group: [], sorted: [] },
  inWorker: readonly number[] = demands,
  bound?: readonly number[],
): void {
  const n = demands.length;
  const { effective, levels, group } = s;
  levels.length = n;
  for (let i = 0; i < n; i++) levels[i] = Number.NaN;
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(levels[i]!)) continue;
    if (caps[i] === Number.POSITIVE_INFINITY) {
      levels[i] = Number.POSITIVE_INFINITY;
      continue;
    }
    // The worker's jobs, from i on (the ones before it were not of this worker, or had their level).
    group.length = 0;
    let bounds = 0;
    for (let j = i; j < n; j++) {
      if (workers[j] !== workers[i]) continue;
      group.push(inWorker[j]!);
      bounds += bound === undefined ? 1 : bound[j]!;
    }
    const level = fairShare(group, caps[i]! * limitGain(group.length, bounds / group.length), s.sorted);
    for (let j = i; j < n; j++) if (workers[j] === workers[i]) levels[j] = level;
  }
  effective.length = n;
  for (let i = 0; i < n; i++) {
    const d = demands[i]!;
    const w = inWorker[i]!;
    // All of it in the worker: min(d, L_w), the same as d * min(1, L_w / d) without its rounding.
    effective[i] = w === d ? Math.min(d, levels[i]!) : levels[i]! >= w ? d : d * (levels[i]! / w);
  }
  const share = fairShare(effective, capacity, s.sorted);
  out.length = n;
  for (let i = 0; i < n; i++) out[i] = Math.min(effective[i]!, share) / demands[i]!;
}

/** Scratch of {@link processRates}, reused from call to call. */
export interface ProcessScratch {
  /** Process index of each job's first and second part (-1: no second part). */
  p1: number[];
  p2: number[];
  /** Each part's cpus at full speed. */
  c1: number[];
  c2: number[];
  /** Per process: its cap, the budget it has left in a filling, the cpus its unfrozen parts use per unit of speed. */
  caps: number[];
  budget: number[];
  load: number[];
  /** Process index by key (worker id, STORE_GROUP, or below -1 for a job that is a process of its own). */
  index: Map<number, number>;
  /** The parts of process k are members[first[k]] to members[first[k + 1] - 1] (a job's index, or -1 - it for its second part). */
  first: number[];
  members: number[];
}

/** Fresh scratch for {@link processRates}. */
export function processScratch(): ProcessScratch {
  return { p1: [], p2: [], c1: [], c2: [], caps: [], budget: [], load: [], index: new Map(), first: [], members: [] };
}

/** Most halvings of {@link processRates}' search for the host's level (it stops once the interval is a few ulps wide). */
const PROCESS_HALVINGS = 200;

/**
 * Each job's speed (into `out`) when the host's `capacity` cpus are shared
 * between processes, not between jobs: the kernel's scheduler (CFS) gives
 * every runnable thread an equal turn, and each of the runtime's processes
 * (a worker, the snapshot store: one Node.js event loop each) is mostly one
 * busy thread, so a process serving twenty transfers gets about the same
 * cpu as one serving one, and its twenty share it. host.share: process.
 *
 * A job's demand d_i is spent in its process `groups[i]` (`inGroup[i]` of
 * it; the store for a transfer through the store, else its worker) and the
 * rest, d_i - inGroup[i], in its worker `workers[i]` (the worker's side of
 * a transfer through the store); a job with no process (group and worker
 * -1) is one of its own. A process uses at most its cap (`caps[i]` of the
 * jobs whose process it is: the store's threads, a pod's limit; Infinity:
 * none).
 *
 * The rule: the host offers every process the same level L of cpus (a
 * process wanting less takes what it wants), at most its cap; inside a
 * process its parts move at equal speeds (an event loop serves its streams
 * a chunk at a time), and a job runs at one speed in both its processes.
 * Given L this is progressive filling: every job's speed rises from 0
 * together until a process has used its budget (its jobs stop there) or
 * the speed reaches 1; so a transfer held back by the store uses only what
 * that speed needs of its worker, and the worker's other jobs take the
 * rest. L is the largest level at which everything together uses at most
 * the capacity (found by halving), or Infinity when even that fits. With
 * one job per process and nothing through the store this is fairShare's
 * rule.
 */
export function processRates(
  demands: readonly number[],
  groups: readonly number[],
  caps: readonly number[],
  inGroup: readonly number[],
  workers: readonly number[],
  capacity: number,
  out: number[],
  s: ProcessScratch = processScratch(),
): void {
  const n = demands.length;
  const { p1, p2, c1, c2, caps: pcap, budget, load, index, first, members } = s;
  p1.length = p2.length = c1.length = c2.length = n;
  pcap.length = 0;
  index.clear();
  const processOf = (key: number): number => {
    let k = index.get(key);
    if (k === undefined) {
      k = pcap.length;
      index.set(key, k);
      pcap.push(Number.POSITIVE_INFINITY);
    }
    return k;
  };
  for (let i = 0; i < n; i++) {
    // A job with no process of its own (no group, no worker) is one: keys below -1 never collide with a worker or the store.
    const g = groups[i]! >= 0 ? groups[i]! : -2 - i;
    const k = processOf(g);
    if (caps[i]! < pcap[k]!) pcap[k] = caps[i]!;
    p1[i] = k;
    c1[i] = Math.min(inGroup[i]!, demands[i]!);
    const rest = demands[i]! - inGroup[i]!;
    if (workers[i]! >= 0 && workers[i] !== g && rest > 1e-12) {
      p2[i] = processOf(workers[i]!);
      c2[i] = rest;
    } else {
      p2[i] = -1;
      c2[i] = 0;
    }
  }
  const m = pcap.length;
  budget.length = load.length = m;
  // Every process's parts, listed together (counting sort by process, in job order): first[k] to first[k + 1].
  first.length = m + 1;
  first.fill(0);
  for (let i = 0; i < n; i++) {
    first[p1[i]! + 1]! += 1;
    if (p2[i]! >= 0) first[p2[i]! + 1]! += 1;
  }
  for (let k = 0; k < m; k++) first[k + 1]! += first[k]!;
  members.length = first[m]!;
  for (let k = 0; k < m; k++) load[k] = first[k]!; // the next free place of each process, while filling members
  for (let i = 0; i < n; i++) {
    members[load[p1[i]!]!++] = i;
    if (p2[i]! >= 0) members[load[p2[i]!]!++] = -1 - i;
  }
  // Every job at full speed uses this much: no process needs more, so above it L changes nothing.
  let top = 0;
  for (let i = 0; i < n; i++) top += c1[i]! + c2[i]!;
  // The rates at host level L, into out (progressive filling, below); returns the cpus they use together.
  const at = (L: number): number => {
    out.length = n;
    for (let k = 0; k < m; k++) budget[k] = Math.min(pcap[k]!, L);
    for (let i = 0; i < n; i++) out[i] = -1;
    let t = 0;
    // Every round freezes at least one process's jobs, or reaches speed 1: at most m rounds.
    for (let round = 0; round < m && t < 1; round++) {
      // Every job not yet frozen runs at t; raise t until a process's budget is used up or t reaches 1.
      let step = 1 - t;
      for (let k = 0; k < m; k++) {
        let l = 0;
        for (let x = first[k]!; x < first[k + 1]!; x++) {
          const e = members[x]!;
          if (e >= 0 ? out[e]! < 0 : out[-1 - e]! < 0) l += e >= 0 ? c1[e]! : c2[-1 - e]!;
        }
        load[k] = l;
        if (l > 0 && budget[k]! / l < step) step = budget[k]! / l;
      }
      t += step;
      // Freeze the unfrozen jobs of every process whose budget is now used up (within rounding).
      let frozen = 0;
      for (let k = 0; k < m; k++) {
        if (load[k]! <= 0) continue;
        budget[k]! -= step * load[k]!;
        if (budget[k]! > 1e-12 * (1 + load[k]!)) continue;
        for (let x = first[k]!; x < first[k + 1]!; x++) {
          const e = members[x]!;
          const j = e >= 0 ? e : -1 - e;
          if (out[j]! < 0) (out[j] = t), (frozen += 1);
        }
      }
      // Rounding left a budget just above zero: the jobs still running keep t.
      if (frozen === 0) break;
    }
    let used = 0;
    for (let i = 0; i < n; i++) {
      if (out[i]! < 0) out[i] = Math.min(1, t);
      used += out[i]! * demands[i]!;
    }
    return used;
  };
  if (at(Number.POSITIVE_INFINITY) <= capacity) return;
  // The use grows with L, from 0 at L = 0 to above the capacity at L = top: halve [lo, hi] down to rounding.
  let lo = 0;
  let hi = top;
  for (let h = 0; h < PROCESS_HALVINGS && hi - lo > hi * 1e-15; h++) {
    const mid = (lo + hi) / 2;
    if (at(mid) <= capacity) lo = mid;
    else hi = mid;
  }
  at(lo);
}

/**
 * How much more of its cap a worker's `n` jobs get together than one alone,
 * when each is held by the cap for a part `bound` (their mean) of its time
 * alone and waits outside the worker for the rest: n / (1 + (n - 1) bound).
 * A job alone takes C + I (C held by the cap, I waiting, bound = C / (C +
 * I)); n alike at once take n C + I, as each one's wait overlaps the others'
 * use of the cap; so each runs at (C + I) / (n C + I) of its speed alone,
 * which is sharing a cap n / (1 + (n - 1) bound) times larger equally. 1 for
 * one job or for bound 1; never above 1 / bound. Two alike at once take
 * 1 + bound times one alone: calibrate --limited measures that ratio
 * (contention.host.pairUnderLimit).
 */
export function limitGain(n: number, bound: number): number {
  return n <= 1 ? 1 : n / (1 + (n - 1) * bound);
}

/** Work left (ms) under which a job counts as finished with the earliest one: rounding of the advance steps. */
const FINISH_EPSILON_MS = 1e-6;
