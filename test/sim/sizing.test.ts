import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';
import { runSimulate, type Io } from '../../sim/main.ts';
import { MonotoneSearch } from '../../sim/sizing-search.ts';
import { parseSizeFlag } from '../../sim/sizing-knob.ts';
import { UsageError } from '../../cli/usage-error.ts';
import { judgeProbe, monotoneWarnings, type SizingPoint } from '../../reports/sizing.ts';
import type { SummaryRow } from '../../reports/summary.ts';

afterAll(removeTempDirs);

function io(): Io & { stdout: string; stderr: string } {
  let clock = 0;
  const o = {
    stdout: '',
    stderr: '',
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
    wallMs: () => (clock += 1),
    isoNow: () => '2026-01-01T00:00:00.000Z',
  };
  return o;
}

/** Runs a search against "meets from `threshold` on"; returns what it found and the values it probed. */
function search(lo: number, hi: number, threshold: number, maxProbes = 1000): { result: ReturnType<MonotoneSearch['result']>; probed: number[] } {
  const s = new MonotoneSearch(lo, hi, maxProbes);
  const probed: number[] = [];
  for (let v = s.next(); v !== undefined; v = s.next()) {
    probed.push(v);
    s.record(v, v >= threshold);
  }
  return { result: s.result(), probed };
}

describe('MonotoneSearch', () => {
  it('finds the smallest meeting value, or none, within 2 log2 of the range plus 2 probes, never probing outside the range or twice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 110_000 }), (lo, span, t) => {
        const hi = lo + span;
        const threshold = lo + (t % (span + 2));
        const { result, probed } = search(lo, hi, threshold);
        if (threshold > hi) expect(result).toEqual({ kind: 'none' });
        else expect(result).toEqual({ kind: 'found', value: Math.max(lo, threshold) });
        expect(probed.every((v) => v >= lo && v <= hi)).toBe(true);
        expect(new Set(probed).size).toBe(probed.length);
        expect(probed.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(hi + 2)) + 2);
      }),
      { numRuns: 300 },
    );
  });

  it('grows exponentially from the low end, then bisects', () => {
    expect(search(1, 256, 12).probed).toEqual([1, 2, 4, 8, 16, 12, 10, 11]);
    expect(search(0, 10, 3).probed).toEqual([0, 1, 2, 4, 3]);
  });

  it('stops at the probe cap and says what it knows', () => {
    expect(search(1, 256, 100, 3).result).toEqual({ kind: 'unsettled' });
    expect(search(1, 256, 100, 9).result).toEqual({ kind: 'unsettled', value: 128 });
  });
});

describe('--size', () => {
  const pools = ['agents'];
  it('parses a knob and a range', () => {
    const s = parseSizeFlag('pools.agents.replicas=1..256', pools);
    expect([s.knob.path, s.lo, s.hi]).toEqual(['pools.agents.replicas', 1, 256]);
    expect(parseSizeFlag('idle.ttl=0..3600', pools).knob.unit).toBe('seconds');
  });

  it.each([
    ['pools.nope.replicas=1..8', /no pool "nope".*pools: agents/],
    ['pools.agents.memory=1..8', /cannot size "pools.agents.memory"; knobs are/],
    ['pools.agents.replicas=1.5..8', /low end .* must be a non-negative integer, got "1.5"/],
    ['pools.agents.replicas=1..x', /high end .* must be a non-negative integer, got "x"/],
    ['pools.agents.replicas=8..2', /empty range 8..2/],
    ['pools.agents.replicas=1-8', /expected a range LO..HI/],
    ['pools.agents.replicas', /expected PATH=LO..HI/],
    ['scaling.maxReplicas=0..8', /starts at 1/],
  ])('refuses %s with a usage error', (flag, message) => {
    expect(() => parseSizeFlag(flag, pools)).toThrow(UsageError);
    expect(() => parseSizeFlag(flag, pools)).toThrow(message);
  });

  it('needs an SLO, and a policy set with the knob', async () => {
    const out = tempDir('sizing-');
    await expect(runSimulate(['--scenario', 'scenarios/small.yaml', '--slo', 'p99=1s', '--size', 'idle.ttl=1..10', '--policies', 'dedicated-always-on', '--out', out], io())).rejects.toThrow(
      /no policy set has idle.ttl: dedicated-always-on \(idle never has no ttl\)/,
    );
    await expect(runSimulate(['--scenario', 'scenarios/small.yaml', '--size-probes', '3', '--out', out], io())).rejects.toThrow(/--size-probes: only with --size/);
  });
});

const row = (p99: number, rejected = 0): SummaryRow => ({ policy: 'x', invocations: 100, rejected, p99_ms: p99 }) as unknown as SummaryRow;

describe('judgeProbe', () => {
  it('judges the upper end of the 95% interval over the seeds, or the one value with one seed', () => {
    const slo = { p99: 1000, maxRejected: 0 };
    expect(judgeProbe([row(900)], slo).meets).toBe(true);
    // Mean 900, but the interval over two seeds reaches far above 1,000.
    expect(judgeProbe([row(800), row(1000)], slo).meets).toBe(false);
    expect(judgeProbe([row(899), row(900), row(901)], slo).meets).toBe(true);
    expect(judgeProbe([row(900), row(Number.NaN)], slo).meets).toBe(false);
    expect(judgeProbe([row(900, 1)], slo).meets).toBe(false);
  });

  it('warns when a larger value is worse than a smaller one', () => {
    const slo = { p99: 1000, maxRejected: 0 };
    const point = (value: number, p99: number): SizingPoint => ({ value, probe: 1, rows: [row(p99)], ...judgeProbe([row(p99)], slo) });
    expect(monotoneWarnings([point(1, 900), point(2, 800)], 'replicas')).toEqual([]);
    expect(monotoneWarnings([point(1, 900), point(2, 1200)], 'replicas')).toEqual(['meets the SLO at 1 replicas but not at 2', 'p99 is worse at 2 replicas (1.2 s) than at 1 (900 ms)']);
  });
});

describe('simulate --size', () => {
  it('writes sizing.csv, byte-identical run to run and whatever --jobs, and sizes each set to its smallest meeting value', async () => {
    const a = tempDir('sizing-');
    const b = tempDir('sizing-');
    const args = ['--scenario', 'scenarios/small.yaml', '--duration', '1h', '--seeds', '1,2', '--slo', 'p99=15s,overheadP99=300ms', '--size', 'pools.agents.replicas=1..8'];
    const o = io();
    expect(await runSimulate([...args, '--jobs', '1', '--out', a], o)).toBe(0);
    expect(await runSimulate([...args, '--jobs', '2', '--out', b], io())).toBe(0);
    for (const f of ['sizing.csv', 'summary.csv', 'report.html']) expect(readFileSync(join(a, f), 'utf8') === readFileSync(join(b, f), 'utf8'), `${f} differs: ${a} ${b}`).toBe(true);
    const rows = parse(readFileSync(join(a, 'sizing.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    for (const policy of new Set(rows.map((r) => r.policy))) {
      const mine = rows.filter((r) => r.policy === policy);
      const smallest = mine.filter((r) => r.smallest === 'yes');
      expect(smallest.length).toBeLessThanOrEqual(1);
      // Every probed value below the answer misses; the answer meets.
      if (smallest.length === 1) {
        expect(smallest[0]!.meets).toBe('yes');
        for (const r of mine) if (Number(r.value) < Number(smallest[0]!.value)) expect(r.meets).toBe('no');
      }
    }
    expect(o.stdout).toMatch(/Sizing pools.agents.replicas in 1..8/);
    expect(o.stdout).toMatch(/dedicated-always-on +skipped: pool agents is dedicated/);
    expect(readFileSync(join(a, 'report.html'), 'utf8')).toContain('id="sizing"');
  });
});
