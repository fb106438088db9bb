import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrantLedger } from '../../../real/store/grant-ledger.ts';

// The ledger's clock is injected: expiry is reached by moving it, never by waiting.

describe('grant ledger', () => {
  it('allows each grant one read and one write, and refuses their replay', () => {
    const ledger = new GrantLedger({ now: () => 0 });
    expect(ledger.use('a', 'r', 100)).toBe('first');
    expect(ledger.use('a', 'r', 100)).toBe('replay');
    expect(ledger.use('a', 'w', 100)).toBe('first');
    expect(ledger.use('a', 'w', 100)).toBe('replay');
    expect(ledger.use('b', 'r', 100)).toBe('first');
    expect(ledger.size()).toBe(3);
  });

  it('keeps a use until its grant can no longer verify, then drops it', () => {
    let nowMs = 0;
    const ledger = new GrantLedger({ now: () => nowMs });
    ledger.use('early', 'w', 100);
    ledger.use('late', 'w', 200);
    nowMs = 100;
    // At its last valid instant the grant still verifies: still remembered.
    expect(ledger.size()).toBe(2);
    expect(ledger.use('early', 'w', 100)).toBe('replay');
    nowMs = 101;
    expect(ledger.size()).toBe(1);
    nowMs = 201;
    expect(ledger.size()).toBe(0);
  });

  it('refuses a grant it may have forgotten when the clock steps back past a drop', () => {
    let nowMs = 0;
    const ledger = new GrantLedger({ now: () => nowMs });
    expect(ledger.use('g', 'r', 100)).toBe('first');
    nowMs = 150;
    expect(ledger.size()).toBe(0);
    // The store's clock steps back (NTP): the verifier would accept the grant again, the ledger no longer knows it.
    nowMs = 50;
    expect(ledger.use('g', 'r', 100)).toBe('expired');
    // A grant valid beyond every drop so far is new to it, and accepted.
    expect(ledger.use('h', 'r', 151)).toBe('first');
  });

  it('refuses a use beyond the cap without forgetting a live one, and makes room as uses expire', () => {
    let nowMs = 0;
    const ledger = new GrantLedger({ maxEntries: 3, now: () => nowMs });
    expect(['a', 'b', 'c'].map((id, i) => ledger.use(id, 'w', 100 + i))).toEqual(['first', 'first', 'first']);
    expect(ledger.use('d', 'w', 500)).toBe('full');
    expect(ledger.use('a', 'w', 100)).toBe('replay');
    expect(ledger.nextDropInMs()).toBe(101);
    nowMs = 101;
    expect(ledger.use('d', 'w', 500)).toBe('first');
    expect(ledger.use('e', 'w', 500)).toBe('full');
    expect(ledger.size()).toBe(3);
  });

  it('keeps room for the write a read may spend, and refuses that spend rather than exceed the cap', () => {
    const ledger = new GrantLedger({ maxEntries: 3, now: () => 0 });
    expect(ledger.use('a', 'r', 100)).toBe('first');
    expect(ledger.use('b', 'r', 100)).toBe('first');
    // One entry free: a read that may need a second is refused, a plain read is not.
    expect(ledger.use('rw', 'r', 100, 2)).toBe('full');
    expect(ledger.spend('b', 'w', 100)).toBe(true);
    expect(ledger.use('rw', 'w', 100)).toBe('full');
    expect(ledger.spend('c', 'w', 100)).toBe(false);
    expect(ledger.use('b', 'w', 100)).toBe('replay');
    expect(ledger.size()).toBe(3);
  });

  it('holds exactly the uses whose grants are still valid, whatever order they expire in (property, bounded runs)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 30 }), op: fc.constantFrom('r' as const, 'w' as const), lastValidMs: fc.integer({ min: 0, max: 1_000 }) }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 1_100 }), { maxLength: 20 }),
        (uses, probes) => {
          let nowMs = 0;
          const ledger = new GrantLedger({ now: () => nowMs });
          const model = new Map<string, number>();
          for (const u of uses) {
            const key = `${u.id}:${u.op}`;
            // A grant's id fixes its expiry: the same id always comes with the same lastValidMs.
            const lastValidMs = model.get(key) ?? u.lastValidMs;
            expect(ledger.use(String(u.id), u.op, lastValidMs)).toBe(model.has(key) ? 'replay' : 'first');
            model.set(key, lastValidMs);
          }
          for (const t of [...probes].sort((a, b) => a - b)) {
            nowMs = t;
            expect(ledger.size()).toBe([...model.values()].filter((v) => v >= t).length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
