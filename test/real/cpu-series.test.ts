import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { CPU_SERIES_COLUMNS, CpuSeries, cpuSeriesCsv, pressureTotalMs, readPressure, seriesRow, vmstatCounter, type CpuSnapshot } from '../../real/cpu-series.ts';

const PSI = 'some avg10=0.97 avg60=2.79 avg300=12.54 total=4703050424\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1500\n';

function snap(atMs: number, over: Partial<CpuSnapshot> = {}): CpuSnapshot {
  return {
    atMs,
    machine: { userMs: atMs, systemMs: atMs / 2, idleMs: 0, iowaitMs: 0, irqMs: 0, stealMs: 0 },
    driverMs: atMs / 10,
    processes: new Map(),
    pressure: { cpuSomeMs: undefined, ioSomeMs: undefined, ioFullMs: undefined, memorySomeMs: undefined },
    ...over,
  };
}

describe('cpu.csv', () => {
  it('reads the cumulative totals of the kernel pressure files, in ms', () => {
    expect(pressureTotalMs(PSI, 'some')).toBe(4703050.424);
    expect(pressureTotalMs(PSI, 'full')).toBe(1.5);
    expect(pressureTotalMs('some avg10=1.00\n', 'some')).toBeUndefined();
    expect(pressureTotalMs(undefined, 'some')).toBeUndefined();
    // A kernel without PSI: nothing is guessed.
    expect(readPressure(() => undefined)).toEqual({ cpuSomeMs: undefined, ioSomeMs: undefined, ioFullMs: undefined, memorySomeMs: undefined });
    expect(readPressure((p) => (p.endsWith('/io') ? PSI : undefined))).toMatchObject({ ioSomeMs: 4703050.424, ioFullMs: 1.5, cpuSomeMs: undefined });
  });

  it('reads a counter of /proc/vmstat by its exact name', () => {
    const vmstat = 'nr_free_pages 123\npgfault 366879153\npgmajfault 2937\n';
    expect(vmstatCounter(vmstat, 'pgfault')).toBe(366879153);
    expect(vmstatCounter(vmstat, 'pgmajfault')).toBe(2937);
    expect(vmstatCounter(vmstat, 'pgfree')).toBeUndefined();
    expect(vmstatCounter(undefined, 'pgfault')).toBeUndefined();
  });

  it('gives each interval what was spent in it; a worker that appears counts from zero, one that leaves adds nothing', () => {
    const a = snap(1000, { processes: new Map([['store', 500], ['worker 0', 100], ['worker 1', 300]]), pressure: { cpuSomeMs: 10, ioSomeMs: 5, ioFullMs: 1, memorySomeMs: 0 } });
    const b = snap(2000, { processes: new Map([['store', 900], ['worker 0', 1050], ['worker 2', 40]]), pressure: { cpuSomeMs: 410, ioSomeMs: 5, ioFullMs: 1, memorySomeMs: 0 }, pageFaults: 65_536 });
    const row = Object.fromEntries(CPU_SERIES_COLUMNS.map((c, i) => [c, seriesRow('p', 0, a, b)[i]]));
    expect(row).toMatchObject({ policy: 'p', at_ms: 2000, wall_ms: 1000, user_ms: 1000, system_ms: 500, driver_ms: 100, store_ms: 400, pressure_cpu_ms: 400, pressure_io_ms: 0, page_faults: '' });
    // worker 0: 950; worker 2 (new): 40; worker 1 (gone): nothing. Busy: at least a tenth of a cpu, so worker 0 only.
    expect(row.workers_ms).toBe(990);
    expect(row.workers_busy).toBe(1);
  });

  it('leaves a figure empty where it could not be read', () => {
    const row = seriesRow('p', 0, snap(0, { machine: undefined }), snap(1000, { machine: undefined }));
    const byName = Object.fromEntries(CPU_SERIES_COLUMNS.map((c, i) => [c, row[i]]));
    expect(byName).toMatchObject({ user_ms: '', store_ms: '', workers_ms: '', workers_busy: '', pressure_io_ms: '', page_faults: '' });
    expect(seriesRow('p', 0, snap(0, { pageFaults: 10 }), snap(1000, { pageFaults: 65_546 }))[CPU_SERIES_COLUMNS.indexOf('page_faults')]).toBe(65_536);
  });

  it('samples from start to stop, one row per interval, and writes them with a header', () => {
    let t = 0;
    const s = new CpuSeries('p', () => snap((t += 1000)), 1e9);
    s.start();
    s.sample();
    s.sample();
    const rows = s.stop();
    expect(rows.map((r) => r[1])).toEqual([1000, 2000, 3000]);
    const parsed = parse(cpuSeriesCsv(rows), { columns: true }) as Record<string, string>[];
    expect(Object.keys(parsed[0]!)).toEqual([...CPU_SERIES_COLUMNS]);
    expect(parsed).toHaveLength(3);
    // Stopped: no more rows.
    s.sample();
    expect(s.stop()).toEqual([]);
  });
});
