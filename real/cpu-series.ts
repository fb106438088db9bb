import { readFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { machineCpu, type MachineCpu } from './local/proc-cpu.ts';

/**
 * Where the machine's cpu went second by second during a real run
 * (`cpu.csv`): the machine's time by kind (/proc/stat), the driver's, the
 * store's and the workers' processes, and the kernel's pressure stall
 * information (/proc/pressure: time some task waited for a cpu, for I/O,
 * for memory) and the page faults taken (/proc/vmstat). run.json keeps the totals; this series says when, so a run
 * whose primitives slow down part-way can be read against what the machine
 * was doing then (a store starved of cpu, a disk that stalls, reclaim).
 * Linux only; anything unreadable is left empty, never guessed.
 */

/** Cumulative stall times of /proc/pressure/{cpu,io,memory}, in ms ("some": at least one task waited; "full": all non-idle tasks did). */
export interface Pressure {
  readonly cpuSomeMs: number | undefined;
  readonly ioSomeMs: number | undefined;
  readonly ioFullMs: number | undefined;
  readonly memorySomeMs: number | undefined;
}

/** The `total=` (µs) of a pressure file's `some` or `full` line, in ms; undefined if absent or malformed. */
export function pressureTotalMs(text: string | undefined, line: 'some' | 'full'): number | undefined {
  if (text === undefined) return undefined;
  const m = new RegExp(`^${line}\\s.*\\btotal=(\\d+)`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]) / 1000;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This machine's pressure totals (undefined fields where the kernel has no PSI). */
export function readPressure(read: (path: string) => string | undefined = readOr): Pressure {
  const cpu = read('/proc/pressure/cpu');
  const io = read('/proc/pressure/io');
  const memory = read('/proc/pressure/memory');
  return { cpuSomeMs: pressureTotalMs(cpu, 'some'), ioSomeMs: pressureTotalMs(io, 'some'), ioFullMs: pressureTotalMs(io, 'full'), memorySomeMs: pressureTotalMs(memory, 'some') };
}

/** A counter of /proc/vmstat (e.g. `pgfault`, page faults since boot); undefined if absent. */
export function vmstatCounter(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** One reading: cumulative figures at one moment. */
export interface CpuSnapshot {
  readonly atMs: number;
  readonly machine: MachineCpu | undefined;
  /** The driver's own user + system, ms. */
  readonly driverMs: number;
  /** Cumulative cpu ms by process (`store`, `worker <id>`) where the runtime can read them. */
  readonly processes: ReadonlyMap<string, number>;
  readonly pressure: Pressure;
  /** Page faults since boot (/proc/vmstat pgfault): every first touch of memory is one, and on a VM each can cost microseconds of system time. */
  readonly pageFaults?: number | undefined;
}

export const CPU_SERIES_COLUMNS = [
  'policy',
  'at_ms',
  'wall_ms',
  'user_ms',
  'system_ms',
  'iowait_ms',
  'irq_ms',
  'steal_ms',
  'idle_ms',
  'driver_ms',
  'store_ms',
  'workers_ms',
  'workers_busy',
  'pressure_cpu_ms',
  'pressure_io_ms',
  'pressure_io_full_ms',
  'pressure_memory_ms',
  'page_faults',
] as const;

type Cell = string | number;

const r1 = (x: number): number => Math.round(x * 10) / 10;
const delta = (a: number | undefined, b: number | undefined): Cell => (a === undefined || b === undefined ? '' : r1(Math.max(0, b - a)));

/**
 * The row between two readings: every figure is what was spent in the
 * interval, in ms (cpu-ms for cpu time, summed over cpus; stall ms for
 * pressure). A process read in both readings adds its own difference; one
 * that appeared in the interval adds all of its time (a worker's cpu since
 * its start belongs to the run), one that left adds nothing.
 * `workers_busy` counts the workers that used at least 10% of a cpu.
 */
export function seriesRow(policy: string, t0: number, a: CpuSnapshot, b: CpuSnapshot): Cell[] {
  const wall = b.atMs - a.atMs;
  const m = (k: keyof MachineCpu): Cell => delta(a.machine?.[k], b.machine?.[k]);
  let workers: number | undefined;
  let busy = 0;
  for (const [name, ms] of b.processes) {
    if (name === 'store') continue;
    const d = Math.max(0, ms - (a.processes.get(name) ?? 0));
    workers = (workers ?? 0) + d;
    if (wall > 0 && d / wall >= 0.1) busy++;
  }
  return [
    policy,
    r1(b.atMs - t0),
    r1(wall),
    m('userMs'),
    m('systemMs'),
    m('iowaitMs'),
    m('irqMs'),
    m('stealMs'),
    m('idleMs'),
    r1(Math.max(0, b.driverMs - a.driverMs)),
    delta(a.processes.get('store'), b.processes.get('store')),
    workers === undefined ? '' : r1(workers),
    workers === undefined ? '' : busy,
    delta(a.pressure.cpuSomeMs, b.pressure.cpuSomeMs),
    delta(a.pressure.ioSomeMs, b.pressure.ioSomeMs),
    delta(a.pressure.ioFullMs, b.pressure.ioFullMs),
    delta(a.pressure.memorySomeMs, b.pressure.memorySomeMs),
    delta(a.pageFaults, b.pageFaults),
  ];
}

/** What a runtime offers the series: each of its processes' cumulative cpu ms (absent where it cannot see them). */
export interface ProcessCpuSource {
  processCpuMs?(): ReadonlyMap<string, number>;
}

/**
 * Samples every `everyMs` (an unref'd timer) from `start` to `stop`, one row
 * per interval. `read` is injectable for tests.
 */
export class CpuSeries {
  private readonly rows: Cell[][] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: CpuSnapshot | undefined;
  private t0 = 0;

  constructor(
    private readonly policy: string,
    private readonly read: () => CpuSnapshot,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.last = this.read();
    this.t0 = this.last.atMs;
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref?.();
  }

  sample(): void {
    if (this.last === undefined) return;
    const now = this.read();
    if (now.atMs > this.last.atMs) this.rows.push(seriesRow(this.policy, this.t0, this.last, now));
    this.last = now;
  }

  /** Takes a last reading and stops; returns the rows (once: a second stop returns none). */
  stop(): Cell[][] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    this.last = undefined;
    return this.rows.splice(0);
  }
}

/** A reading of this machine, the driver and the runtime's processes. */
export function systemSnapshot(runtime: ProcessCpuSource): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    atMs: performance.now(),
    machine: machineCpu(),
    driverMs: (usage.user + usage.system) / 1000,
    processes: runtime.processCpuMs?.() ?? new Map(),
    pressure: readPressure(),
    pageFaults: vmstatCounter(readOr('/proc/vmstat'), 'pgfault'),
  };
}

export function cpuSeriesCsv(rows: readonly Cell[][]): string {
  return stringify(rows as Cell[][], { header: true, columns: [...CPU_SERIES_COLUMNS] });
}
