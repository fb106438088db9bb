import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCalibrate } from '../../fidelity/calibrate/main.ts';
import { busyDuringWarning, busyWarning, HostWatch, hostLoadLine, parseProcStat, stealShare, type HostProbe } from '../../fidelity/host-load.ts';
import { runFidelity } from '../../fidelity/main.ts';

const root = mkdtempSync(join(tmpdir(), 'actorsim-host-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** /proc/stat with the aggregate line's user, idle and steal ticks as given. */
const stat = (user: number, idle: number, steal: number): string => `cpu  ${user} 0 0 ${idle} 0 0 0 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n`;

/** A fake machine whose readings come from lists, one per call (the last repeats). */
function fake(loads: number[], stats: (string | null)[], cpus = 2): HostProbe {
  let l = 0;
  let s = 0;
  return { cpus, loadavg: () => [loads[Math.min(l++, loads.length - 1)]!, 0, 0], procStat: () => stats[Math.min(s++, stats.length - 1)]! };
}

function io(): { err: string[]; io: { out(t: string): void; err(t: string): void; isoNow(): string } } {
  const err: string[] = [];
  return { err, io: { out: () => {}, err: (t) => err.push(t), isoNow: () => '2025-01-02T03:04:05.000Z' } };
}

describe('/proc/stat', () => {
  it('reads the aggregate cpu line and the steal share of a delta', () => {
    const a = parseProcStat(stat(100, 800, 100));
    expect(a).toEqual({ total: 1000, steal: 100 });
    const b = parseProcStat(stat(150, 1200, 150));
    expect(stealShare(a, b)).toBeCloseTo(50 / 500, 12);
    expect(stealShare(a, a)).toBeNaN();
    expect(stealShare(null, b)).toBeNaN();
    expect(parseProcStat('intr 1\n')).toBeNull();
    expect(parseProcStat('cpu  1 x 3 4\n')).toBeNull();
  });
});

describe('HostWatch', () => {
  it('records the load and steal before and during, and warns above cores x max-load', () => {
    expect(busyWarning(0.9, 2, 0.5)).toBeUndefined();
    expect(busyWarning(1.5, 2, 0.5)).toMatch(/busy before the start: load average 1\.50 on 2 cpus, above 1\.00/);
    expect(busyDuringWarning(1.0, 2, 0.5)).toBeUndefined();
    const w = new HostWatch(fake([0.4, 0.4, 3.2, 0.5, 0.6], [stat(0, 1000, 0), stat(0, 1900, 100), stat(0, 2800, 100), stat(0, 3800, 100)]), 0.5, 60_000);
    expect(w.before()).toBeUndefined();
    w.start(() => 0);
    w.sample(5000);
    const h = w.end(10_000);
    expect(h.before).toEqual({ loadAverage: [0.4, 0, 0], steal: 0.1 });
    expect(h.during.samples.map((s) => s.atMs)).toEqual([5000, 10_000]);
    expect(h.during.maxLoad1).toBe(3.2);
    expect(h.during.samples[0]!.steal).toBe(0);
    expect(h.during.steal).toBe(0);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toMatch(/reached 3\.20 during the run on 2 cpus, above 1\.00 .*the run's own processes count in it/);
    expect(hostLoadLine(h)).toMatch(/load average 0\.40 before, at most 3\.20 during.*CPU steal 10\.0% before, 0\.0% during/);
  });

  it('says n/a for steal where there is no /proc/stat', () => {
    const w = new HostWatch(fake([0.1], [null]));
    w.before();
    w.start(() => 0);
    expect(hostLoadLine(w.end(1))).toMatch(/CPU steal n\/a before, n\/a during/);
  });
});

describe('a busy machine', () => {
  const scenario = join(root, 's.yaml');
  writeFileSync(
    scenario,
    `name: s
duration: 10s
cluster: {nodes: [{name: n, memory: 1Gi}]}
pools: [{name: p, worker: {memory: 128Mi}}]
templates: [{name: t, pool: p, memory: 16Mi, work: {kind: constant, value: 1s}}]
workload: [{template: t, actors: 1, arrivals: {kind: poisson, ratePerSec: 1}}]
policies: [{name: only}]
`,
  );
  const busy = fake([7.5], [stat(0, 100, 0)]);

  it('fidelity --refuse-busy refuses before running or writing anything (exit 1)', async () => {
    const out = join(root, 'fid');
    const t = io();
    expect(await runFidelity(['--scenario', scenario, '--profile', 'substrate-kind', '--refuse-busy', '--out', out], t.io, busy)).toBe(1);
    expect(t.err.join('')).toMatch(/refusing: the machine is busy before the start: load average 7\.50 on 2 cpus/);
    expect(existsSync(out)).toBe(false);
  });

  it('calibrate --refuse-busy refuses before measuring or writing anything (exit 1); --max-load is checked', async () => {
    const out = join(root, 'cal.yaml');
    const t = io();
    expect(await runCalibrate(['--refuse-busy', '--out', out], t.io, {}, busy)).toBe(1);
    expect(t.err.join('')).toMatch(/calibrate: refusing: the machine is busy/);
    expect(existsSync(out)).toBe(false);
    await expect(runCalibrate(['--max-load', '-1', '--out', out], io().io)).rejects.toThrow(/--max-load/);
    await expect(runFidelity(['--scenario', scenario, '--max-load', 'x'], io().io)).rejects.toThrow(/--max-load/);
  });
});
