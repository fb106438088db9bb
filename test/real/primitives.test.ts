import { describe, expect, it } from 'vitest';
import { measure, type MeasureOptions } from '../../real/primitives.ts';
import type { RealRuntime, RuntimeEvent } from '../../real/runtime.ts';
import type { RuntimeCommand } from '../../session/session.ts';

/**
 * A runtime that answers every command at once and records the snapshots a
 * calibration leaves behind: one per actor on the node and one in the store,
 * as the real worker and store keep them (a later checkpoint of the same
 * actor overwrites its file and its blob).
 */
class RecordingRuntime implements RealRuntime {
  readonly name = 'recording';
  private sink: (e: RuntimeEvent) => void = () => {};
  readonly nodeSnapshots = new Set<string>();
  readonly storeSnapshots = new Set<string>();
  attach(sink: (e: RuntimeEvent) => void): void {
    this.sink = sink;
  }
  run(cmd: RuntimeCommand): void {
    queueMicrotask(() => {
      switch (cmd.kind) {
        case 'startWorker':
          this.sink({ kind: 'workerReady', worker: cmd.worker, startMs: 1 });
          return;
        case 'restore':
          this.sink({ kind: 'restoreDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: true, restoreMs: 1 });
          return;
        case 'checkpoint':
          (cmd.target === 'local' ? this.nodeSnapshots : this.storeSnapshots).add(cmd.actor);
          // A checkpoint to the store keeps a copy on the node too, as the worker does.
          if (cmd.target === 'external') this.nodeSnapshots.add(cmd.actor);
          this.sink({ kind: 'checkpointDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: true, checkpointMs: 1 });
          return;
        case 'execute':
          this.sink({ kind: 'executionDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: true, execMs: 0 });
          return;
        default:
          return;
      }
    });
  }
  liveWorkers(): number[] {
    return [];
  }
  kill(): void {}
  async sampleMemory(): Promise<never[]> {
    return [];
  }
  async close(): Promise<void> {}
}

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
