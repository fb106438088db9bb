import { describe, expect, it } from 'vitest';
import { parseSloFlag } from '../../reports/slo-flag.ts';

describe('parseSloFlag', () => {
  it('parses latencies as Go durations and the rejected share as a fraction', () => {
    expect(parseSloFlag('p99=1s,overheadP99=500ms,rejected=0.01')).toEqual({ p99: 1000, overheadP99: 500, maxRejected: 0.01 });
    expect(parseSloFlag(' p50 = 200ms , p90=1.5s ')).toEqual({ p50: 200, p90: 1500, maxRejected: 0 });
  });

  it('allows no rejections unless told, as a scenario file does', () => {
    expect(parseSloFlag('p99=2s').maxRejected).toBe(0);
  });

  it('takes the rejected share as a percentage and under the scenario file’s name', () => {
    expect(parseSloFlag('rejected=1%').maxRejected).toBeCloseTo(0.01);
    expect(parseSloFlag('maxRejected=0.5').maxRejected).toBe(0.5);
    expect(parseSloFlag('rejected=100%').maxRejected).toBe(1);
  });

  it.each([
    ['', /empty SLO .*keys: p50, p90, p99, overheadP99, rejected, maxRejected/],
    [' , ', /empty SLO/],
    ['p99=1s,', /empty entry .*stray comma/],
    ['p99', /"p99" is not key=value \(e\.g\. p99=1s\)/],
    ['p98=1s', /unknown key "p98" \(known: p50, p90, p99, overheadP99, rejected, maxRejected\)/],
    ['p99=', /"p99" has no value/],
    ['p99=1', /^p99: "1" is not a duration \(use a number with a unit/],
    ['p99=fast', /^p99: "fast" is not a duration/],
    ['p99=0s', /^p99: must be a positive duration, got "0s"/],
    ['p99=0', /^p99: must be a positive duration/],
    ['p99=1s,p99=2s', /"p99" is given more than once/],
    ['rejected=0.1,maxRejected=0.2', /"maxRejected" is given more than once/],
    ['rejected=2', /^rejected: must be at most 1 .*; for a percentage add %/],
    ['rejected=150%', /^rejected: must be at most 100%/],
    ['rejected=lots', /^rejected: expected a fraction such as 0\.01 or a percentage such as 1%, got "lots"/],
    ['rejected=-0.1', /^rejected: expected a fraction/],
    ['rejected=0x1', /^rejected: expected a fraction/],
  ])('refuses %j with a message saying what is wrong', (text, message) => {
    expect(() => parseSloFlag(text)).toThrow(message);
  });
});
