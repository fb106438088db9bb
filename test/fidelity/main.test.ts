import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../../cli/usage-error.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { FIDELITY_COLUMNS, FIDELITY_METRICS } from '../../fidelity/compare.ts';
import { runFidelity } from '../../fidelity/main.ts';
import { FidelityInputError, type FidelityRecord } from '../../fidelity/record.ts';

const root = mkdtempSync(join(tmpdir(), 'actorsim-fidelity-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 4 actors of 4 MiB on 2 workers x 2 slots for 20 s, compressed 5x to 4 s
// per policy set; a short TTL so actors suspend and resume.
const TINY = `
name: tiny-fidelity
seed: 11
duration: 20s
cluster: {nodes: [{name: node-a, memory: 4Gi}, {name: node-b, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 4Mi, work: {kind: lognormal, median: 300ms, p99: 2s}}]
workload: [{template: t, actors: 4, arrivals: {kind: poisson, ratePerSec: 1.5}}]
costs: substrate-kind
policies:
  - {name: ttl-suspend, placement: p2c, idle: {kind: ttl, ttl: 3s, action: suspend}, admission: {parkTimeout: 30s}}
`;

// Numbers of the order of a local worker's, so both runs take similar paths.
const PROFILE = `name: tiny-local
workerStart: {kind: lognormal, median: 300ms, p99: 800ms}
coldBoot: {kind: constant, value: 20ms}
restore:
  external: {base: {kind: lognormal, median: 15ms, p99: 60ms}, bandwidth: 200Mi/s}
  local: {base: {kind: lognormal, median: 10ms, p99: 50ms}, bandwidth: 300Mi/s}
  golden: {base: {kind: lognormal, median: 20ms, p99: 80ms}, bandwidth: 200Mi/s}
checkpoint:
  external: {base: {kind: lognormal, median: 15ms, p99: 60ms}, bandwidth: 100Mi/s}
  local: {base: {kind: lognormal, median: 10ms, p99: 50ms}, bandwidth: 250Mi/s}
dispatch: {kind: lognormal, median: 3ms, p99: 15ms}
`;

function io(): { out: string[]; err: string[]; io: { out(t: string): void; err(t: string): void; isoNow(): string } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t), isoNow: () => '2025-01-02T03:04:05.000Z' } };
}

describe('npm run fidelity', () => {
  it('runs a tiny scenario simulated and on local workers and writes a complete table', async () => {
    writeFileSync(join(root, 'tiny.yaml'), TINY);
    writeFileSync(join(root, 'tiny-local.yaml'), PROFILE);
    const outDir = join(root, 'out');
    const t = io();
    const code = await runFidelity(['--scenario', join(root, 'tiny.yaml'), '--backend', 'local', '--profile', join(root, 'tiny-local.yaml'), '--speedup', '5', '--prime-golden', '1s', '--out', outDir], t.io);
    expect(code, t.err.join('')).toBe(0);
    for (const f of ['fidelity.csv', 'fidelity.md', 'report.html', 'fidelity-timeseries.csv', 'real/timeseries.csv', 'sim/summary.csv', 'real/summary.csv', 'real/measured.csv', 'inputs/workload.csv']) expect(existsSync(join(outDir, f)), f).toBe(true);
    const rows = parse(readFileSync(join(outDir, 'fidelity.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...FIDELITY_COLUMNS]);
    // Every metric present, once.
    expect(rows.map((r) => r.metric)).toEqual([...FIDELITY_METRICS.map((m) => m.column), 'resident_over_time', 'workers_over_time']);
    for (const r of rows) {
      expect(r.policy).toBe('ttl-suspend');
      // Both sides have a number for every metric here.
      expect(Number.isFinite(Number(r.sim)) && r.sim !== '', `${r.metric} sim`).toBe(true);
      expect(Number.isFinite(Number(r.real)) && r.real !== '', `${r.metric} real`).toBe(true);
      // An error wherever it is defined (real not 0, or both 0).
      if (Number(r.real) !== 0 || Number(r.sim) === 0) expect(Number.isFinite(Number(r.rel_error)) && r.rel_error !== '', `${r.metric} error`).toBe(true);
      if (r.target !== '' && r.rel_error !== '') expect(['yes', 'no']).toContain(r.met);
    }
    // The same trace both ways.
    const invocations = rows.find((r) => r.metric === 'invocations')!;
    expect(invocations.sim).toBe(invocations.real);
    expect(Number(invocations.real)).toBeGreaterThan(10);
    const md = readFileSync(join(outDir, 'fidelity.md'), 'utf8');
    expect(md).toContain('## ttl-suspend');
    expect(md).toContain('## Primitives');
    expect(md).toMatch(/\| ttl-suspend \| restore \| golden \|/);
    // report.html: the targets, one table per policy set carrying every row of fidelity.csv, and both charts.
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const targeted = rows.filter((r) => r.target !== '');
    expect(html).toContain(`${targeted.filter((r) => r.met === 'yes').length} of ${targeted.length}</p>`);
    const section = html.slice(html.indexOf('id="fidelity-ttl-suspend"'), html.indexOf('id="chart-fidelity-resident"'));
    expect(section.length).toBeGreaterThan(0);
    const trs = [...section.matchAll(/<tr data-metric="([^"]+)">(.*?)<\/tr>/g)];
    expect(trs.map((m) => m[1])).toEqual(rows.map((r) => r.metric));
    for (const [, metric, tr] of trs) {
      const r = rows.find((x) => x.metric === metric)!;
      // A flag exactly where fidelity.csv has one, and it says the same.
      if (r.met === 'yes') expect(tr, metric).toContain('badge-meets');
      else if (r.met === 'no') expect(tr, metric).toContain('badge-miss');
      else expect(tr, metric).not.toContain('badge');
      if (r.target !== '') expect(tr, metric).toContain(`±${Number(r.target) * 100}%`);
    }
    // The counts print as integers, so the row must show fidelity.csv's numbers.
    expect(trs.find((m) => m[1] === 'invocations')![2]).toContain(`<td>${invocations.sim}</td><td>${invocations.real}</td>`);
    for (const id of ['chart-fidelity-resident', 'chart-fidelity-cdf']) {
      const start = html.indexOf(`id="${id}"`);
      expect(start, id).toBeGreaterThan(0);
      expect(html.slice(start, html.indexOf('</section>', start)), id).toContain('<svg');
    }
    expect(html).not.toContain('<script');
    // Tens of invocations: the CDF's caption warns that p99 is the maximum.
    expect(html).toMatch(/With \d+ served invocations in a run, its p99 \(nearest rank\) is its maximum/);
    // fidelity-timeseries.csv: both runs on the same slots, from the priming gap (negative) to the span's end.
    const ts = parse(readFileSync(join(outDir, 'fidelity-timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(ts[0]!)).toEqual(['policy', 'time_ms', 'sim_workers', 'real_workers', 'sim_resident', 'real_resident']);
    expect(ts.length).toBeGreaterThan(15);
    expect(Number(ts[0]!.time_ms)).toBe(-5000);
    expect(Number(ts[ts.length - 1]!.time_ms)).toBeLessThanOrEqual(20_000);
    for (const r of ts) expect(Number.isInteger(Number(r.time_ms) / 1000), r.time_ms).toBe(true);
    // The priming actor published the golden snapshot before the span, in both runs.
    expect(md).toContain('`fidelity-prime-t` invoked once halfway into 1 s of wall time before the span');
    expect(readFileSync(join(outDir, 'inputs', 'workload.csv'), 'utf8').split('\n')[1]).toBe('fidelity-prime-t,2500,0,t');
    // fidelity.json: the resolved options (defaults filled in), which --against reads back.
    const record = JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord;
    expect(record.version).toBe(1);
    expect(record.options).toEqual({
      backend: 'local',
      k8s: record.options.k8s,
      scenarioFile: join(root, 'tiny.yaml'),
      seed: 11,
      speedup: 5,
      policies: null,
      startMs: 0,
      durationMs: null,
      warmupMs: null,
      exec: 'sleep',
      primeMs: 1000,
      sampleEveryMs: 1000,
      snapshotAsMemory: true,
    });
    expect(record.context.invocations).toBe(Number(invocations.real) - 1);
    expect(record.realRecordedAt).toBe('2025-01-02T03:04:05.000Z');
    // The drift probe ran before the real run: a short calibration at the snapshot size, set against the profile.
    expect(existsSync(join(outDir, 'drift', 'probe.yaml'))).toBe(true);
    const drift = record.context.drift!;
    expect(drift).toMatchObject({ file: join(outDir, 'drift', 'probe.yaml'), sizeMiB: 4, repeats: 3 });
    expect(drift.failed).toBeUndefined();
    expect(drift.rows.map((r) => `${r.primitive} ${r.source}`.trim())).toEqual(['worker-start', 'dispatch', 'restore golden', 'restore external', 'restore local', 'checkpoint external', 'checkpoint local']);
    for (const r of drift.rows) expect(r.ratio, r.primitive).toBeCloseTo(r.probeMs / r.profileMs, 9);
    expect(md).toContain('- Drift probe (a calibration of 3 repeats at 4 MiB');
    // Both halves wrote primitives.csv: fidelity.md and report.html show them one by one.
    for (const f of ['sim/primitives.csv', 'real/primitives.csv']) expect(existsSync(join(outDir, f)), f).toBe(true);
    expect(md).toContain('## Primitives one by one (primitives.csv)');
    expect(md).toMatch(/\| restore golden \| real \| \d+ \| 0 \|/);
    expect(html.slice(html.indexOf('id="chart-fidelity-primitives"'))).toContain('<svg');
    // The real run wrote its cpu second by second: report.html draws it.
    expect(existsSync(join(outDir, 'real', 'cpu.csv'))).toBe(true);
    const cpuChart = html.slice(html.indexOf('id="chart-fidelity-cpu"'));
    expect(html.indexOf('id="chart-fidelity-cpu"')).toBeGreaterThan(0);
    expect(cpuChart.slice(0, cpuChart.indexOf('</section>'))).toContain('<svg');
  });

  // The tests below compare against the folder of the run above (no second real run).
  const SLOW = PROFILE.replace('coldBoot: {kind: constant, value: 20ms}', 'coldBoot: {kind: constant, value: 900ms}').replace('dispatch: {kind: lognormal, median: 3ms, p99: 15ms}', 'dispatch: {kind: lognormal, median: 80ms, p99: 300ms}');
  const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();

  it('--against re-simulates with another profile and compares against the recorded real run', async () => {
    const recorded = join(root, 'out');
    writeFileSync(join(root, 'slow.yaml'), SLOW);
    const outDir = join(root, 'against-slow');
    const t = io();
    expect(await runFidelity(['--against', recorded, '--profile', join(root, 'slow.yaml'), '--out', outDir], t.io), t.err.join('')).toBe(0);
    // A complete folder, as a normal run writes.
    expect(files(outDir).filter((f) => !f.includes('/'))).toEqual(files(recorded).filter((f) => !f.includes('/')));
    // real/ and real.log: the recorded ones, byte for byte; the workload too.
    expect(files(join(outDir, 'real'))).toEqual(files(join(recorded, 'real')));
    for (const f of files(join(recorded, 'real'))) expect(readFileSync(join(outDir, 'real', f)).equals(readFileSync(join(recorded, 'real', f))), f).toBe(true);
    expect(readFileSync(join(outDir, 'real.log'), 'utf8')).toBe(readFileSync(join(recorded, 'real.log'), 'utf8'));
    expect(readFileSync(join(outDir, 'inputs', 'workload.csv'), 'utf8')).toBe(readFileSync(join(recorded, 'inputs', 'workload.csv'), 'utf8'));
    // A different profile, a different simulation: the real column stays, the sim column moves.
    expect(readFileSync(join(outDir, 'sim', 'summary.csv'), 'utf8')).not.toBe(readFileSync(join(recorded, 'sim', 'summary.csv'), 'utf8'));
    const rowsOf = (dir: string): Record<string, string>[] => parse(readFileSync(join(dir, 'fidelity.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const [now, then] = [rowsOf(outDir), rowsOf(recorded)];
    expect(now.map((r) => [r.metric, r.real])).toEqual(then.map((r) => [r.metric, r.real]));
    expect(Number(now.find((r) => r.metric === 'p50_ms')!.sim)).toBeGreaterThan(Number(then.find((r) => r.metric === 'p50_ms')!.sim));
    // The reports say where the real half comes from.
    expect(readFileSync(join(outDir, 'fidelity.md'), 'utf8')).toContain(`- Real run: recorded earlier (2025-01-02T03:04:05.000Z) in \`${recorded}\` and not re-run`);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header).toContain(`in <code>${recorded}</code> and not re-run`);
    expect(readFileSync(join(recorded, 'report.html'), 'utf8')).not.toContain('not re-run');
    // Its own record carries the same options and the real run's date, so it can be compared against in turn.
    const [a, b] = [outDir, recorded].map((d) => JSON.parse(readFileSync(join(d, 'fidelity.json'), 'utf8')) as FidelityRecord);
    expect(a!.options).toEqual(b!.options);
    expect(a!.realRecordedAt).toBe(b!.realRecordedAt);
    expect(a!.context.profile).toBe(join(root, 'slow.yaml'));
    // The recorded drift probe, read again against this profile: the same samples, another profile's p50 (dispatch 80 ms, not 3).
    const dispatch = (r: FidelityRecord) => r.context.drift!.rows.find((x) => x.primitive === 'dispatch')!;
    expect(dispatch(a!).probeMs).toBe(dispatch(b!).probeMs);
    expect(dispatch(a!).profileMs).toBeCloseTo(80, 9);
    expect(dispatch(b!).profileMs).toBeCloseTo(3, 9);
    expect(a!.context.loadAverage).toEqual(b!.context.loadAverage);
  });

  it('--against with a host model sets the real run\'s cpu against what that model charges for the real run\'s own primitives', async () => {
    // The recorded local run wrote its cpu second by second, and its totals in run.json.
    const cpu = parse(readFileSync(join(root, 'out', 'real', 'cpu.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(cpu.length).toBeGreaterThan(0);
    expect(cpu.every((r) => r.policy === 'ttl-suspend' && r.store_ms !== '' && r.workers_ms !== '')).toBe(true);
    writeFileSync(join(root, 'hosted.yaml'), `${PROFILE}contention: {scope: machine, host: {cpus: 2, restore: 1, checkpoint: 1, workerStart: 1}}\n`);
    const outDir = join(root, 'against-hosted');
    const t = io();
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'hosted.yaml'), '--out', outDir], t.io), t.err.join('')).toBe(0);
    const record = JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord & { context: { machineCost?: Record<string, { spentMs: number; chargedMs: number; ratio: number }> } };
    const cost = record.context.machineCost!['ttl-suspend']!;
    expect(cost.spentMs).toBeGreaterThan(0);
    expect(cost.chargedMs).toBeGreaterThan(0);
    expect(cost.ratio).toBeCloseTo(cost.spentMs / cost.chargedMs, 2);
    expect(readFileSync(join(outDir, 'fidelity.md'), 'utf8')).toContain(`for the real run's own primitives the host model charges ${(cost.chargedMs / 1000).toFixed(1)} cpu-s`);
    // Without a host model there is nothing to charge: no figure.
    const plain = JSON.parse(readFileSync(join(root, 'out', 'fidelity.json'), 'utf8')) as { context: { machineCost?: unknown } };
    expect(plain.context.machineCost).toBeUndefined();
  });

  it('--against with the same profile reproduces the recorded simulation', async () => {
    const outDir = join(root, 'against-same');
    const t = io();
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'tiny-local.yaml'), '--out', outDir], t.io), t.err.join('')).toBe(0);
    expect(readFileSync(join(outDir, 'fidelity.csv'), 'utf8')).toBe(readFileSync(join(root, 'out', 'fidelity.csv'), 'utf8'));
  });

  it('--sim-seeds simulates the same workload with the next seeds and says how many meet each targeted cell', async () => {
    const outDir = join(root, 'against-seeds');
    const t = io();
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'tiny-local.yaml'), '--sim-seeds', '2', '--out', outDir], t.io), t.err.join('')).toBe(0);
    // The run's own seed is the table it always was; the next two have their own simulations.
    expect(readFileSync(join(outDir, 'fidelity.csv'), 'utf8')).toBe(readFileSync(join(root, 'out', 'fidelity.csv'), 'utf8'));
    const seed = (JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord).options.seed;
    expect(readdirSync(join(outDir, 'seeds')).sort()).toEqual([String(seed + 1), String(seed + 2)].sort());
    for (const s of [seed + 1, seed + 2]) expect(existsSync(join(outDir, 'seeds', String(s), 'summary.csv')), String(s)).toBe(true);
    // Another seed draws other costs: the same workload, another simulation.
    expect(readFileSync(join(outDir, 'seeds', String(seed + 1), 'invocations.csv'), 'utf8')).not.toBe(readFileSync(join(outDir, 'sim', 'invocations.csv'), 'utf8'));
    // fidelity-seeds.csv: every seed's targeted cells, the run's own as fidelity.csv has them.
    const own = (parse(readFileSync(join(outDir, 'fidelity.csv'), 'utf8'), { columns: true }) as Record<string, string>[]).filter((r) => r.target !== '');
    const swept = parse(readFileSync(join(outDir, 'fidelity-seeds.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(swept.length).toBe(3 * own.length);
    expect(swept.filter((r) => r.seed === String(seed)).map((r) => [r.metric, r.sim, r.real, r.met])).toEqual(own.map((r) => [r.metric, r.sim, r.real, r.met]));
    const metBy = (s: number): number => swept.filter((r) => r.seed === String(s) && r.met === 'yes').length;
    const record = JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord;
    expect(record.context.simSeeds).toEqual({ seeds: [seed, seed + 1, seed + 2], met: { 'ttl-suspend': [metBy(seed), metBy(seed + 1), metBy(seed + 2)] }, targeted: { 'ttl-suspend': own.length } });
    expect(readFileSync(join(outDir, 'fidelity.md'), 'utf8')).toContain('## The simulation over 3 seeds');
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('id="fidelity-seeds"'), html.indexOf('</section>', html.indexOf('id="fidelity-seeds"')));
    expect(section).toContain('The simulation over 3 seeds');
    expect(section).toContain(`ttl-suspend</span>: ${metBy(seed)}, ${metBy(seed + 1)}, ${metBy(seed + 2)} of ${own.length} cells within target`);
    expect((section.match(/<tr data-metric=/g) ?? []).length).toBe(own.length);
    // Without the flag the report has no such section.
    expect(readFileSync(join(root, 'out', 'report.html'), 'utf8')).not.toContain('id="fidelity-seeds"');
    expect(t.out.join('')).toContain(`Over 3 seeds of the simulation (${seed}-${seed + 2}, the same workload): ttl-suspend met`);
    // Compared again into the same folder without the flag: no sweep of the earlier run is left beside it.
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'tiny-local.yaml'), '--out', outDir], io().io)).toBe(0);
    expect(existsSync(join(outDir, 'seeds'))).toBe(false);
    expect(existsSync(join(outDir, 'fidelity-seeds.csv'))).toBe(false);
    // A count it cannot take is a usage error before anything runs.
    for (const bad of ['-1', 'two', '201']) {
      await expect(runFidelity(['--against', join(root, 'out'), '--sim-seeds', bad, '--out', join(root, 'bad-seeds')], io().io), bad).rejects.toThrow(/--sim-seeds/);
    }
    expect(existsSync(join(root, 'bad-seeds'))).toBe(false);
  });

  it('--costs-band simulates the run again at other machine speeds and says whether each real figure lies within their range', async () => {
    const outDir = join(root, 'against-band');
    const t = io();
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'tiny-local.yaml'), '--costs-band', '1.5,0.5', '--out', outDir], t.io), t.err.join('')).toBe(0);
    // The run's own table is the one it always was; each factor has its own simulation, the same seed.
    expect(readFileSync(join(outDir, 'fidelity.csv'), 'utf8')).toBe(readFileSync(join(root, 'out', 'fidelity.csv'), 'utf8'));
    expect(readdirSync(join(outDir, 'band')).sort()).toEqual(['0.5', '1.5']);
    const runJson = (f: string): { costsScale?: number; seed: number } => JSON.parse(readFileSync(join(outDir, 'band', f, 'run.json'), 'utf8')) as { costsScale?: number; seed: number };
    const record = JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord;
    expect([runJson('0.5').costsScale, runJson('1.5').costsScale]).toEqual([0.5, 1.5]);
    expect(runJson('1.5').seed).toBe(record.options.seed);
    const band = record.context.costsBand!;
    expect(band.factors).toEqual([0.5, 1, 1.5]);
    const own = (parse(readFileSync(join(outDir, 'fidelity.csv'), 'utf8'), { columns: true }) as Record<string, string>[]).filter((r) => r.target !== '');
    expect(band.cells.map((c) => c.metric)).toEqual(own.map((r) => r.metric));
    // The middle figure is the run's own simulation; a slower machine takes longer to restore.
    for (const c of band.cells) {
      const sim = own.find((r) => r.metric === c.metric)!.sim;
      // JSON keeps a missing figure as null.
      if (sim === '') expect(c.sims[1], c.metric).toBeNull();
      else expect(c.sims[1], c.metric).toBeCloseTo(Number(sim), 2);
    }
    const p50 = band.cells.find((c) => c.metric === 'p50_ms')!;
    expect(p50.sims[2]!).toBeGreaterThan(p50.sims[0]!);
    for (const c of band.cells) {
      const finite = c.sims.filter((x) => Number.isFinite(x));
      expect(c.inside, c.metric).toBe(finite.length > 0 && c.real >= Math.min(...finite) && c.real <= Math.max(...finite));
    }
    expect(readFileSync(join(outDir, 'fidelity.md'), 'utf8')).toContain('## The simulation over a band of machine speeds');
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('id="fidelity-band"'), html.indexOf('</section>', html.indexOf('id="fidelity-band"')));
    expect(section).toContain('<th scope="col">simulated at <span class="factor">0.5x</span></th><th scope="col">simulated at <span class="factor">1x</span></th>');
    expect((section.match(/<tr data-metric=/g) ?? []).length).toBe(own.length);
    expect(t.out.join('')).toMatch(/Over machine speeds 0\.5x, 1x, 1\.5x \(--costs-band\): ttl-suspend's real figure lies within the simulated range in \d+ of \d+ targeted cells/);
    // Again without the flag: no band of the earlier run is left beside it.
    expect(await runFidelity(['--against', join(root, 'out'), '--profile', join(root, 'tiny-local.yaml'), '--out', outDir], io().io)).toBe(0);
    expect(existsSync(join(outDir, 'band'))).toBe(false);
    expect(readFileSync(join(outDir, 'report.html'), 'utf8')).not.toContain('id="fidelity-band"');
    expect((JSON.parse(readFileSync(join(outDir, 'fidelity.json'), 'utf8')) as FidelityRecord).context.costsBand).toBeUndefined();
    for (const bad of ['1', '0.8,0.8', 'fast', '0', '200', '0.8,']) {
      await expect(runFidelity(['--against', join(root, 'out'), '--costs-band', bad, '--out', join(root, 'bad-band')], io().io), bad).rejects.toThrow(/--costs-band/);
    }
    expect(existsSync(join(root, 'bad-band'))).toBe(false);
  });

  it('--against refuses flags that would change the comparison, with a usage error naming them', async () => {
    const outDir = join(root, 'refused');
    const run = (...flags: string[]) => runFidelity(['--against', join(root, 'out'), ...flags, '--out', outDir], io().io);
    await expect(run('--seed', '3', '--speedup', '2')).rejects.toThrow(/--against: --seed, --speedup cannot be given/);
    for (const flags of [['--scenario', join(root, 'tiny.yaml')], ['--sample-every', '2s'], ['--keep-snapshot-size'], ['--policies', 'ttl-suspend'], ['--backend', 'local'], ['--prime-golden', '0']]) {
      await expect(run(...flags), flags[0]).rejects.toBeInstanceOf(UsageError);
    }
    await expect(runFidelity(['--against', join(root, 'out'), '--out', join(root, 'out')], io().io)).rejects.toThrow(/--out: must not be the --against folder/);
    expect(existsSync(outDir)).toBe(false);
  });

  it('--against a folder it cannot compare against: exit-1 error naming the file, nothing written', async () => {
    const outDir = join(root, 'never');
    const variant = (name: string, edit: (dir: string) => void): string => {
      const dir = join(root, name);
      cpSync(join(root, 'out'), dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const cases: [string, RegExp][] = [
      [variant('old', (d) => rmSync(join(d, 'fidelity.json'))), /old\/fidelity\.json does not exist/],
      [variant('no-summary', (d) => rmSync(join(d, 'real', 'summary.csv'))), /no-summary\/real\/summary\.csv does not exist/],
      [variant('partial', (d) => writeFileSync(join(d, 'real', 'run.json'), JSON.stringify({ partial: true }))), /partial\/real\/run\.json: the real run is partial/],
      [variant('garbled', (d) => writeFileSync(join(d, 'fidelity.json'), '{"version": 1, "options": {}}')), /garbled\/fidelity\.json: realRecordedAt/],
      [join(root, 'nowhere'), /nowhere\/fidelity\.json does not exist/],
    ];
    // The scenario file edited since the run: the regenerated workload differs.
    writeFileSync(join(root, 'tiny-edited.yaml'), TINY.replace('ratePerSec: 1.5', 'ratePerSec: 1.6'));
    cases.push([
      variant('edited', (d) => {
        const r = JSON.parse(readFileSync(join(d, 'fidelity.json'), 'utf8')) as FidelityRecord;
        writeFileSync(join(d, 'fidelity.json'), JSON.stringify({ ...r, options: { ...r.options, scenarioFile: join(root, 'tiny-edited.yaml') } }));
      }),
      /tiny-edited\.yaml with seed 11 differs from .*edited\/inputs\/workload\.csv: the scenario file .*changed/,
    ]);
    for (const [dir, message] of cases) {
      const err = await runFidelity(['--against', dir, '--profile', join(root, 'tiny-local.yaml'), '--out', outDir], io().io).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, dir).toBeInstanceOf(FidelityInputError);
      expect((err as Error).message, dir).toMatch(message);
      expect(existsSync(outDir), dir).toBe(false);
      expect(readdirSync(root).filter((f) => f.startsWith('.never')), dir).toEqual([]);
    }
  });

  it('--spread compares recorded real runs with each other, one standing for the simulation, and writes nothing', async () => {
    // A second "real run" of the same inputs: the recorded one, its worker-seconds doubled, recorded at another time.
    const repeat = join(root, 'repeat');
    cpSync(join(root, 'out'), repeat, { recursive: true });
    const record = JSON.parse(readFileSync(join(repeat, 'fidelity.json'), 'utf8')) as FidelityRecord;
    writeFileSync(join(repeat, 'fidelity.json'), JSON.stringify({ ...record, realRecordedAt: '2030-01-01T00:00:00.000Z' }));
    const summary = parse(readFileSync(join(repeat, 'real', 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const header = Object.keys(summary[0]!);
    const doubled = summary.map((r) => ({ ...r, worker_seconds: String(2 * Number(r.worker_seconds)) }));
    writeFileSync(join(repeat, 'real', 'summary.csv'), stringify(doubled, { header: true, columns: header }));
    const before = readdirSync(root).sort();
    const t = io();
    expect(await runFidelity(['--spread', `${join(root, 'out')},${repeat}`], t.io)).toBe(0);
    const text = t.out.join('');
    const targeted = FIDELITY_METRICS.filter((m) => m.target !== undefined).length;
    // Both ordered pairs; everything but worker-seconds is the same run, so only it misses, both ways.
    expect(text).toContain(`out as the simulation, ${repeat} as the real run: ${targeted - 1} of ${targeted} targeted cells within target`);
    expect(text).toContain(`repeat as the simulation, ${join(root, 'out')} as the real run: ${targeted - 1} of ${targeted}`);
    expect(text.match(/worker_seconds: .* MISS/g)).toHaveLength(2);
    expect(text).toMatch(/ttl-suspend worker_seconds: 0 of 2/);
    expect(text).toContain(`meet ${targeted - 1} to ${targeted - 1} of ${targeted} targeted cells against each other`);
    expect(readdirSync(root).sort()).toEqual(before);
    // Not repeats, or the same run twice, or one run: exit 2 naming the folder and what differs.
    const edited = (name: string, edit: (r: FidelityRecord) => FidelityRecord): string => {
      const dir = join(root, name);
      cpSync(repeat, dir, { recursive: true });
      writeFileSync(join(dir, 'fidelity.json'), JSON.stringify(edit(JSON.parse(readFileSync(join(dir, 'fidelity.json'), 'utf8')) as FidelityRecord)));
      return dir;
    };
    const otherSeed = edited('other-seed', (r) => ({ ...r, realRecordedAt: '2031-01-01T00:00:00.000Z', options: { ...r.options, seed: 12 } }));
    await expect(runFidelity(['--spread', `${join(root, 'out')},${otherSeed}`], io().io)).rejects.toThrow(/other-seed is not a repeat of .*out: seed 12 against 11/);
    await expect(runFidelity(['--spread', `${join(root, 'out')},${join(root, 'against-same')}`], io().io)).rejects.toThrow(/hold the same real run/);
    await expect(runFidelity(['--spread', join(root, 'out')], io().io)).rejects.toThrow(/at least two/);
    await expect(runFidelity(['--spread', `${join(root, 'out')},${join(root, 'nowhere')}`], io().io)).rejects.toThrow(/--spread: .*nowhere\/fidelity\.json does not exist/);
    await expect(runFidelity(['--spread', `${join(root, 'out')},${repeat}`, '--seed', '3'], io().io)).rejects.toBeInstanceOf(UsageError);
  });

  it('exits 1 when a run fails; refuses a bad profile and a missing scenario (k8s flags: fidelity-k8s.test.ts)', async () => {
    writeFileSync(join(root, 'tiny2.yaml'), TINY);
    // The simulation refuses its report folder (sim/ holds a foreign file): it fails, so the command does.
    const outDir = join(root, 'blocked');
    mkdirSync(join(outDir, 'sim'), { recursive: true });
    writeFileSync(join(outDir, 'sim', 'notes.txt'), 'in the way');
    const t = io();
    expect(await runFidelity(['--scenario', join(root, 'tiny2.yaml'), '--profile', join(root, 'tiny-local.yaml'), '--speedup', '5', '--out', outDir], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/the simulation failed/);
    expect(existsSync(join(outDir, 'fidelity.csv'))).toBe(false);
    writeFileSync(join(root, 'bad.yaml'), PROFILE.replace('bandwidth: 200Mi/s', 'bandwidth: fast'));
    await expect(runFidelity(['--scenario', join(root, 'tiny2.yaml'), '--profile', join(root, 'bad.yaml'), '--speedup', '5', '--out', join(root, 'bad-out')], io().io)).rejects.toThrow(/bandwidth/);
    await expect(runFidelity(['--scenario', join(root, 'tiny2.yaml'), '--backend', 'nomad'], io().io)).rejects.toBeInstanceOf(UsageError);
    await expect(runFidelity(['--backend', 'local'], io().io)).rejects.toThrow(/--scenario is required/);
  });
});
