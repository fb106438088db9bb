type Column = Float64Array | Int32Array | Uint32Array | Uint8Array;

/** An append-only typed-array column that doubles its capacity when full, so long traces need no per-row objects. */
export class Growable<T extends Column> {
  /** Backing store; only the first `length` entries are meaningful. */
  data: T;
  length = 0;
  private readonly make: (capacity: number) => T;

  constructor(make: (capacity: number) => T, capacity = 1024) {
    this.make = make;
    this.data = make(capacity);
  }

  /** Appends one value. */
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  /** Entry `i` (which must be below `length`). */
  at(i: number): number {
    return this.data[i]!;
  }

  /** Keeps the first `n` entries (after the caller compacted them in place). */
  truncate(n: number): void {
    this.length = n;
  }

  /** A copy trimmed to `length`, so the result does not pin the doubled capacity. */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** A growable Float64Array column. */
export function float64Column(): Growable<Float64Array> {
  return new Growable((n) => new Float64Array(n));
}

/** A growable Int32Array column. */
export function int32Column(): Growable<Int32Array> {
  return new Growable((n) => new Int32Array(n));
}

/** A growable Uint32Array column. */
export function uint32Column(): Growable<Uint32Array> {
  return new Growable((n) => new Uint32Array(n));
}

/** A growable Uint8Array column. */
export function uint8Column(): Growable<Uint8Array> {
  return new Growable((n) => new Uint8Array(n));
}
