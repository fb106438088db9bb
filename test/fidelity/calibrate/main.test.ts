import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/usage-error.ts';
import { partialSamplesPathFor, probeScenario, runCalibrate, samplesPathFor } from '../../../fidelity/calibrate/main.ts';
import { measure } from '../../../real/primitives.ts';
import type { HostProbe } from '../../../fidelity/host-load.ts';
import { RecordingRuntime, failMixedBatchOf4 } from '../../real/recording-runtime.ts';
import { loadScenarioFile } from '../../../scenarios/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'actorsim-calibrate-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): { out: string[]; err: string[]; io: { out(t: string): void; err(t: string): void; isoNow(): string } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t), isoNow: () => '2025-01-02T03:04:05.000Z' } };
}

describe('npm run calibrate', () => {
  it('measures a tiny grid on local workers and writes a profile a scenario loads by path', async () => {
    const out = join(dir, 'profiles', 'tiny-calibrated.yaml');
    const t = io();
    expect(await runCalibrate(['--backend', 'local', '--sizes', '4Mi,8Mi', '--repeats', '2', '--concurrency', '1,2', '--out', out], t.io)).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^name: tiny-calibrated$/m);
    expect(text).toMatch(/machine: .+, \d+ cpus/);
    expect(text).toContain('2025-01-02T03:04:05.000Z');
    // Loadable as `costs: <path>`, relative to the scenario.
    const scenario = join(dir, 'uses-profile.yaml');
    writeFileSync(scenario, probeScenario('profiles/tiny-calibrated.yaml'));
    const costs = loadScenarioFile(scenario).costs;
    expect(costs.name).toBe('tiny-calibrated');
    for (const c of [costs.restore.local, costs.restore.external, costs.restore.golden, costs.checkpoint.local, costs.checkpoint.external]) {
      expect(c.mibPerSec).toBeGreaterThan(0);
      expect(c.base.kind).toBe('lognormal');
    }
    expect(costs.workerStart.kind).toBe('lognormal');
    expect(costs.dispatch.kind).toBe('lognormal');
    // Raw samples beside it: 2 repeats x 2 sizes of each restore source, 3 local checkpoints per round.
    const samplesFile = samplesPathFor(out);
    expect(existsSync(samplesFile)).toBe(true);
    const raw = JSON.parse(readFileSync(samplesFile, 'utf8')) as { samples: { workerStartMs: number[]; restore: Record<string, { sizeMiB: number; ms: number }[]>; checkpoint: Record<string, unknown[]>; dispatch: unknown[]; goldenFirst: unknown[]; concurrency: { k: number; primitive: string; source: string; sizeMiB: number; ms: number[] }[] } };
    expect(raw.samples.workerStartMs).toHaveLength(2);
    for (const src of ['local', 'external', 'golden', 'cold']) {
      expect(raw.samples.restore[src]).toHaveLength(4);
      for (const s of raw.samples.restore[src]!) expect(s.ms).toBeGreaterThan(0);
    }
    expect(raw.samples.checkpoint.local).toHaveLength(12);
    expect(raw.samples.checkpoint.external).toHaveLength(4);
    expect(raw.samples.dispatch).toHaveLength(20);
    expect(raw.samples.goldenFirst).toHaveLength(2);
    // Cpu time of the store and the workers around each one-at-a-time transfer (Linux /proc): golden,
    // local and external restores, local and external checkpoints, per repeat and size.
    const cpu = (raw.samples as unknown as { cpu?: { primitive: string; source: string; k: number; storeMs: number | null; workersMs: number | null }[] }).cpu;
    if (existsSync('/proc/self/stat')) {
      expect(cpu).toHaveLength(2 * 2 * 5);
      for (const c of cpu!) {
        expect(c.k).toBe(1);
        expect(c.storeMs).toBeGreaterThanOrEqual(0);
        expect(c.workersMs).toBeGreaterThanOrEqual(0);
      }
      // A transfer through the store costs the store some cpu; one through the node's folder none.
      expect(cpu!.filter((c) => c.source === 'external').reduce((a, c) => a + c.storeMs!, 0)).toBeGreaterThan(0);
      expect(cpu!.filter((c) => c.source === 'local').reduce((a, c) => a + c.storeMs!, 0)).toBeLessThan(cpu!.filter((c) => c.source === 'external').reduce((a, c) => a + c.storeMs!, 0));
      expect(text).toMatch(/^# {5}checkpoint to the store: store \S+, workers \S+ \(n=4\)$/m);
    }
    // The sweep at the largest size: 5 primitives for each k (local restores too), and k worker starts, k timings per repeat.
    expect(raw.samples.concurrency).toHaveLength(12);
    expect(raw.samples.concurrency.filter((c) => c.primitive === 'restore' && c.source === 'local').map((c) => c.k)).toEqual([1, 2]);
    for (const c of raw.samples.concurrency) {
      expect(c.sizeMiB).toBe(c.primitive === 'workerStart' ? 0 : 8);
      expect(c.ms).toHaveLength(2 * c.k);
    }
    expect(raw.samples.concurrency.filter((c) => c.primitive === 'workerStart').map((c) => c.k)).toEqual([1, 2]);
    expect(text).toMatch(/^# {3}restore external 8 MiB: k=1 \S+ \(1x\), k=2 /m);
    expect(text).toMatch(/^# {3}worker start \(k started at once\): k=1 \S+ \(1x\), k=2 /m);
    // A block fitted from the sweep (present when the slowdowns show sharing) loaded with the profile above.
    expect(/^contention:$/m.test(text)).toBe(costs.contention !== undefined);
    expect(t.out.join('')).toContain('Profile:');
  });

  it('--mixed: times restores and checkpoints together with every actor resident, and writes a host model the loader reads', async () => {
    const out = join(dir, 'profiles', 'mixed.yaml');
    const t = io();
    expect(await runCalibrate(['--sizes', '4Mi,16Mi', '--repeats', '1', '--mixed', '2,3', '--out', out], t.io), t.err.join('')).toBe(0);
    const raw = JSON.parse(readFileSync(samplesPathFor(out), 'utf8')) as {
      samples: { mixed: { k: number; restores: number; checkpoints: number; restoreMs: number[]; checkpointMs: number[]; locals: number; localMs: number[] }[] };
      meta: { hostLoad?: { cpus: number } };
    };
    const cpu = (raw.samples as unknown as { cpu?: { primitive: string; k: number; storeMs: number | null }[] }).cpu ?? [];
    if (existsSync('/proc/self/stat')) {
      // One reading per mixed batch and repeat, beside the one-at-a-time transfers'.
      expect(cpu.filter((c) => c.primitive === 'mixed').map((c) => c.k)).toEqual([2, 3]);
      expect(readFileSync(out, 'utf8')).toMatch(/^# {3}per mixed batch \(mean over repeats\): 2: store \S+, workers \S+ ms; 3: /m);
    }
    // Each batch with one restore from the node beside it (mixedLocals: one per 16 store transfers, at least one).
    expect(raw.samples.mixed.map((m) => [m.k, m.restores, m.checkpoints, m.restoreMs.length, m.checkpointMs.length, m.locals, m.localMs.length])).toEqual([
      [2, 1, 1, 1, 1, 1, 1],
      [3, 2, 1, 2, 1, 1, 1],
    ]);
    expect(raw.samples.mixed.every((m) => m.localMs.every((x) => x > 0))).toBe(true);
    expect(readFileSync(out, 'utf8')).toMatch(/^# {3}1\+1: \d+\/\d+\/\d+ ms \(1 from the node\), 2\+1: /m);
    expect(raw.meta.hostLoad?.cpus).toBeGreaterThan(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^#   machine load: load average/m);
    // The size term shows at these sizes on any machine so far; where it would not, no host block is written.
    if (/^  host: /m.test(text)) {
      writeFileSync(join(dir, 'uses-mixed.yaml'), probeScenario('profiles/mixed.yaml'));
      const host = loadScenarioFile(join(dir, 'uses-mixed.yaml')).costs.contention?.host;
      expect(host?.restore).toBeGreaterThan(0);
      expect(host?.checkpoint).toBeGreaterThan(0);
    }
    await expect(runCalibrate(['--mixed', '', '--out', out], io().io)).rejects.toThrow(/--mixed: empty list/);
  });

  it('refuses bad flags as usage errors (the k8s backend has its own tests in test/fidelity/calibrate/k8s.test.ts)', async () => {
    await expect(runCalibrate(['--keep-namespace'], io().io)).rejects.toThrow(/--keep-namespace: only with --backend k8s/);
    await expect(runCalibrate(['--sizes', 'big'], io().io)).rejects.toBeInstanceOf(UsageError);
    await expect(runCalibrate(['--repeats', '0'], io().io)).rejects.toThrow(/--repeats/);
    await expect(runCalibrate(['--out', join(dir, 'x.json')], io().io)).rejects.toThrow(/\.yaml/);
    await expect(runCalibrate(['--nope'], io().io)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('npm run calibrate -- --refit', () => {
  const shipped = new URL('../../../scenarios/profiles/local-calibrated.samples.json', import.meta.url);

  it('fits the raw samples of an earlier calibration again, keeping what was measured and where', async () => {
    const samplesFile = join(dir, 'refit', 'again.samples.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'refit'), { recursive: true });
    writeFileSync(samplesFile, readFileSync(shipped));
    const t = io();
    expect(await runCalibrate(['--refit', samplesFile], t.io)).toBe(0);
    const out = join(dir, 'refit', 'again.yaml');
    const text = readFileSync(out, 'utf8');
    const raw = JSON.parse(readFileSync(shipped, 'utf8'));
    // The header is the measurement's (its command and date), not the refit's.
    expect(text).toContain(raw.meta.date);
    expect(text).toContain(raw.meta.command);
    expect(text).toMatch(/^name: again$/m);
    // Either contention form: the per-kind block of a concurrency sweep, or the host model of a mixed sweep (the shipped one).
    expect(text).toMatch(/^contention:\n {2}scope: machine\n {2}(transfers: \{streams: \d|host: \{cpus: \d)/m);
    // The shipped profile is exactly what refitting its samples gives (up to its name).
    const profile = readFileSync(new URL('../../../scenarios/profiles/local-calibrated.yaml', import.meta.url), 'utf8');
    expect(text.replace(/again/g, 'local-calibrated')).toBe(profile);
    writeFileSync(join(dir, 'refit', 's.yaml'), probeScenario('again.yaml'));
    expect(loadScenarioFile(join(dir, 'refit', 's.yaml')).costs.contention?.scope).toBe('machine');
  });

  it('keeps every sample of a calibration whose sweep failed part way, writes no profile, exits 1, and --refit fits them marked INCOMPLETE', async () => {
    const out = join(dir, 'partial', 'p.yaml');
    const t = io();
    // The mixed sweep's batch of k = 4 fails (mixed-3 exists only there); the grid and the concurrency sweep complete.
    const failing = new RecordingRuntime(failMixedBatchOf4('GET http://store/blobs/x failed: timed out after 60000 ms'));
    const quiet: HostProbe = { loadavg: () => [0, 0, 0], procStat: () => null, cpus: 2 };
    const code = await runCalibrate(['--sizes', '4Mi,8Mi', '--repeats', '2', '--concurrency', '1,2', '--mixed', '2,4', '--concurrency-size', '4Mi', '--out', out], t.io, {}, quiet, (o) => measure(failing, o));
    const stderr = t.err.join('');
    expect(code, stderr).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(samplesPathFor(out))).toBe(false);
    const partial = partialSamplesPathFor(out);
    expect(partial).toBe(join(dir, 'partial', 'p.partial.samples.json'));
    expect(stderr).toContain('calibrate: the mixed sweep failed part way: restore failed: GET http://store/blobs/x failed: timed out after 60000 ms');
    expect(stderr).toContain(`npm run calibrate -- --refit ${partial}`);
    expect(stderr).toContain(`No profile was written at ${out}.`);
    const raw = JSON.parse(readFileSync(partial, 'utf8'));
    expect(raw.samples.failed).toEqual([{ series: 'mixed', error: 'restore failed: GET http://store/blobs/x failed: timed out after 60000 ms' }]);
    expect(raw.samples.restore.external).toHaveLength(4);
    expect(raw.samples.mixed.map((m: { k: number }) => m.k)).toEqual([2]);
    // --refit makes a profile of them, beside them, that says what is missing and loads.
    const r = io();
    expect(await runCalibrate(['--refit', partial], r.io)).toBe(0);
    expect(r.err.join('')).toMatch(/warning: the mixed sweep of those samples failed part way/);
    const text = readFileSync(join(dir, 'partial', 'p.partial.yaml'), 'utf8');
    expect(text).toMatch(/^# {3}INCOMPLETE: the mixed sweep failed part way \(restore failed: GET http:\/\/store\/blobs\/x failed: timed out after 60000 ms\); what it measured before is fitted below$/m);
    writeFileSync(join(dir, 'partial', 's.yaml'), probeScenario('p.partial.yaml'));
    expect(loadScenarioFile(join(dir, 'partial', 's.yaml')).costs.name).toBe('p.partial');
    // A later calibration to the same profile that completes removes the partial samples.
    const again = io();
    expect(await runCalibrate(['--sizes', '4Mi,8Mi', '--repeats', '2', '--out', out], again.io, {}, quiet, (o) => measure(new RecordingRuntime(), o))).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(partial)).toBe(false);
    expect(again.err.join('')).toContain(`removed ${partial}`);
  });

  it('refuses measuring flags, a file that is not samples, and writes nothing then', async () => {
    await expect(runCalibrate(['--refit', 'x.samples.json', '--sizes', '4Mi', '--repeats', '2'], io().io)).rejects.toThrow(/--sizes, --repeats: not with --refit/);
    await expect(runCalibrate(['--refit', 'x.yaml'], io().io)).rejects.toBeInstanceOf(UsageError);
    const bad = join(dir, 'bad.samples.json');
    writeFileSync(bad, JSON.stringify({ profile: 'x', meta: {}, samples: {} }));
    await expect(runCalibrate(['--refit', bad], io().io)).rejects.toThrow(/bad\.samples\.json: not the raw samples of a calibration \(meta\./);
    await expect(runCalibrate(['--refit', join(dir, 'missing.samples.json')], io().io)).rejects.toThrow(/missing\.samples\.json: no such file/);
    expect(existsSync(join(dir, 'bad.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'missing.yaml'))).toBe(false);
  });
});
