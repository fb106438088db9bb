import { describe, expect, it } from 'vitest';
import { DRIFT_BAND, driftLine, driftNote, driftOutside, driftRows, type Drift } from '../../fidelity/drift.ts';
import type { CalibrationSamples } from '../../real/primitives.ts';
import type { CostModel } from '../../scenarios/scenario.ts';

const c = (valueMs: number) => ({ kind: 'constant' as const, valueMs });
// Every transfer: 10 ms + size at 256 MiB/s, so 1,010 ms at 256 MiB.
const sized = { base: c(10), mibPerSec: 256 };
const COSTS: CostModel = {
  name: 'test',
  source: 'test',
  workerStart: c(80),
  coldBoot: c(40),
  restore: { local: sized, external: sized, golden: sized },
  checkpoint: { local: sized, external: { base: c(10), mibPerSec: 128 } },
  dispatch: c(2),
};

const at = (sizeMiB: number, ...ms: number[]) => ms.map((x) => ({ sizeMiB, ms: x }));

const SAMPLES: CalibrationSamples = {
  workerStartMs: [80, 100, 90],
  // Only the probe's size counts: the 16 MiB samples are another size's.
  dispatch: [...at(256, 2, 2, 3), ...at(16, 50)],
  restore: { golden: at(256, 2020, 2000, 1500), external: at(256, 1010, 1000, 1020, 990), local: [], cold: at(256, 40) },
  goldenFirst: at(256, 3000),
  checkpoint: { local: at(256, 900, 800, 1000), external: at(256, 2010, 2000, 2020) },
};

describe('drift probe against the profile', () => {
  it('sets each primitive\'s median at the probe\'s size against the profile\'s p50 there', () => {
    const rows = driftRows(SAMPLES, COSTS, 256);
    const by = (p: string, s = '') => rows.find((r) => r.primitive === p && r.source === s)!;
    expect(by('worker-start')).toMatchObject({ samples: 3, probeMs: 90, profileMs: 80 });
    expect(by('worker-start').ratio).toBeCloseTo(90 / 80, 12);
    expect(by('dispatch')).toMatchObject({ samples: 3, probeMs: 2, ratio: 1 });
    // Median of three: 2,000 against 1,010.
    expect(by('restore', 'golden').ratio).toBeCloseTo(2000 / 1010, 12);
    // Median of four: the mean of the middle two.
    expect(by('restore', 'external')).toMatchObject({ probeMs: 1005, profileMs: 1010 });
    expect(by('checkpoint', 'external')).toMatchObject({ probeMs: 2010, profileMs: 2010, ratio: 1 });
    expect(by('checkpoint', 'local').ratio).toBeCloseTo(900 / 1010, 12);
    // No sample, no row: the probe never restored from the node here; cold boots are not compared.
    expect(rows.map((r) => `${r.primitive} ${r.source}`.trim())).toEqual(['worker-start', 'dispatch', 'restore golden', 'restore external', 'checkpoint external', 'checkpoint local']);
  });

  it('flags the transfers outside the band as a stale profile, and says so in one line', () => {
    const d: Drift = { file: '/x/drift/probe.yaml', sizeMiB: 256, repeats: 3, rows: driftRows(SAMPLES, COSTS, 256) };
    // Golden restores at 1.98x; the worker start (1.13x) and dispatch are not transfers, and checkpoint local 0.89x is inside.
    expect(driftOutside(d).map((r) => `${r.primitive} ${r.source}`)).toEqual(['restore golden']);
    expect(driftNote(d)).toMatch(/^Stale profile: just before the real run, restore golden 1\.98x the profile's time alone \(outside 0\.8-1\.25x\): this machine is slower than when/);
    // The other way: a machine faster than when the profile was measured.
    const quick: Drift = { ...d, rows: d.rows.map((r) => (r.source === 'golden' ? { ...r, ratio: 0.5 } : r)) };
    expect(driftNote(quick)).toContain('restore golden 0.50x the profile\'s time alone (outside 0.8-1.25x): this machine is faster than when');
    expect(driftLine(d)).toContain('restore golden 1.98x (2.00 s against 1.01 s)');
    const fresh: Drift = { ...d, rows: d.rows.filter((r) => r.source !== 'golden') };
    expect(driftNote(fresh)).toBeUndefined();
    expect(DRIFT_BAND[0]).toBeLessThan(1);
    expect(DRIFT_BAND[1]).toBeGreaterThan(1);
  });

  it('says a failed probe failed, and flags nothing', () => {
    const d: Drift = { file: '/x/drift/probe.yaml', sizeMiB: 256, repeats: 3, rows: [], failed: 'exit 1: no cluster' };
    expect(driftLine(d)).toBe("Drift probe: failed (exit 1: no cluster); the profile's age is unknown");
    expect(driftNote(d)).toBeUndefined();
  });
});
