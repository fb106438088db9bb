import type { ActorSelection } from './actor-selection.ts';
import { float64Column, int32Column } from './growable.ts';

// Compaction after evictions waits for this many dead rows, so small imports never pay for it.
const MIN_DEAD_ROWS_TO_COMPACT = 1 << 16;

/**
 * Invocations of the selected actors for formats with one row per invocation, as typed-array
 * columns in file order. Rows of an actor evicted from the sample are dropped in batches.
 */
export class InvocationRows {
  readonly slot = int32Column();
  readonly arrivalMs = float64Column();
  readonly workMs = float64Column();
  private readonly selection: () => ActorSelection;
  private readonly rowsOfSlot: number[] = [];
  private dead = 0;

  /** `selection` is a getter because the selection's eviction callback must exist before it does. */
  constructor(selection: () => ActorSelection) {
    this.selection = selection;
  }

  /** Rows held for live actors. */
  get liveCount(): number {
    return this.slot.length - this.dead;
  }

  /** Appends one invocation of a live slot. */
  push(slot: number, arrivalMs: number, workMs: number): void {
    while (this.rowsOfSlot.length <= slot) this.rowsOfSlot.push(0);
    this.rowsOfSlot[slot]!++;
    this.slot.push(slot);
    this.arrivalMs.push(arrivalMs);
    this.workMs.push(workMs);
  }

  /** Accounts for an evicted slot; compacts once dead rows outnumber live ones. */
  evicted(slot: number): void {
    this.dead += this.rowsOfSlot[slot] ?? 0;
    this.rowsOfSlot[slot] = 0;
    if (this.dead > Math.max(MIN_DEAD_ROWS_TO_COMPACT, this.liveCount)) this.compact();
  }

  /** Drops the rows of evicted slots, keeping file order. */
  compact(): void {
    if (this.dead === 0) return;
    const selection = this.selection();
    let w = 0;
    for (let r = 0; r < this.slot.length; r++) {
      const s = this.slot.at(r);
      if (!selection.isLive(s)) continue;
      this.slot.data[w] = s;
      this.arrivalMs.data[w] = this.arrivalMs.at(r);
      this.workMs.data[w] = this.workMs.at(r);
      w++;
    }
    this.slot.truncate(w);
    this.arrivalMs.truncate(w);
    this.workMs.truncate(w);
    this.dead = 0;
  }
}
