import { describe, expect, it } from 'vitest';
import { CalibrationInterruptedError, measure, type MeasureOptions } from '../../real/primitives.ts';
import { RecordingRuntime, failMixedBatchOf4 } from './recording-runtime.ts';

async function snapshotsLeft(repeats: number): Promise<{ node: number; store: number }> {
  const runtime = new RecordingRuntime();
  const options: MeasureOptions = { sizesMiB: [16, 64], repeats, dispatchPerRepeat: 1, concurrency: [1, 2, 4], concurrencySizeMiB: 64, mixed: [2, 4] };
  const samples = await measure(runtime, options);
  expect(samples.restore.external).toHaveLength(2 * repeats);
  expect(samples.mixed?.find((m) => m.k === 4)?.restoreMs).toHaveLength(2 * repeats);
  return { node: runtime.nodeSnapshots.size, store: runtime.storeSnapshots.size };
}

describe('measure (calibration)', () => {
  it('keeps a bounded set of snapshots: more repeats overwrite the same actors instead of adding new ones', async () => {
    // A 7-repeat sweep of 256 MiB snapshots at k up to 8 and 32 kept every repeat's snapshots and
    // filled 66 GB of disk (ENOSPC in the store); the disk used must not grow with repeats.
    const two = await snapshotsLeft(2);
    const six = await snapshotsLeft(6);
    expect(six).toEqual(two);
    // Per size a probe and a cold actor, then the concurrency sweep's 4 workers and the mixed sweep's 4 (+ their held actors)
    // and its one restorer from the node, and the primes.
    expect(two.node).toBeLessThanOrEqual(2 * 2 + 4 + 4 * 2 + 1 + 4);
  });
});

describe('measure: a sweep that fails part way', () => {
  const options: MeasureOptions = { sizesMiB: [16], repeats: 2, dispatchPerRepeat: 1, concurrency: [1, 2], concurrencySizeMiB: 16, mixed: [2, 4], limitedCpuMilli: 100 };
  // mixed-3 exists only in the batch of k = 4: its first restore from the store fails, in the first repeat.
  const failMixed4 = failMixedBatchOf4('disk on fire');

  it('keeps what the sweep measured, names it in failed, stops its workers, and measures the next sweep', async () => {
    const runtime = new RecordingRuntime(failMixed4);
    const lines: string[] = [];
    const samples = await measure(runtime, { ...options, log: (l) => lines.push(l) });
    expect(samples.failed).toEqual([{ series: 'mixed', error: 'restore failed: disk on fire' }]);
    // The batch of k = 2 of the first repeat was timed before; nothing of k = 4.
    expect(samples.mixed!.map((m) => [m.k, m.restoreMs.length, m.checkpointMs.length])).toEqual([[2, 1, 1]]);
    // The sweeps before and after it are whole.
    expect(samples.concurrency!.filter((c) => c.primitive === 'restore' && c.source === 'external').map((c) => c.ms.length)).toEqual([2, 4]);
    expect(samples.limited!.restore.golden).toHaveLength(2);
    expect(samples.limited!.pair!.golden).toHaveLength(4);
    expect(samples.restore.external).toHaveLength(2);
    // No worker of the failed sweep was left running beside the next one, nor any at the end.
    expect(runtime.live.size).toBe(0);
    expect(lines.some((l) => /^mixed: failed \(restore failed: disk on fire\)/.test(l))).toBe(true);
  });

  it('has no failed field when every sweep completes', async () => {
    expect((await measure(new RecordingRuntime(), options)).failed).toBeUndefined();
  });

  it('still ends the whole calibration on a failure in the one-at-a-time grid, and on Ctrl-C within a sweep', async () => {
    await expect(measure(new RecordingRuntime((cmd) => (cmd.kind === 'checkpoint' && cmd.target === 'external' ? 'store gone' : undefined)), options)).rejects.toThrow('checkpoint failed: store gone');
    const controller = new AbortController();
    const abortInMixed = (cmd: { kind: string; actor?: string }): string | undefined => {
      if (cmd.kind === 'restore' && cmd.actor?.startsWith('mixed-') === true) controller.abort();
      return undefined;
    };
    await expect(measure(new RecordingRuntime(abortInMixed), { ...options, signal: controller.signal })).rejects.toBeInstanceOf(CalibrationInterruptedError);
  });
});

describe('largestMixedK (the mixed sweep with its restorers from the node)', () => {
  it('is the largest k whose batch and restorers fit the workers', async () => {
    const { largestMixedK, mixedLocals } = await import('../../real/primitives.ts');
    for (let workers = 0; workers <= 200; workers++) {
      const k = largestMixedK(workers);
      if (k > 0) expect(k + mixedLocals(k), `${workers}`).toBeLessThanOrEqual(workers);
      // No larger k fits.
      for (let j = k + 1; j <= workers; j++) expect(j + mixedLocals(j), `${workers}, ${j}`).toBeGreaterThan(workers);
    }
    expect(largestMixedK(16)).toBe(15);
    expect(largestMixedK(1)).toBe(0);
  });

  it('counts a batch\'s restorers from the node as recorded, else by the times kept (older samples), else none', async () => {
    const { localsOf } = await import('../../real/primitives.ts');
    const m = { k: 2, restores: 1, checkpoints: 1, sizeMiB: 4, restoreMs: [1], checkpointMs: [1] };
    expect(localsOf({ ...m, locals: 2, localMs: [5] })).toBe(2);
    expect(localsOf({ ...m, localMs: [5, 6, 7] })).toBe(3);
    expect(localsOf(m)).toBe(0);
  });
});
