import type { RealRuntime, RuntimeEvent } from '../../real/runtime.ts';
import type { RuntimeCommand } from '../../session/session.ts';

/**
 * A runtime that answers every command at once and records the snapshots a
 * calibration leaves behind: one per actor on the node and one in the store,
 * as the real worker and store keep them (a later checkpoint of the same
 * actor overwrites its file and its blob).
 */
/** A `fail` for {@link RecordingRuntime}: the first restore from the store of actor mixed-3, which only the mixed sweep's batch of k = 4 has, fails with `error`. */
export function failMixedBatchOf4(error: string): (cmd: RuntimeCommand) => string | undefined {
  return (cmd) => (cmd.kind === 'restore' && cmd.actor === 'mixed-3' && cmd.source === 'external' ? error : undefined);
}

export class RecordingRuntime implements RealRuntime {
  readonly name = 'recording';
  private sink: (e: RuntimeEvent) => void = () => {};
  readonly nodeSnapshots = new Set<string>();
  readonly storeSnapshots = new Set<string>();
  /** Workers started and not stopped. */
  readonly live = new Set<number>();

  /** `fail`: the error a restore or checkpoint fails with, or undefined for one that succeeds. */
  constructor(private readonly fail: (cmd: RuntimeCommand) => string | undefined = () => undefined) {}

  attach(sink: (e: RuntimeEvent) => void): void {
    this.sink = sink;
  }
  run(cmd: RuntimeCommand): void {
    queueMicrotask(() => {
      switch (cmd.kind) {
        case 'startWorker':
          this.live.add(cmd.worker);
          this.sink({ kind: 'workerReady', worker: cmd.worker, startMs: 1 });
          return;
        case 'stopWorker':
          this.live.delete(cmd.worker);
          return;
        case 'restore': {
          const error = this.fail(cmd);
          this.sink({ kind: 'restoreDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: error === undefined, restoreMs: 1, ...(error === undefined ? {} : { error }) });
          return;
        }
        case 'checkpoint': {
          const error = this.fail(cmd);
          if (error !== undefined) {
            this.sink({ kind: 'checkpointDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: false, checkpointMs: 1, error });
            return;
          }
          (cmd.target === 'local' ? this.nodeSnapshots : this.storeSnapshots).add(cmd.actor);
          // A checkpoint to the store keeps a copy on the node too, as the worker does.
          if (cmd.target === 'external') this.nodeSnapshots.add(cmd.actor);
          this.sink({ kind: 'checkpointDone', actorIndex: cmd.actorIndex, op: cmd.op, ok: true, checkpointMs: 1 });
          return;
        }
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

