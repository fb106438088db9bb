// Frozen copy of core/accounting.ts at commit 1df6b49, for reference/scheduler.ts. Do not edit.
/**
 * Time integrals of what the cluster holds: worker-seconds and memory
 * GiB-seconds split by what the memory was doing (busy, idle, empty), plus
 * peaks. The scheduler moves each worker between buckets when it changes; the
 * integrals advance with the `now` of every input, so no clock is read here.
 */

/** What a worker's memory is doing right now. */
export type MemoryUse = 'busy' | 'idle' | 'empty' | 'none';

/** Running totals of one run. All times in milliseconds, memory in MiB. */
export interface AccountingTotals {
  workerMs: number;
  busyMiBMs: number;
  idleMiBMs: number;
  emptyMiBMs: number;
  residentActorMs: number;
  peakWorkers: number;
  peakResident: number;
}

/** Integrates gauges over time; every mutation first advances to `nowMs`. */
export class Accounting {
  private lastMs = 0;
  private workers = 0;
  private resident = 0;
  private readonly mem = { busy: 0, idle: 0, empty: 0, none: 0 };
  readonly totals: AccountingTotals = {
    workerMs: 0,
    busyMiBMs: 0,
    idleMiBMs: 0,
    emptyMiBMs: 0,
    residentActorMs: 0,
    peakWorkers: 0,
    peakResident: 0,
  };

  /** Moves the integrals forward; time never goes back. */
  advance(nowMs: number): void {
    const dt = nowMs - this.lastMs;
    if (!(dt >= 0)) throw new Error(`time went backwards: ${nowMs} after ${this.lastMs}`);
    if (dt === 0) return;
    const t = this.totals;
    t.workerMs += this.workers * dt;
    t.busyMiBMs += this.mem.busy * dt;
    t.idleMiBMs += this.mem.idle * dt;
    t.emptyMiBMs += this.mem.empty * dt;
    t.residentActorMs += this.resident * dt;
    this.lastMs = nowMs;
  }

  /** Time of the last advance. */
  get nowMs(): number {
    return this.lastMs;
  }

  /** A worker's memory moved from one use to another ('none' = not alive). */
  move(memoryMiB: number, from: MemoryUse, to: MemoryUse): void {
    if (from === to) return;
    this.mem[from] -= memoryMiB;
    this.mem[to] += memoryMiB;
    if (from === 'none') this.workers += 1;
    if (to === 'none') this.workers -= 1;
    if (this.workers > this.totals.peakWorkers) this.totals.peakWorkers = this.workers;
  }

  /** Resident actors changed by `delta`. */
  residentDelta(delta: number): void {
    this.resident += delta;
    if (this.resident > this.totals.peakResident) this.totals.peakResident = this.resident;
  }

  /** Gauges now, for time series. */
  gauges(): { workers: number; resident: number } {
    return { workers: this.workers, resident: this.resident };
  }
}
