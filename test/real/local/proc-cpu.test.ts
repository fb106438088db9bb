import { describe, expect, it } from 'vitest';
import { clockTicks, processCpuMs, statCpuMs } from '../../../real/local/proc-cpu.ts';

describe('cpu time from /proc/<pid>/stat', () => {
  it('reads utime + stime, counting fields from the last parenthesis of the command name', () => {
    // Fields 14 and 15 (utime 250, stime 50 ticks) after a command name holding spaces and ")".
    const rest = ['S', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '250', '50', '0', '0'].join(' ');
    expect(statCpuMs(`1234 (node ) x (y) ${rest}`, 100)).toBe(3000);
    expect(statCpuMs(`1234 (node) ${rest}`, 250)).toBe(1200);
    expect(statCpuMs('garbage', 100)).toBeUndefined();
    expect(statCpuMs('1 (x) S 1 2', 100)).toBeUndefined();
  });

  it('reads this process where /proc exists, and undefined for no pid or a pid that is gone', () => {
    expect(processCpuMs(undefined)).toBeUndefined();
    expect(processCpuMs(2 ** 30)).toBeUndefined();
    const mine = processCpuMs(process.pid);
    if (mine !== undefined) {
      expect(mine).toBeGreaterThan(0);
      expect(clockTicks()).toBeGreaterThan(0);
    }
  });
});
