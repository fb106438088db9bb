import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/**
 * How busy the machine is while calibrate or the real half of fidelity
 * measures: the load average (os.loadavg) and the share of CPU time stolen
 * by the hypervisor (the steal column of /proc/stat, as a delta between two
 * readings), before the run and sampled during it. A busy machine slows
 * every real primitive, so its figures belong next to the numbers.
 *
 * Policy (issue 18): warn by default when the 1-minute load average before
 * the start exceeds cores × max-load (default 0.5); `--refuse-busy` turns
 * the warning into a refusal (exit 1, nothing run or written).
 */

/** Where the readings come from (the system, or a test's fake). */
export interface HostProbe {
  readonly loadavg: () => readonly number[];
  /** Text of /proc/stat, or null where there is none (not Linux). */
  readonly procStat: () => string | null;
  readonly cpus: number;
}

/** The probe of this machine. */
export const SYSTEM_PROBE: HostProbe = {
  loadavg,
  procStat: () => {
    try {
      return readFileSync('/proc/stat', 'utf8');
    } catch {
      return null;
    }
  },
  cpus: cpus().length,
};

/** Default of `--max-load`: the 1-minute load per core above which the machine counts as busy. */
export const DEFAULT_MAX_LOAD_PER_CPU = 0.5;

/** Cumulative CPU time of the aggregate `cpu` line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  readonly total: number;
  readonly steal: number;
}

/** Parses the aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal ...); null if absent or malformed. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (line === undefined) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || !fields.every((x) => Number.isFinite(x) && x >= 0)) return null;
  // guest and guest_nice (fields 9 and 10) are already counted in user and nice.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, steal: fields[7] ?? 0 };
}

/** Share of CPU time stolen between two readings (0 to 1); NaN when no time passed or either is missing. */
export function stealShare(before: CpuTimes | null, after: CpuTimes | null): number {
  if (before === null || after === null) return Number.NaN;
  const dt = after.total - before.total;
  if (!(dt > 0)) return Number.NaN;
  return Math.max(0, Math.min(1, (after.steal - before.steal) / dt));
}

/** One reading during the run. */
export interface HostSample {
  /** ms since the watch started. */
  readonly atMs: number;
  /** 1, 5, 15 min. */
  readonly loadAverage: readonly number[];
  /** Steal share since the previous reading (NaN without /proc/stat). */
  readonly steal: number;
}

/** What fidelity.json and the calibration profile keep of the machine's load. */
export interface HostLoad {
  readonly cpus: number;
  /** 1-minute load per cpu above which the machine counted as busy. */
  readonly maxLoadPerCpu: number;
  readonly before: { readonly loadAverage: readonly number[]; readonly steal: number };
  readonly during: {
    readonly samples: readonly HostSample[];
    /** Highest 1-minute load average read during the run. */
    readonly maxLoad1: number;
    /** Steal share over the whole run, first reading to last (NaN without /proc/stat). */
    readonly steal: number;
  };
  readonly after: { readonly loadAverage: readonly number[] };
  /** Why the machine was busy, if it was: the warning printed. */
  readonly warnings: readonly string[];
}

/** The warning for a load average `load1` on `cpus` cpus before a run, or undefined under the threshold. */
export function busyWarning(load1: number, cpus: number, maxLoadPerCpu: number): string | undefined {
  const limit = cpus * maxLoadPerCpu;
  if (!(load1 > limit)) return undefined;
  return `the machine is busy before the start: load average ${load1.toFixed(2)} on ${cpus} cpus, above ${limit.toFixed(2)} (--max-load ${maxLoadPerCpu} per cpu); real timings will run slow`;
}

/**
 * The same during a run, where the load average counts the run's own
 * processes: a local fidelity run at fleet-2000's peak takes this 2-cpu
 * machine to load 5-8 alone, so "busy" there said nothing of anything else
 * and was printed after every run. What ran beside the run's processes is
 * read from its cpu.csv (fidelity/cpu.ts besideTheRun).
 */
export function busyDuringWarning(load1: number, cpus: number, maxLoadPerCpu: number): string | undefined {
  const limit = cpus * maxLoadPerCpu;
  if (!(load1 > limit)) return undefined;
  return `the load average reached ${load1.toFixed(2)} during the run on ${cpus} cpus, above ${limit.toFixed(2)} (--max-load ${maxLoadPerCpu} per cpu): the run's own processes count in it, so it says the machine was saturated, not that something else ran (cpu used beside the run's processes is read from its cpu.csv where it writes one)`;
}

/**
 * Watches the machine's load from before a run to its end: `begin` reads the
 * load average and a first /proc/stat reading, then samples every `everyMs`
 * (an unref'd timer: it never keeps the process alive); `end` takes a last
 * reading, stops the timer and returns the figures. Steal before the run is
 * the share over the `begin` window given (from the first reading to the
 * second, taken at the start of the run proper).
 */
export class HostWatch {
  private readonly samples: HostSample[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private first: CpuTimes | null = null;
  private last: CpuTimes | null = null;
  private t0 = 0;
  private beforeLoad: readonly number[] = [];
  private beforeSteal = Number.NaN;
  private readonly warnings: string[] = [];

  constructor(
    private readonly probe: HostProbe = SYSTEM_PROBE,
    readonly maxLoadPerCpu = DEFAULT_MAX_LOAD_PER_CPU,
    private readonly everyMs = 5000,
  ) {
    if (!(maxLoadPerCpu > 0) || !Number.isFinite(maxLoadPerCpu)) throw new Error(`HostWatch: max load per cpu must be a positive number, got ${maxLoadPerCpu}`);
  }

  private stat(): CpuTimes | null {
    const text = this.probe.procStat();
    return text === null ? null : parseProcStat(text);
  }

  /** Reads the load before the run; returns the busy warning, if any (also kept in the result). */
  before(): string | undefined {
    this.beforeLoad = [...this.probe.loadavg()];
    this.first = this.stat();
    const w = busyWarning(this.beforeLoad[0] ?? 0, this.probe.cpus, this.maxLoadPerCpu);
    if (w !== undefined) this.warnings.push(w);
    return w;
  }

  /** Starts sampling at the start of the run proper; the steal share before it is the one since {@link before}. */
  start(nowMs: () => number = () => performance.now()): void {
    const s = this.stat();
    this.beforeSteal = stealShare(this.first, s);
    this.first = s;
    this.last = s;
    this.t0 = nowMs();
    this.timer = setInterval(() => this.sample(nowMs()), this.everyMs);
    this.timer.unref?.();
  }

  /** Takes one reading now (the timer's tick; tests call it directly). */
  sample(nowMs: number): void {
    const s = this.stat();
    this.samples.push({ atMs: nowMs - this.t0, loadAverage: [...this.probe.loadavg()], steal: stealShare(this.last, s) });
    if (s !== null) this.last = s;
  }

  /** Stops sampling and returns the figures. */
  end(nowMs: number = performance.now()): HostLoad {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample(nowMs);
    const maxLoad1 = Math.max(...this.samples.map((x) => x.loadAverage[0] ?? 0));
    const during = busyDuringWarning(maxLoad1, this.probe.cpus, this.maxLoadPerCpu);
    if (during !== undefined) this.warnings.push(during);
    return {
      cpus: this.probe.cpus,
      maxLoadPerCpu: this.maxLoadPerCpu,
      before: { loadAverage: this.beforeLoad, steal: this.beforeSteal },
      during: { samples: [...this.samples], maxLoad1, steal: stealShare(this.first, this.last) },
      after: { loadAverage: [...this.probe.loadavg()] },
      warnings: [...this.warnings],
    };
  }
}

/** One line for a report: "load 0.42 before, at most 1.10 during (2 cpus); steal 0.0% before, 1.2% during". */
export function hostLoadLine(h: HostLoad): string {
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');
  return `load average ${(h.before.loadAverage[0] ?? Number.NaN).toFixed(2)} before, at most ${h.during.maxLoad1.toFixed(2)} during, ${(h.after.loadAverage[0] ?? Number.NaN).toFixed(2)} after (1 min, ${h.cpus} cpus; busy above ${(h.cpus * h.maxLoadPerCpu).toFixed(2)}); CPU steal ${pct(h.before.steal)} before, ${pct(h.during.steal)} during`;
}

/** JSON-safe copy (NaN becomes null, as JSON.stringify would write it anyway). */
export function hostLoadJson(h: HostLoad): unknown {
  return JSON.parse(JSON.stringify(h));
}
