import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io.ts';
import { UsageError } from '../../cli/usage-error.ts';
import { parseRealRunArgs } from '../../real/main.ts';
import { timeseriesCsv } from '../../real/run.ts';
import { TIMESERIES_COLUMNS } from '../../reports/summary.ts';

const io: Io = { out: () => {}, err: () => {}, isoNow: () => '2026-01-01T00:00:00.000Z' };

describe('bench:cluster options and timeseries.csv', () => {
  it('samples every scenario minute unless --sample-every says otherwise, and refuses a bad interval', () => {
    expect(parseRealRunArgs(['--scenario', 'scenarios/small.yaml'], io)!.sampleEveryMs).toBe(60_000);
    expect(parseRealRunArgs(['--scenario', 'scenarios/small.yaml', '--sample-every', '15s'], io)!.sampleEveryMs).toBe(15_000);
    for (const bad of ['0s', '15', 'often']) expect(() => parseRealRunArgs(['--scenario', 'scenarios/small.yaml', '--sample-every', bad], io), bad).toThrow(UsageError);
  });

  it('writes the simulator columns in scenario time: the run time multiplied back by the speedup', () => {
    const text = timeseriesCsv(
      [
        { policy: 'a', samples: [{ timeMs: 0, workers: 2, resident: 0, parked: 0 }, { timeMs: 250.0004, workers: 2, resident: 3, parked: 1 }] },
        { policy: 'b', samples: [{ timeMs: 0, workers: 1, resident: 0, parked: 0 }] },
      ],
      240,
      7,
    );
    expect(text.split('\n')[0]).toBe(TIMESERIES_COLUMNS.join(','));
    expect(parse(text, { columns: true })).toEqual([
      { policy: 'a', time_ms: '0', workers: '2', resident: '0', parked: '0', seed: '7' },
      { policy: 'a', time_ms: '60000.096', workers: '2', resident: '3', parked: '1', seed: '7' },
      { policy: 'b', time_ms: '0', workers: '1', resident: '0', parked: '0', seed: '7' },
    ]);
  });
});
