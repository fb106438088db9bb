import { defaultJobs } from './simulate-help.ts';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { COMPILED, entryModule } from '../cli/repo.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { decodeSimResult } from './study-codec.ts';
import { StudyExecutor, type StudyTask } from './study-executor.ts';
import type { SimResult } from './runtime.ts';
import { scenarioSha256, type ScenarioOverrides } from './study-scenario.ts';
import type { StudyTaskMessage, StudyWorkerData, StudyWorkerMessage } from './study-worker.ts';
import type { InvocationsOption } from './invocation-sample.ts';

/** What to run: every policy set of `scenario` with every seed. */
export interface StudyRequest {
  /** The scenario file, which each worker thread loads itself. */
  readonly scenarioFile: string;
  /** The command line's changes to the file, applied by each worker thread too. */
  readonly overrides: ScenarioOverrides;
  /** The scenario as loaded and overridden in this thread. */
  readonly scenario: Scenario;
  readonly seeds: readonly number[];
  /** Time-series sampling interval; 0 disables. */
  readonly sampleEveryMs: number;
  /** Which outcomes each run keeps whole (the others are reduced to statistics as they come). */
  readonly invocations?: InvocationsOption;
  /** --allow-outside: each worker thread loads the scenario file as the main thread did. */
  readonly allowOutside?: boolean;
}

/** How to run it. */
export interface StudyOptions {
  /** Threads at most; 1 runs in this thread. Default: os.availableParallelism(). */
  readonly jobs?: number;
  /** Wall clock of the in-thread runs (worker threads use performance.now). */
  readonly clock?: () => number;
  /** Called as each run finishes, in order of completion. */
  readonly onRun?: (run: StudyRun, done: number, total: number) => void;
  /** Whether this thread runs too (default true; with false and jobs > 1, every run is on a worker thread). */
  readonly useThisThread?: boolean;
  /**
   * Start the worker threads only once the runs not yet handed out are
   * estimated (from this thread's runs so far) to take longer than this in
   * one thread. Default: start them at once. A worker thread takes about half
   * a second of a core to start, which a small study does not win back.
   */
  readonly workersWorthMs?: number;
}

/** What a study produced. */
export interface StudyOutcome {
  /** In the scenario's policy order, then seed order. */
  readonly runs: StudyRun[];
  /** Worker threads started (0: every run was in this thread). */
  readonly workerThreads: number;
}

/** One finished (policy set, seed) run. */
export interface StudyRun extends StudyTask {
  readonly result: SimResult;
  /** Wall time of the simulation. */
  readonly wallMs: number;
  /** Wall time spent generating the seed's workload before this run (0 when the thread had it). */
  readonly workloadMs: number;
  /** Where it ran: 0 this thread, n the n-th worker thread. */
  readonly thread: number;
}

// The default --jobs lives with the help text that prints it (sim/simulate-help.ts).
export { defaultJobs } from './simulate-help.ts';

/**
 * Runs every (policy set, seed) pair of a study on up to `jobs` threads
 * (never more than there are runs): this thread and `jobs - 1` worker
 * threads, which take runs once they have started, so a small study does not
 * wait for them; `jobs: 1` starts none. Runs are handed out seed by seed, so
 * a thread mostly reuses the workload it generated last. The runs come back
 * ordered by the scenario's policy order, then seed order, whatever order
 * they finished in. A failed run fails the study.
 */
export async function runStudy(req: StudyRequest, options: StudyOptions = {}): Promise<StudyOutcome> {
  const policies = req.scenario.policies.length;
  const total = policies * req.seeds.length;
  // Hand-out order: seed-major. Result order: policy-major (slot = policy * seeds + seed).
  const tasks: Slotted[] = [];
  req.seeds.forEach((seed, si) => {
    for (let p = 0; p < policies; p++) tasks.push({ policyIndex: p, seed, slot: p * req.seeds.length + si });
  });
  let next = 0;
  const take = (): Slotted | undefined => tasks[next++];
  const runs = new Array<StudyRun | undefined>(total);
  let done = 0;
  // A run may finish twice (see steal below): the first result counts; both are the same.
  const finish = (slot: number, run: StudyRun): void => {
    if (runs[slot] !== undefined) return;
    runs[slot] = run;
    done += 1;
    options.onRun?.(run, done, total);
  };
  const threads = Math.min(Math.max(1, Math.floor(options.jobs ?? defaultJobs())), total);
  const here = threads === 1 || options.useThisThread !== false;
  const newPool = (): WorkerPool =>
    new WorkerPool(req, here ? threads - 1 : threads, take, finish, (slot) => runs[slot] !== undefined, () => done === total);
  let pool: WorkerPool | null = threads > 1 && (!here || options.workersWorthMs === undefined) ? newPool() : null;
  const failed = (): boolean => pool?.failure !== undefined;
  try {
    const executor = new StudyExecutor(req.scenario, req.sampleEveryMs, req.invocations ?? { kind: 'all' }, options.clock ?? (() => performance.now()));
    let hereMs = 0;
    let hereRuns = 0;
    const runHere = async (task: Slotted): Promise<void> => {
      const out = await executor.run(task);
      hereMs += out.wallMs + out.workloadMs;
      hereRuns += 1;
      finish(task.slot, { policyIndex: task.policyIndex, seed: task.seed, ...out, thread: 0 });
      // Let worker threads' messages and timers (the progress bar's) in between runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    for (let task = here ? take() : undefined; task !== undefined && !failed(); task = take()) {
      await runHere(task);
      const worth = options.workersWorthMs ?? 0;
      if (pool === null && threads > 1 && (hereMs / hereRuns) * Math.max(0, total - next) > worth) pool = newPool();
    }
    if (pool !== null) {
      const p = pool;
      // Nothing left to hand out: rather than wait, run what a worker thread
      // has queued and may not have started. Runs are deterministic, so
      // whichever copy finishes first is the result.
      if (here) for (let task = p.steal(); task !== undefined && !failed(); task = p.steal()) await runHere(task);
      await p.drained();
    }
  } finally {
    await pool?.close();
  }
  return {
    runs: runs.map((r, i) => {
      if (r === undefined) throw new Error(`study: run #${i} never finished`);
      return r;
    }),
    workerThreads: pool?.size ?? 0,
  };
}

type Slotted = StudyTask & { readonly slot: number };

// Worker threads run the study worker as this thread runs: compiled from
// dist/, or from the TypeScript source. For the source, Node 20 does not pass
// tsx's `--import` hooks to worker threads (tsx registers itself on the main
// thread only), so each thread registers tsx's ESM hooks itself before
// importing its body. Both are resolved from here, so the working directory
// does not matter.
const WORKER_ENTRY = pathToFileURL(entryModule('sim/study-worker.ts')).href;

function bootstrap(): string {
  if (COMPILED) return `import(${JSON.stringify(WORKER_ENTRY)});`;
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_ENTRY)}); });`;
}

/**
 * Worker threads that take runs from the shared hand-out once they are
 * ready, two at a time (one running, one queued), so a thread does not sit
 * idle while this thread is busy with a run of its own and cannot answer.
 */
class WorkerPool {
  /** The first error of any thread; the study stops handing out runs. */
  failure: Error | undefined;
  private readonly workers: Worker[] = [];
  private readonly inFlight = new Map<Worker, number>();
  private readonly tasks = new Map<number, Slotted>();
  private readonly stolen = new Set<number>();
  private ids = 0;
  private wake: (() => void) | null = null;

  constructor(
    req: StudyRequest,
    count: number,
    private readonly take: () => Slotted | undefined,
    private readonly finish: (slot: number, run: StudyRun) => void,
    private readonly finished: (slot: number) => boolean,
    private readonly allDone: () => boolean,
  ) {
    const data: StudyWorkerData = {
      scenarioFile: req.scenarioFile,
      overrides: req.overrides,
      scenarioSha256: scenarioSha256(req.scenario),
      sampleEveryMs: req.sampleEveryMs,
      invocations: req.invocations ?? { kind: 'all' },
      allowOutside: req.allowOutside === true,
    };
    const code = bootstrap();
    try {
      for (let i = 0; i < count; i++) this.start(code, data);
    } catch (err) {
      this.fail(err);
    }
  }

  private start(code: string, data: StudyWorkerData): void {
    const w = new Worker(code, { eval: true, workerData: data });
    this.workers.push(w);
    const thread = this.workers.length;
    this.inFlight.set(w, 0);
    w.on('message', (m: StudyWorkerMessage) => {
      if (this.failure !== undefined) return;
      try {
        if (m.kind === 'error') {
          const err = new Error(m.message);
          err.name = m.name;
          err.stack = m.stack;
          throw err;
        }
        if (m.kind === 'result') {
          const task = this.tasks.get(m.id)!;
          this.tasks.delete(m.id);
          this.inFlight.set(w, this.inFlight.get(w)! - 1);
          this.finish(task.slot, { policyIndex: task.policyIndex, seed: task.seed, wallMs: m.wallMs, workloadMs: m.workloadMs, result: decodeSimResult(m.result), thread });
        }
        this.feed(w);
      } catch (err) {
        this.fail(err);
      }
      this.poke();
    });
    w.on('error', (err) => this.fail(err));
    w.on('exit', (code) => this.fail(new Error(`a study worker thread exited (code ${code}) before the study was done`)));
  }

  private feed(w: Worker): void {
    while (this.inFlight.get(w)! < 2) {
      const task = this.take();
      if (task === undefined) return;
      const id = this.ids++;
      this.tasks.set(id, task);
      this.inFlight.set(w, this.inFlight.get(w)! + 1);
      const msg: StudyTaskMessage = { id, policyIndex: task.policyIndex, seed: task.seed };
      w.postMessage(msg);
    }
  }

  private fail(err: unknown): void {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** A run handed to a worker thread, not finished and not stolen yet: the latest handed out, the likeliest still queued. */
  steal(): Slotted | undefined {
    const ids = [...this.tasks.keys()];
    for (let i = ids.length - 1; i >= 0; i--) {
      const task = this.tasks.get(ids[i]!)!;
      if (this.finished(task.slot) || this.stolen.has(task.slot)) continue;
      this.stolen.add(task.slot);
      return task;
    }
    return undefined;
  }

  /** Resolves when every run of the study is done; rejects with the first failure. */
  async drained(): Promise<void> {
    while (this.failure === undefined && !this.allDone()) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Threads started. */
  get size(): number {
    return this.workers.length;
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    this.failure ??= new Error('study: closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
