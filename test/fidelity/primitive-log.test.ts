import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parsePrimitiveLog, primitiveLogCsv, type PrimitiveLogRow, type PrimitiveRecord } from '../../reports/primitive-log.ts';
import { kindOf, primitiveKindStats, slowestTransfers } from '../../fidelity/primitive-log.ts';

const rec = (over: Partial<PrimitiveRecord>): PrimitiveRecord => ({ primitive: 'restore', source: 'golden', worker: 0, actor: 'a', startMs: 0, endMs: 100, workMs: 0, ok: true, ...over });

function roundTrip(records: readonly PrimitiveRecord[]): PrimitiveLogRow[] {
  const csv = primitiveLogCsv([{ policy: 'p', seed: 3, records }]);
  return parsePrimitiveLog(parseCsv(csv, { columns: true }) as Record<string, string>[], 'primitives.csv');
}

describe('primitives.csv', () => {
  it('writes each record as a row and reads it back', () => {
    const rows = roundTrip([
      rec({ worker: 2, actor: 'agent-1', startMs: 10.5, endMs: 250.25, workerMs: 200.125, phases: { seal: 20.4, disk: 150.6, store: 199.5 }, primitive: 'checkpoint', source: 'external' }),
      rec({ primitive: 'execute', source: '', startMs: 5, endMs: 40, workMs: 30 }),
      rec({ ok: false, failure: 'restore timeout', startMs: 7, endMs: 60_007 }),
      rec({ primitive: 'worker-start', source: '', actor: '', startMs: 0, endMs: 80 }),
    ]);
    expect(rows[0]).toEqual({
      policy: 'p',
      seed: 3,
      primitive: 'checkpoint',
      source: 'external',
      worker: 2,
      actor: 'agent-1',
      startMs: 10.5,
      endMs: 250.25,
      workMs: 0,
      ok: true,
      failure: '',
      workerMs: 200.125,
      phases: 'seal 20; disk 151; store 200',
    });
    expect(rows[1]).toMatchObject({ primitive: 'execute', workMs: 30, ok: true });
    expect(Number.isNaN(rows[1]!.workerMs)).toBe(true);
    expect(rows[2]).toMatchObject({ ok: false, failure: 'restore timeout', endMs: 60_007 });
    expect(rows[3]).toMatchObject({ primitive: 'worker-start', actor: '' });
  });

  it('names the file, the row and the column of a cell that is not a number', () => {
    const rows = [{ policy: 'p', seed: '1', primitive: 'restore', source: 'golden', worker: '0', actor: 'a', start_ms: '0', end_ms: 'soon', work_ms: '0', ok: '1', failure: '', worker_ms: '', phases: '' }];
    expect(() => parsePrimitiveLog(rows, 'real/primitives.csv')).toThrow('real/primitives.csv row 2: end_ms "soon" is not a number');
  });
});

describe('primitive log analysis (fidelity.md, report.html)', () => {
  const rows = (records: readonly PrimitiveRecord[]) => roundTrip(records);

  it('counts, durations and how many ran at once, per kind and half', () => {
    const real = rows([
      // Three golden restores: two overlapping 0-100 and 50-250, then one back to back at 250-300.
      rec({ startMs: 0, endMs: 100 }),
      rec({ startMs: 50, endMs: 250 }),
      rec({ startMs: 250, endMs: 300 }),
      rec({ startMs: 300, endMs: 300, ok: false, failure: 'restore slots-full' }),
      // A refusal while two others run counts as a third at that moment.
      rec({ startMs: 500, endMs: 700 }),
      rec({ startMs: 600, endMs: 800 }),
      rec({ startMs: 650, endMs: 650, ok: false, failure: 'restore slots-full' }),
      rec({ primitive: 'execute', source: '', startMs: 0, endMs: 45, workMs: 30 }),
    ]);
    const sim = rows([rec({ startMs: 0, endMs: 400 })]);
    const stats = primitiveKindStats(sim, real, 1000);
    const golden = stats.find((s) => s.kind === 'restore golden' && s.run === 'real')!;
    expect(golden).toMatchObject({ ok: 5, failed: 2, p50: 200, p90: 200, max: 200, maxInFlight: 3 });
    // Little's law: 100 + 200 + 50 + 0 + 200 + 200 + 0 ms busy over 1,000 ms.
    expect(golden.meanInFlight).toBeCloseTo(0.75, 12);
    expect(stats.find((s) => s.kind === 'restore golden' && s.run === 'simulated')).toMatchObject({ ok: 1, failed: 0, p50: 400, maxInFlight: 1, meanInFlight: 0.4 });
    // An execution's duration is its dispatch: less its work.
    expect(stats.find((s) => s.kind === 'execute')).toMatchObject({ run: 'real', p50: 15 });
    // Kinds in order, simulated before real within a kind; a kind one half never ran has no row for it.
    expect(stats.map((s) => `${s.kind}/${s.run}`)).toEqual(['execute/real', 'restore golden/simulated', 'restore golden/real']);
  });

  it('lists the slowest successful transfers with what else was in flight when each began', () => {
    const real = rows([
      rec({ startMs: 0, endMs: 100, actor: 'a' }),
      rec({ primitive: 'checkpoint', source: 'external', startMs: 50, endMs: 1050, actor: 'b' }),
      rec({ startMs: 60, endMs: 560, actor: 'c' }),
      rec({ startMs: 70, endMs: 5000, ok: false, failure: 'restore timeout', actor: 'd' }),
      rec({ primitive: 'execute', source: '', startMs: 55, endMs: 9000, workMs: 8000, actor: 'e' }),
    ]);
    const slow = slowestTransfers('real', real, 2);
    expect(slow.map((s) => s.row.actor)).toEqual(['b', 'c']);
    // b began at 50 with a (0-100) running: 2; c at 60 with a and b: 3. Executions are not transfers; the failed d began later.
    expect(slow.map((s) => s.transfersInFlight)).toEqual([2, 3]);
    expect(kindOf(slow[0]!.row)).toBe('checkpoint external');
  });
});
