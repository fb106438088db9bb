import { NONE } from './codes.ts';

// Bits of a float64, for hashing an invocation id.
const hashFloat = new Float64Array(1);
const hashWords = new Uint32Array(hashFloat.buffer);

/**
 * Invocation id to InvTable slot, with a Map's semantics (ids are whatever
 * numbers the runtime picks; -0 is 0, NaN is NaN): linear probing over
 * typed arrays, deleting by shifting the probe run back rather than leaving
 * tombstones, so a table of a few live entries and millions of comings and
 * goings never rehashes. A Map's set and delete on every invocation
 * allocated and rehashed more than the rest of the arrival path.
 */
export class IdIndex {
  private keys: Float64Array;
  /** The slot stored for the key at the same place, or NONE for an empty place. */
  private slots: Int32Array;
  private mask: number;
  private size = 0;
  // NaN never equals itself, so it lives apart.
  private nanSlot = NONE;

  constructor(capacity: number) {
    const c = 1 << Math.ceil(Math.log2(Math.max(16, capacity)));
    this.keys = new Float64Array(c);
    this.slots = new Int32Array(c).fill(NONE);
    this.mask = c - 1;
  }

  private static hash(id: number): number {
    hashFloat[0] = id;
    let h = hashWords[0]! ^ Math.imul(hashWords[1]!, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /** Where `key` is, or the empty place that ends its probe run. */
  private find(key: number): number {
    const keys = this.keys;
    const slots = this.slots;
    const mask = this.mask;
    let i = IdIndex.hash(key) & mask;
    while (slots[i] !== NONE && keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** Entries. */
  get count(): number {
    return this.size + (this.nanSlot === NONE ? 0 : 1);
  }

  /** The slot of `id`, or NONE. */
  get(id: number): number {
    if (id !== id) return this.nanSlot;
    // -0 and 0 are one key, as in a Map.
    return this.slots[this.find(id === 0 ? 0 : id)]!;
  }

  set(id: number, slot: number): void {
    if (id !== id) {
      this.nanSlot = slot;
      return;
    }
    const key = id === 0 ? 0 : id;
    const i = this.find(key);
    if (this.slots[i] === NONE) {
      this.keys[i] = key;
      this.size += 1;
    }
    this.slots[i] = slot;
    // At most half full, so probe runs stay short.
    if (this.size * 2 > this.mask + 1) this.grow();
  }

  delete(id: number): void {
    if (id !== id) {
      this.nanSlot = NONE;
      return;
    }
    const keys = this.keys;
    const slots = this.slots;
    const mask = this.mask;
    let i = this.find(id === 0 ? 0 : id);
    if (slots[i] === NONE) return;
    this.size -= 1;
    // Backward shift: pull later entries of the run into the hole when their home is at or before it.
    let j = i;
    for (;;) {
      slots[i] = NONE;
      for (;;) {
        j = (j + 1) & mask;
        if (slots[j] === NONE) return;
        const home = IdIndex.hash(keys[j]!) & mask;
        // Keep j where it is if its home lies cyclically in (i, j].
        if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
        break;
      }
      keys[i] = keys[j]!;
      slots[i] = slots[j]!;
      i = j;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const slots = this.slots;
    const c = slots.length * 2;
    this.keys = new Float64Array(c);
    this.slots = new Int32Array(c).fill(NONE);
    this.mask = c - 1;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === NONE) continue;
      const k = this.find(keys[i]!);
      this.keys[k] = keys[i]!;
      this.slots[k] = slots[i]!;
    }
  }
}
