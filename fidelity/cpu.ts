import type { CostModel } from '../scenarios/scenario.ts';
import type { CpuPoint } from '../reports/charts.ts';

// Where the cpu went (issue 18): the real run's cpu-seconds as run.json
// records them (real/run.ts cpuUsed) beside the work the simulation's host
// model put on its cpus, so a run whose latencies part ways can be read as
// "the real machine did more work than the model knows of" or not.

/** run.json `policies[].cpu` of a real run (real/run.ts CpuUsed). */
interface RealCpu {
  readonly wallMs: number;
  readonly machine: { readonly userMs: number; readonly systemMs: number; readonly iowaitMs: number; readonly irqMs: number; readonly stealMs: number; readonly idleMs: number } | null;
  readonly driverMs: number;
  readonly storeMs: number | null;
  readonly workersMs: number | null;
}

const s = (ms: number): string => (ms / 1000).toFixed(1);

/** Each policy set's recorded cpu in a real run's run.json (those that recorded none are left out). */
function realCpus(runJson: unknown): Map<string, RealCpu> {
  const out = new Map<string, RealCpu>();
  const policies = (runJson as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(policies)) return out;
  for (const p of policies as { name?: unknown; cpu?: RealCpu | null }[]) {
    if (typeof p.name === 'string' && p.cpu !== undefined && p.cpu !== null) out.set(p.name, p.cpu);
  }
  return out;
}

/** One line per policy set of a real run's run.json that recorded its cpu (local runs: the whole machine; k8s: the driver's own only). */
export function realCpuLines(runJson: unknown, backend: 'local' | 'k8s'): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, c] of realCpus(runJson)) {
    const parts = [`its driver ${s(c.driverMs)}`, ...(c.storeMs === null ? [] : [`the store ${s(c.storeMs)}`]), ...(c.workersMs === null ? [] : [`the workers ${s(c.workersMs)}`])];
    const m = c.machine;
    if (m === null || backend === 'k8s') {
      out.set(name, `the real run took ${s(c.wallMs)} s: ${parts.join(', ')} cpu-s`);
      continue;
    }
    const busy = m.userMs + m.systemMs + m.irqMs + m.stealMs;
    const all = busy + m.idleMs + m.iowaitMs;
    const cpus = c.wallMs > 0 ? all / c.wallMs : 0;
    const known = c.driverMs + (c.storeMs ?? 0) + (c.workersMs ?? 0);
    out.set(
      name,
      `the real run kept this machine busy ${s(busy)} of ${s(all)} cpu-s over ${s(c.wallMs)} s (${cpus.toFixed(1)} cpus; user ${s(m.userMs)}, system ${s(m.systemMs)}, irq ${s(m.irqMs)}, steal ${s(m.stealMs)}; iowait ${s(m.iowaitMs)} more): ` +
        `${parts.join(', ')}, the rest (kernel threads, page reclaim, other processes) ${s(Math.max(0, busy - known))}`,
    );
  }
  return out;
}

/**
 * The work, in cpu-ms, the host model put on its cpus for the primitives the
 * simulation completed (its measured.csv): each primitive's solo part (the
 * size part of a transfer, a whole start, a dispatch) times its demand.
 * Undefined without a host model. Primitives given up or lost are not in
 * measured.csv, so their work is not counted.
 */
export function modelledHostWorkMs(measured: readonly Record<string, string>[], policy: string, costs: CostModel, sizeMiB: number): { workMs: number; cpus: number; parts: string } | undefined {
  const h = costs.contention?.host;
  if (h === undefined) return undefined;
  const count = (primitive: string, source: string): number => Number(measured.find((r) => r.policy === policy && r.primitive === primitive && r.source === source)?.count ?? 0);
  const median = (primitive: string): number => Number(measured.find((r) => r.policy === policy && r.primitive === primitive)?.p50_ms ?? 0);
  const size = (bw: number): number => (sizeMiB / bw) * 1000;
  const items: [string, number][] = [
    ['restores from the store', (count('restore', 'golden') * size(costs.restore.golden.mibPerSec) + count('restore', 'external') * size(costs.restore.external.mibPerSec)) * h.restore],
    ['restores from the node', count('restore', 'local') * size(costs.restore.local.mibPerSec) * (h.restoreLocal ?? h.restore)],
    ['checkpoints to the store', count('checkpoint', 'external') * size(costs.checkpoint.external.mibPerSec) * h.checkpoint],
    ['checkpoints to the node', count('checkpoint', 'local') * size(costs.checkpoint.local.mibPerSec) * (h.checkpointLocal ?? h.checkpoint)],
    // A start's whole time under load is not its solo time: the profile's median start stands for it.
    ['worker starts', count('worker-start', '') * (costs.workerStart.kind === 'lognormal' ? costs.workerStart.medianMs : median('worker-start')) * h.workerStart],
    ...(h.dispatch === undefined ? [] : [['dispatches', count('dispatch', '') * median('dispatch') * h.dispatch] as [string, number]]),
  ];
  const workMs = items.reduce((t, [, ms]) => t + ms, 0);
  return { workMs, cpus: h.cpus - (h.driver ?? 0), parts: items.filter(([, ms]) => ms > 0).map(([what, ms]) => `${what} ${s(ms)}`).join(', ') };
}

/**
 * How dear the real machine's cpu was: what the real run's processes spent
 * (local runs: the store's and the workers', from run.json) against what the
 * profile's host model charges for the primitives the real run itself
 * completed (its measured.csv). Both count the same work, so a ratio well
 * above 1 says the machine did that work at a higher cost per byte than
 * when it was calibrated, which neither the drift probe (one primitive
 * alone) nor the load average sees (fleet-2000's morning on 2026-12-07: 0.92
 * and 0.96 in the two runs the simulation met, 1.08 and 1.20 in the two it
 * missed worst, 0.99 in two it missed by less; README, Fidelity). Undefined on k8s, without a
 * host model, or where the real run did not record its processes' cpu.
 */
export function machineCost(runJson: unknown, realMeasured: readonly Record<string, string>[], policy: string, costs: CostModel, sizeMiB: number, backend: 'local' | 'k8s'): { spentMs: number; chargedMs: number; ratio: number } | undefined {
  if (backend !== 'local') return undefined;
  const cpu = realCpus(runJson).get(policy);
  if (cpu === undefined || cpu.storeMs === null || cpu.workersMs === null) return undefined;
  const charged = modelledHostWorkMs(realMeasured, policy, costs, sizeMiB);
  if (charged === undefined || !(charged.workMs > 0)) return undefined;
  const spentMs = cpu.storeMs + cpu.workersMs;
  return { spentMs, chargedMs: charged.workMs, ratio: spentMs / charged.workMs };
}

/** Above this, {@link machineCost}'s ratio is called out as a machine dearer than calibrated. */
export const DEAR_MACHINE = 1.1;

/** The sentence of {@link machineCost}, with its caveat above {@link DEAR_MACHINE}. */
export function machineCostText(c: NonNullable<ReturnType<typeof machineCost>>): string {
  const base = `for the real run's own primitives the host model charges ${s(c.chargedMs)} cpu-s; its store and workers spent ${s(c.spentMs)} (${c.ratio.toFixed(2)}x)`;
  return c.ratio > DEAR_MACHINE
    ? `${base}: the machine did the same work at a higher cost than when it was calibrated, so the real timings run slow for a reason the profile does not hold (the machine, not the policies)`
    : base;
}

/** The caveat line of a policy set: the real cpu beside the modelled work, whichever of the two there is. */
export function cpuNote(policy: string, real: string | undefined, modelled: ReturnType<typeof modelledHostWorkMs>, cost?: ReturnType<typeof machineCost>): string | undefined {
  const sim = modelled === undefined ? undefined : `the simulation's host model put ${s(modelled.workMs)} cpu-s of work on its ${modelled.cpus} cpus (${modelled.parts})`;
  const parts = [real, sim, cost === undefined ? undefined : machineCostText(cost)].filter((x) => x !== undefined);
  return parts.length === 0 ? undefined : `Cpu, ${policy}: ${parts.join('; ')}.`;
}

/** One interval of a real run's cpu.csv (real/cpu-series.ts), in ms; a figure left empty (unreadable) is undefined. */
interface CpuInterval {
  readonly policy: string;
  readonly atMs: number;
  readonly wallMs: number;
  /** user + system + irq + steal. */
  readonly busyMs: number | undefined;
  /** idle + iowait. */
  readonly idleMs: number | undefined;
  readonly storeMs: number | undefined;
  readonly workersMs: number | undefined;
  readonly driverMs: number | undefined;
}

function cpuIntervals(rows: readonly Record<string, string>[]): CpuInterval[] {
  const num = (x: string | undefined): number | undefined => (x === undefined || x === '' || !Number.isFinite(Number(x)) ? undefined : Number(x));
  const sum = (...xs: (number | undefined)[]): number | undefined => (xs.every((x) => x !== undefined) ? xs.reduce<number>((t, x) => t + x!, 0) : undefined);
  const out: CpuInterval[] = [];
  for (const r of rows) {
    const wallMs = num(r.wall_ms);
    const atMs = num(r.at_ms);
    if (wallMs === undefined || !(wallMs > 0) || atMs === undefined || r.policy === undefined) continue;
    out.push({
      policy: r.policy,
      atMs,
      wallMs,
      busyMs: sum(num(r.user_ms), num(r.system_ms), num(r.irq_ms), num(r.steal_ms)),
      idleMs: sum(num(r.idle_ms), num(r.iowait_ms)),
      storeMs: num(r.store_ms),
      workersMs: num(r.workers_ms),
      driverMs: num(r.driver_ms),
    });
  }
  return out;
}

/** Busy time none of the run's processes accounts for, where the machine's figure was read. */
const otherMs = (x: CpuInterval): number | undefined => (x.busyMs === undefined ? undefined : Math.max(0, x.busyMs - (x.storeMs ?? 0) - (x.workersMs ?? 0) - (x.driverMs ?? 0)));

/**
 * A real run's cpu.csv as the cpu chart's points, per policy set: each
 * interval's store, workers, driver, everything else busy on the machine,
 * and idle (iowait counted idle), in cpus. A figure left empty (unreadable)
 * is left out, not drawn as zero.
 */
export function cpuPoints(rows: readonly Record<string, string>[]): Map<string, CpuPoint[]> {
  const out = new Map<string, CpuPoint[]>();
  for (const x of cpuIntervals(rows)) {
    const list = out.get(x.policy) ?? [];
    const parts: [CpuPoint['part'], number | undefined][] = [['store', x.storeMs], ['workers', x.workersMs], ['driver', x.driverMs], ['other', otherMs(x)], ['idle', x.idleMs]];
    for (const [part, ms] of parts) if (ms !== undefined) list.push({ atMs: x.atMs, part, cpus: ms / x.wallMs });
    out.set(x.policy, list);
  }
  return out;
}

/** The machine's cpus as cpu.csv counts them (all time by kind over the wall time, the median interval, rounded); 1 when unreadable. */
export function cpuCount(rows: readonly Record<string, string>[]): number {
  const per = cpuIntervals(rows)
    .map((x) => (x.busyMs === undefined || x.idleMs === undefined ? Number.NaN : (x.busyMs + x.idleMs) / x.wallMs))
    .filter((c) => Number.isFinite(c) && c > 0)
    .sort((a, b) => a - b);
  return per.length === 0 ? 1 : Math.max(1, Math.round(per[Math.floor(per.length / 2)]!));
}

/** Above this share of the machine's time, cpu used beside the run's own processes is called out. */
export const BESIDE_SHARE = 0.05;

/**
 * The cpu something other than the run's own processes (store, workers,
 * driver) used during a real local run, from its cpu.csv: kernel threads
 * and page reclaim, but also anything else started on the machine. The load
 * average cannot tell it from the run's own load; this can. Returns the
 * cpu-ms beside the run, the machine's cpu-ms in all, and the busiest 10 s
 * of it; undefined without the figures.
 */
export function besideTheRun(rows: readonly Record<string, string>[], policy: string): { besideMs: number; machineMs: number; share: number; fromMs: number; toMs: number } | undefined {
  const iv: { at: number; wall: number; beside: number; all: number }[] = [];
  for (const x of cpuIntervals(rows)) {
    // Only intervals where every figure was read: a missing process figure would count its cpu as beside the run.
    if (x.policy !== policy || x.busyMs === undefined || x.idleMs === undefined || x.storeMs === undefined || x.workersMs === undefined || x.driverMs === undefined) continue;
    iv.push({ at: x.atMs, wall: x.wallMs, beside: otherMs(x)!, all: x.busyMs + x.idleMs });
  }
  if (iv.length === 0) return undefined;
  const besideMs = iv.reduce((t, x) => t + x.beside, 0);
  const machineMs = iv.reduce((t, x) => t + x.all, 0);
  // The busiest window of about 10 s (intervals of about a second each).
  let best = { sum: -1, from: 0, to: 0 };
  for (let i = 0; i < iv.length; i++) {
    let sum = 0;
    let j = i;
    for (; j < iv.length && iv[j]!.at - iv[i]!.at < 10_000; j++) sum += iv[j]!.beside;
    if (sum > best.sum) best = { sum, from: iv[i]!.at - iv[i]!.wall, to: iv[j - 1]!.at };
  }
  return { besideMs, machineMs, share: machineMs > 0 ? besideMs / machineMs : 0, fromMs: best.from, toMs: best.to };
}

/** The warning of {@link besideTheRun} above {@link BESIDE_SHARE}, else undefined. */
export function besideNote(policy: string, b: ReturnType<typeof besideTheRun>): string | undefined {
  if (b === undefined || !(b.share > BESIDE_SHARE)) return undefined;
  return (
    `Cpu beside the run, ${policy}: something other than the run's own processes kept the machine busy ${s(b.besideMs)} of its ${s(b.machineMs)} cpu-s ` +
    `(${(b.share * 100).toFixed(1)}%, most between ${s(b.fromMs)} and ${s(b.toMs)} s into the run): kernel work, or another program on the machine; ` +
    `the real timings are not the run's alone (real/cpu.csv, and the cpu chart in report.html).`
  );
}
