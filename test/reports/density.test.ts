import { describe, expect, it } from 'vitest';
import { densityCells } from '../../reports/density.ts';
import type { SummaryRow } from '../../reports/summary.ts';

const row = { peak_resident: 40, mean_resident: 10, peak_workers: 20, worker_seconds: 3600 * 5 } as unknown as SummaryRow;
const run = { endMs: 3_600_000, warmupMs: 0 };

describe('densityCells', () => {
  it('divides peak and mean active actors by nodes, vCPUs, GiB of node memory and worker pods', () => {
    const nodes = [
      { name: 'a', memoryMiB: 8192, cpuMilli: 4000 },
      { name: 'b', memoryMiB: 8192, cpuMilli: 4000 },
    ];
    expect(densityCells(row, run, nodes)).toEqual({
      nodes: 2,
      node_vcpus: 8,
      node_gib: 16,
      peak_active_per_node: 20,
      mean_active_per_node: 5,
      peak_active_per_vcpu: 5,
      mean_active_per_vcpu: 1.25,
      peak_active_per_gib: 2.5,
      mean_active_per_gib: 0.625,
      peak_actors_per_pod: 2,
      // 5 workers on average over the hour.
      mean_actors_per_pod: 2,
      peak_active_per_measured_gib: '',
      mean_active_per_measured_gib: '',
    });
  });

  it('leaves vCPU columns empty unless every node declares cpu, and fills measured ones from memory samples', () => {
    const d = densityCells(row, run, [{ name: 'a', memoryMiB: 1024 }], [
      { atMs: 0, workers: [{ rssBytes: 2 ** 30, resident: 4 }] },
      { atMs: 1, workers: [{ rssBytes: 2 ** 30, resident: 2 }, { rssBytes: 2 ** 30, resident: 0 }] },
    ]);
    expect([d.node_vcpus, d.peak_active_per_vcpu, d.peak_active_per_measured_gib, d.mean_active_per_measured_gib]).toEqual(['', '', 4, 2.5]);
  });
});
