import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCpuMilli, parseMemoryMiB, parseQuantity } from '../../scenarios/quantity.ts';

describe('quantities', () => {
  it('reads the forms Kubernetes writes', () => {
    expect(parseMemoryMiB('512Mi')).toBe(512);
    expect(parseMemoryMiB('1.5Gi')).toBe(1536);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('2k')).toBe(2000);
    expect(() => parseQuantity('lots')).toThrow(/not a Kubernetes quantity/);
  });

  it('gives cpu in millicores without floating-point residue (9m was 9.000000000000002 in a pod spec)', () => {
    expect(parseCpuMilli('9m')).toBe(9);
    expect(parseCpuMilli('1.001')).toBe(1001);
    expect(parseCpuMilli('0.5')).toBe(500);
    expect(parseCpuMilli('2')).toBe(2000);
    expect(parseCpuMilli('250m')).toBe(250);
    expect(parseCpuMilli('1500000n')).toBe(1.5);
    expect(`${parseCpuMilli('9m')}m`).toBe('9m');
  });

  it('renders every whole millicore count written with m, or as cores, back as itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (milli) => {
        expect(parseCpuMilli(`${milli}m`)).toBe(milli);
        expect(parseCpuMilli(String(milli / 1000))).toBe(milli);
      }),
      { numRuns: 2000 },
    );
  });
});
