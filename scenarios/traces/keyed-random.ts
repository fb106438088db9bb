// Randomness keyed by names rather than drawn from one sequential stream: an actor's
// sampling key and a minute's arrival offsets then depend only on the seed and what they
// belong to, not on file order or on which other actors were read. makeRng (alea) would do
// the same but costs 1.4-13 us to seed per stream, too slow for one stream per trace minute.

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
// Streams deeper than this many duplicate rows of one function share offsets; real traces have none.
const MAX_OCCURRENCE = 2047;

/** 53-bit hash of `text` under a 32-bit `seed` (cyrb53 by bryc, public domain): well mixed, fast, stable across runs. */
export function hash53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return TWO_POW_32 * (2097151 & h2) + (h1 >>> 0);
}

/** A uniform number in [0, 1) determined by `text` and `seed`. */
export function keyedUniform(text: string, seed: number): number {
  return hash53(text, seed) / TWO_POW_53;
}

/** Reduces a run seed (number or string, as makeRng takes) to the 32 bits hash53 mixes in, keyed by purpose. */
export function seedBits(seed: string | number, purpose: string): number {
  return hash53(`${seed}:${purpose}`, 0) >>> 0;
}

/**
 * Uniforms in [0, 1) for one (key, cell, occurrence): sfc32 (Doty-Humphrey's small fast
 * counting generator, public domain; 128-bit state) seeded with the three and warmed up,
 * so any cell's draws can be regenerated on their own and cost nanoseconds to seed.
 */
export class CellStream {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** Restarts the stream for a 53-bit `key`, a 32-bit `cell` and a small `occurrence` (duplicate rows). */
  reset(key: number, cell: number, occurrence = 0): void {
    this.a = key % TWO_POW_32 | 0;
    // The key's high part has 21 bits, which leaves the top 11 for the occurrence.
    this.b = Math.floor(key / TWO_POW_32) | (Math.min(occurrence, MAX_OCCURRENCE) << 21);
    this.c = cell | 0;
    this.d = 1;
    // The generator's authors recommend 12 rounds before use when seeding from simple values.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next uniform in [0, 1), with 32 bits of resolution like alea's. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  }
}
