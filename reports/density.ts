import type { ClusterNode } from '../scenarios/scenario.ts';
import type { MeasuredInput } from './measured.ts';
import { DENSITY_COLUMNS, type ReportedRun, type SummaryRow } from './summary.ts';

// summary.ts's rounding (summary.ts lists this file's columns, DENSITY_COLUMNS).
const ms = (x: number): number => Math.round(x * 1000) / 1000;


const per = (a: number, b: number): number | string => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? ms(a / b) : '');

/**
 * The density cells of one run's summary row, from its totals and the
 * cluster; `memory` (a real run's samples of each worker's resident set and
 * resident actors) fills the measured columns, which are empty otherwise.
 */
export function densityCells(row: SummaryRow, run: Pick<ReportedRun, 'endMs' | 'warmupMs'>, nodes: readonly ClusterNode[] | undefined, memory?: MeasuredInput['memory']): Record<(typeof DENSITY_COLUMNS)[number], number | string> {
  const peak = Number(row.peak_resident);
  const mean = Number(row.mean_resident);
  const measuredS = (run.endMs - run.warmupMs) / 1000;
  const meanWorkers = measuredS > 0 ? Number(row.worker_seconds) / measuredS : Number.NaN;
  const n = nodes?.length ?? 0;
  const cpus = nodes !== undefined && nodes.length > 0 && nodes.every((x) => x.cpuMilli !== undefined) ? nodes.reduce((s, x) => s + x.cpuMilli!, 0) / 1000 : 0;
  const gib = (nodes ?? []).reduce((s, x) => s + x.memoryMiB, 0) / 1024;
  let peakMeasured = Number.NaN;
  let meanMeasured = Number.NaN;
  if (memory !== undefined && memory.length > 0) {
    let sum = 0;
    let count = 0;
    let best = 0;
    for (const s of memory) {
      const rssGib = s.workers.reduce((t, w) => t + w.rssBytes, 0) / 2 ** 30;
      const active = s.workers.reduce((t, w) => t + w.resident, 0);
      if (rssGib <= 0) continue;
      const d = active / rssGib;
      sum += d;
      count += 1;
      if (d > best) best = d;
    }
    if (count > 0) {
      peakMeasured = best;
      meanMeasured = sum / count;
    }
  }
  return {
    nodes: n === 0 ? '' : n,
    node_vcpus: cpus > 0 ? ms(cpus) : '',
    node_gib: gib > 0 ? ms(gib) : '',
    peak_active_per_node: per(peak, n),
    mean_active_per_node: per(mean, n),
    peak_active_per_vcpu: per(peak, cpus),
    mean_active_per_vcpu: per(mean, cpus),
    peak_active_per_gib: per(peak, gib),
    mean_active_per_gib: per(mean, gib),
    peak_actors_per_pod: per(peak, Number(row.peak_workers)),
    mean_actors_per_pod: per(mean, meanWorkers),
    peak_active_per_measured_gib: Number.isFinite(peakMeasured) ? ms(peakMeasured) : '',
    mean_active_per_measured_gib: Number.isFinite(meanMeasured) ? ms(meanMeasured) : '',
  };
}

/** The density table of summary.md and report.html: a head, a tooltip and the peak and mean cells it shows as "peak / mean". */
export const DENSITY_TABLE: readonly { readonly head: string; readonly title: string; readonly peak: keyof SummaryRow; readonly mean: keyof SummaryRow }[] = [
  { head: 'actors per node', title: 'active (resident) actors per node of the cluster', peak: 'peak_active_per_node', mean: 'mean_active_per_node' },
  { head: 'per vCPU', title: 'active actors per vCPU of the nodes', peak: 'peak_active_per_vcpu', mean: 'mean_active_per_vcpu' },
  { head: 'per GiB', title: 'active actors per GiB of node memory', peak: 'peak_active_per_gib', mean: 'mean_active_per_gib' },
  { head: 'actors per pod', title: 'actor-to-pod ratio: active actors per worker pod', peak: 'peak_actors_per_pod', mean: 'mean_actors_per_pod' },
  { head: 'per measured GiB', title: 'active actors per GiB of worker memory as measured (real runs)', peak: 'peak_active_per_measured_gib', mean: 'mean_active_per_measured_gib' },
];

/** What the density table shows, for both reports. */
export const DENSITY_CAPTION =
  'Density as Agent Substrate judges it, each cell peak / mean: active (resident) actors per node, per vCPU and per GiB of the scenario’s nodes, and the actor-to-pod ratio (active actors per worker pod); per measured GiB only for real runs. Mean is over the measured time, after warm-up.';

/** The columns of DENSITY_TABLE that have a value in some row (vCPU needs every node's cpu; measured GiB a real run). */
export function densityShown(rows: readonly SummaryRow[]): typeof DENSITY_TABLE {
  const has = (v: unknown): boolean => v !== undefined && v !== '' && Number.isFinite(Number(v));
  return DENSITY_TABLE.filter((c) => rows.some((r) => has(r[c.peak]) || has(r[c.mean])));
}
