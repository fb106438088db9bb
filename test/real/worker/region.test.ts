import { describe, expect, it } from 'vitest';
import { bootRegion, checkRegion, goldenIdentity, PAGE_BYTES, readHeader, regionBytesFor, stampRegion } from '../../../real/worker/region.ts';

const MiB = 1024 * 1024;

describe('actor region', () => {
  it('rounds memory to whole pages, at least two', () => {
    expect(regionBytesFor(64)).toBe(64 * MiB);
    expect(regionBytesFor(0.001)).toBe(2 * PAGE_BYTES);
    expect(regionBytesFor(1.5)).toBe(1.5 * MiB);
    expect(regionBytesFor(953.67431640625)).toBe(Math.ceil((953.67431640625 * MiB) / PAGE_BYTES) * PAGE_BYTES);
  });

  it('boots deterministically, writes every page, and differs between actors', () => {
    const a = bootRegion(4 * MiB, 'agent-1', 'agent');
    expect(bootRegion(4 * MiB, 'agent-1', 'agent').equals(a)).toBe(true);
    expect(bootRegion(4 * MiB, 'agent-2', 'agent').equals(a)).toBe(false);
    for (let page = 0; page < a.length / PAGE_BYTES; page++) {
      expect(a.subarray(page * PAGE_BYTES, (page + 1) * PAGE_BYTES).some((b) => b !== 0)).toBe(true);
    }
    expect(readHeader(a)).toMatchObject({ regionBytes: 4 * MiB, counter: 0 });
    expect(checkRegion(a, { actor: 'agent-1', template: 'agent', version: 0, origins: ['agent-1'] })).toBeNull();
  });

  it('advances by rewriting only the header and the first page, and checks consistently', () => {
    const a = bootRegion(2 * MiB, 'agent-1', 'agent');
    const before = Buffer.from(a);
    stampRegion(a, 'agent-1', 1);
    expect(a.subarray(PAGE_BYTES).equals(before.subarray(PAGE_BYTES))).toBe(true);
    expect(a.subarray(0, PAGE_BYTES).equals(before.subarray(0, PAGE_BYTES))).toBe(false);
    const expect1 = { actor: 'agent-1', template: 'agent', version: 1, origins: ['agent-1'] };
    expect(checkRegion(a, expect1)).toBeNull();
    expect(checkRegion(a, { ...expect1, version: 0 })).toMatchObject({ kind: 'stale' });
    expect(checkRegion(a, { ...expect1, actor: 'agent-2' })).toMatchObject({ kind: 'corrupt' });
    expect(checkRegion(a, { ...expect1, template: 'other' })).toMatchObject({ kind: 'corrupt' });
    expect(checkRegion(a, { ...expect1, origins: ['agent-2'] })).toMatchObject({ kind: 'corrupt' });
    // A header that claims a counter its first page was not written for.
    const lying = Buffer.from(a);
    lying.writeBigUInt64LE(2n, 16);
    expect(checkRegion(lying, { ...expect1, version: 2 })).toMatchObject({ kind: 'corrupt', message: expect.stringContaining('first page') });
    // A body page out of place (page 1 is always among the sampled pages).
    const swapped = Buffer.from(a);
    a.copy(swapped, 1 * PAGE_BYTES, 17 * PAGE_BYTES, 18 * PAGE_BYTES);
    expect(checkRegion(swapped, expect1)).toMatchObject({ kind: 'corrupt', message: expect.stringContaining('body page 1') });
    const last = Buffer.from(a);
    last[last.length - 1] = last[last.length - 1]! ^ 1;
    expect(checkRegion(last, expect1)).toMatchObject({ kind: 'corrupt', message: expect.stringContaining('body page') });
  });

  it('adopts a golden body under the actor that restored it', () => {
    const golden = bootRegion(2 * MiB, goldenIdentity('agent'), 'agent');
    expect(checkRegion(golden, { actor: goldenIdentity('agent'), template: 'agent', version: 0, origins: [goldenIdentity('agent')] })).toBeNull();
    stampRegion(golden, 'agent-7', 0);
    expect(checkRegion(golden, { actor: 'agent-7', template: 'agent', version: 0, origins: ['agent-7', goldenIdentity('agent')] })).toBeNull();
  });

  // How fast it fills is a benchmark's question (npm run bench:region), not a test's: a busy machine is slow.
  it('boots a 256 MiB region whole, with a header and a body that check', () => {
    const region = bootRegion(256 * MiB, 'agent-big', 'agent');
    expect(region.length).toBe(256 * MiB);
    expect(readHeader(region)).toMatchObject({ regionBytes: 256 * MiB, counter: 0 });
    expect(checkRegion(region, { actor: 'agent-big', template: 'agent', version: 0, origins: ['agent-big'] })).toBeNull();
    // The last page is written too, not left as the zeros of the allocation.
    expect(region.subarray(region.length - PAGE_BYTES).some((b) => b !== 0)).toBe(true);
  });
});
