import type { Workload } from '../workload-types.ts';
import type { ActorSelection } from './actor-selection.ts';

/** A workload built from collected rows, with the actor index each selection slot became. */
export interface Assembled {
  readonly workload: Workload;
  /** Workload actor index of each selection slot; -1 for an evicted slot. */
  readonly actorOfSlot: Int32Array;
}

/**
 * Builds the Workload from rows collected in file order (`arrivalMs` already windowed and
 * compressed; `slot` from `selection`, all live): actors are numbered in order of first
 * appearance, rows sorted by arrival, then actor, then file order. `workOf(row)` is called
 * once per row in the final order, so work drawn from a stream follows the workload's order.
 */
export function assembleWorkload(
  selection: ActorSelection,
  arrivalMs: Float64Array,
  slot: Int32Array,
  templateOf: (slot: number) => string,
  workOf: (row: number) => number,
): Assembled {
  const actorOfSlot = new Int32Array(selection.slotCount).fill(-1);
  const actorNames: string[] = [];
  const actorTemplates: string[] = [];
  for (const s of selection.liveSlots()) {
    actorOfSlot[s] = actorNames.length;
    actorNames.push(selection.nameOf(s));
    actorTemplates.push(templateOf(s));
  }
  const n = arrivalMs.length;
  const rowActor = new Int32Array(n);
  for (let row = 0; row < n; row++) rowActor[row] = actorOfSlot[slot[row]!]!;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // The row index as last key makes the order total, so it does not rest on sort stability.
  order.sort((a, b) => arrivalMs[a]! - arrivalMs[b]! || rowActor[a]! - rowActor[b]! || a - b);
  const outArrivalMs = new Float64Array(n);
  const outActor = new Int32Array(n);
  const outWorkMs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const row = order[k]!;
    outArrivalMs[k] = arrivalMs[row]!;
    outActor[k] = rowActor[row]!;
    outWorkMs[k] = workOf(row);
  }
  return { workload: { actorNames, actorTemplates, arrivalMs: outArrivalMs, actor: outActor, workMs: outWorkMs }, actorOfSlot };
}
