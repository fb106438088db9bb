import type { RuntimeCommand } from '../session/session.ts';

/** What a real runtime reports back; the driver stamps each with its clock when it arrives. */
export type RuntimeEvent =
  | { readonly kind: 'workerReady'; readonly worker: number; readonly startMs: number }
  | { readonly kind: 'workerLost'; readonly worker: number; readonly why: string }
  | { readonly kind: 'restoreDone'; readonly actorIndex: number; readonly op: number; readonly ok: boolean; readonly restoreMs: number; readonly error?: string; readonly worker?: WorkerSide }
  | { readonly kind: 'executionDone'; readonly actorIndex: number; readonly op: number; readonly ok: boolean; readonly execMs: number; readonly error?: string; readonly worker?: WorkerSide }
  | { readonly kind: 'checkpointDone'; readonly actorIndex: number; readonly op: number; readonly ok: boolean; readonly checkpointMs: number; readonly error?: string; readonly worker?: WorkerSide }
  /** The snapshot store went away for good (its process exited): the run cannot suspend or resume any more. Not an input of the core. */
  | { readonly kind: 'storeLost'; readonly why: string };

/**
 * What the worker itself said of a request it answered: its own time for it
 * (the rest of the round trip is HTTP and queueing), and where a checkpoint's
 * time went (real/worker/api.ts CheckpointAnswer.phases: each phase's end, ms
 * from the start). For primitives.csv.
 */
export interface WorkerSide {
  readonly ms: number;
  readonly phases?: Readonly<Record<string, number>>;
}

/** Memory measured on one worker at one moment. */
export interface WorkerMemorySample {
  readonly worker: number;
  readonly rssBytes: number;
  readonly resident: number;
}

/**
 * A runtime that executes the core's commands for real: local worker
 * processes, or pods. Calls return at once; outcomes arrive later through
 * the sink given to `attach`. A runtime never calls into the core itself.
 */
export interface RealRuntime {
  readonly name: string;
  /** Gives the runtime the sink for its events; called once before any command. */
  attach(sink: (event: RuntimeEvent) => void): void;
  /** Carries out one command. */
  run(cmd: RuntimeCommand): void;
  /** Live workers that could be killed by the chaos monkey. */
  liveWorkers(): number[];
  /** Kills a worker abruptly (SIGKILL, pod delete): it must then report workerLost. */
  kill(worker: number): void;
  /** Samples memory on every live worker. */
  sampleMemory(): Promise<WorkerMemorySample[]>;
  /** The counter of every actor resident on a live worker (invocations it applied), for the end-of-run check; absent where a runtime cannot ask. */
  residentCounters?(): Promise<Map<string, number>>;
  /**
   * Cpu time spent so far by the store process and by the live workers together, in ms (user +
   * system), for calibration to read around a primitive; absent where a runtime cannot see its
   * processes (pods), undefined fields where it could not read them.
   */
  cpuMs?(): { readonly storeMs: number | undefined; readonly workersMs: number | undefined };
  /**
   * Cpu time spent so far by each process this runtime started and can see, in ms: `store`, and
   * `worker <id>` per live worker; for the run's cpu.csv (real/cpu-series.ts). Absent on pods.
   */
  processCpuMs?(): ReadonlyMap<string, number>;
  /** Stops every worker and frees everything; safe to call twice. */
  close(): Promise<void>;
}
