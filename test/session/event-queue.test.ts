import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from '../../session/event-queue.ts';

type Ref = { timeMs: number; seq: number; kind: number; a: number; b: number; c: number };

type Op = { op: 'push'; timeMs: number; kind: number; lane?: number } | { op: 'pop' };

// Few distinct times so ties are common and insertion-order tie-breaking is exercised.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('push' as const), timeMs: fc.integer({ min: 0, max: 20 }), kind: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('push' as const), timeMs: fc.double({ noNaN: true }), kind: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'pop' as const }) },
  // The FIFO lane: in order or not, the lane or the heap takes it, the order must be push's.
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('push' as const), timeMs: fc.integer({ min: 0, max: 20 }), kind: fc.integer({ min: 0, max: 255 }), lane: fc.constant(0) }),
  },
);

describe('EventQueue', () => {
  it('matches a sorted-array reference model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, cap) => {
        const q = new EventQueue(cap);
        const ref: Ref[] = [];
        let seq = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            const e: Ref = { timeMs: o.timeMs, seq: seq++, kind: o.kind, a: seq * 2, b: -seq, c: seq + 0.5 };
            if (o.lane === undefined) q.push(e.timeMs, e.kind, e.a, e.b, e.c);
            else q.pushFifo(e.timeMs, e.kind, e.a, e.b, e.c);
            ref.push(e);
            ref.sort((x, y) => (x.timeMs < y.timeMs ? -1 : x.timeMs > y.timeMs ? 1 : x.seq - y.seq));
          } else {
            const expected = ref.shift();
            expect(q.pop()).toBe(expected !== undefined);
            if (expected) {
              expect({ timeMs: q.timeMs, kind: q.kind, a: q.a, b: q.b, c: q.c }).toEqual({
                timeMs: expected.timeMs,
                kind: expected.kind,
                a: expected.a,
                b: expected.b,
                c: expected.c,
              });
            }
          }
          expect(q.size).toBe(ref.length);
          expect(q.peekTime()).toBe(ref[0]?.timeMs ?? Infinity);
        }
        expect(q.pushed).toBe(seq);
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its initial capacity and drains in order', () => {
    const q = new EventQueue(2);
    const n = 10_000;
    for (let i = 0; i < n; i++) q.push((i * 7919) % 1000, i % 256, i, 0, 0);
    expect(q.size).toBe(n);
    let prevTime = -Infinity;
    let prevA = -1;
    for (let i = 0; i < n; i++) {
      expect(q.pop()).toBe(true);
      expect(q.timeMs >= prevTime).toBe(true);
      if (q.timeMs === prevTime) expect(q.a).toBeGreaterThan(prevA);
      prevTime = q.timeMs;
      prevA = q.a;
    }
    expect(q.pop()).toBe(false);
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Infinity);
    expect(q.pushed).toBe(n);
  });

  it('keeps the FIFO lane in order past its first ring, interleaved with the heap', () => {
    const q = new EventQueue(4);
    const n = 5_000;
    // Into the lane at a constant delay, now and then out of order (the heap takes those), and the heap at random.
    for (let i = 0; i < n; i++) {
      q.pushFifo(i * 3, 7, i, 0, 0);
      q.pushFifo(i % 10 === 0 ? i : i * 2, 8, i, 0, 0);
      q.push((i * 7919) % 15_000, 9, i, 0, 0);
    }
    expect(q.size).toBe(3 * n);
    const seen: [number, number, number][] = [];
    while (q.pop()) seen.push([q.timeMs, q.kind, q.a]);
    expect(seen.length).toBe(3 * n);
    // Push order within equal times: kind 7's event i, then kind 8's, then the heap's, for each i.
    const seq = (k: number, a: number): number => 3 * a + (k - 7);
    for (let i = 1; i < seen.length; i++) {
      const [t0, k0, a0] = seen[i - 1]!;
      const [t1, k1, a1] = seen[i]!;
      expect(t1 > t0 || (t1 === t0 && seq(k1, a1) > seq(k0, a0))).toBe(true);
    }
    expect(q.peekTime()).toBe(Infinity);
  });

  it('rejects NaN times and bad kinds in the lane', () => {
    const q = new EventQueue();
    expect(() => q.pushFifo(NaN, 0, 0, 0, 0)).toThrow(/NaN/);
    expect(() => q.pushFifo(1, 256, 0, 0, 0)).toThrow(/kind/);
    expect(q.size).toBe(0);
  });

  it('rejects NaN times and out-of-range kinds', () => {
    const q = new EventQueue();
    expect(() => q.push(NaN, 0, 0, 0, 0)).toThrow(/NaN/);
    expect(() => q.push(1, 256, 0, 0, 0)).toThrow(/kind/);
    expect(() => q.push(1, 1.5, 0, 0, 0)).toThrow(/kind/);
    expect(q.size).toBe(0);
    expect(q.pushed).toBe(0);
  });

  it('rejects a non-positive initial capacity', () => {
    expect(() => new EventQueue(0)).toThrow(/initialCapacity/);
  });
});
