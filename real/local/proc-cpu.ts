import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Cpu time of a process from /proc/<pid>/stat (Linux): user + system, in
 * milliseconds, or undefined where there is no such file (another system,
 * or the process is gone). Calibration reads it before and after a
 * primitive to see what the store and the workers spent on it.
 */
export function processCpuMs(pid: number | undefined, ticksPerSec = clockTicks()): number | undefined {
  if (pid === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return statCpuMs(text, ticksPerSec);
}

/**
 * utime + stime of a /proc/<pid>/stat line, in ms. The command name (field 2)
 * is in parentheses and may hold spaces and parentheses itself, so fields
 * are counted from the last ')': utime and stime are fields 14 and 15.
 */
export function statCpuMs(stat: string, ticksPerSec: number): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): field n is fields[n - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !(ticksPerSec > 0)) return undefined;
  return ((utime + stime) * 1000) / ticksPerSec;
}

let ticks: number | undefined;

/** The kernel's clock ticks per second (USER_HZ) from `getconf CLK_TCK`, 100 (what Linux uses on every common architecture) if that fails. */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      ticks = n > 0 ? n : 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** The machine's cpu time by kind since boot, from /proc/stat's first line, in ms summed over its cpus. */
export interface MachineCpu {
  readonly userMs: number;
  readonly systemMs: number;
  readonly idleMs: number;
  readonly iowaitMs: number;
  /** irq + softirq. */
  readonly irqMs: number;
  readonly stealMs: number;
}

/** /proc/stat's cpu line as {@link MachineCpu} (user includes nice), or undefined where there is none. */
export function machineCpu(stat?: string, ticksPerSec = clockTicks()): MachineCpu | undefined {
  let text = stat;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/stat', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.slice(0, 8).some((x) => !Number.isFinite(x))) return undefined;
  const ms = (t: number): number => (t * 1000) / ticksPerSec;
  return { userMs: ms(f[0]! + f[1]!), systemMs: ms(f[2]!), idleMs: ms(f[3]!), iowaitMs: ms(f[4]!), irqMs: ms(f[5]! + f[6]!), stealMs: ms(f[7]!) };
}
