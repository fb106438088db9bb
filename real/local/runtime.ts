import { spawn, type ChildProcess } from 'node:child_process';
import { processCpuMs } from './proc-cpu.ts';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { onQuit } from '../../cli/exit.ts';
import { createInterface } from 'node:readline';
import type { RealRuntime, RuntimeEvent, WorkerMemorySample } from '../runtime.ts';
import type { RuntimeCommand } from '../../session/session.ts';
import { runWorkerRequest, type WorkerRequestContext } from '../worker-commands.ts';
import { WorkerClient, WorkerError } from '../worker/client.ts';
import { GrantMinter } from '../store/grants.ts';
import type { ExecuteMode } from '../worker/api.ts';
import { REPO_ROOT, entryArgs } from '../../cli/repo.ts';

const REPO = REPO_ROOT;
const WORKER_MAIN = 'real/worker/main.ts';
const STORE_MAIN = 'real/store/main.ts';

/** Options of the local runtime. */
export interface LocalRuntimeOptions {
  /** Run folder: `nodes/<node>/` holds each node's local snapshots, `store/` the external ones. */
  readonly workDir: string;
  /** The run's bearer token for the workers' API (the store gets a secret of its own, which workers never see). */
  readonly token: string;
  /** Actor slots of each pool's workers. */
  readonly poolSlots: Readonly<Record<string, number>>;
  /** Memory of each template's actors, in MiB. */
  readonly templateMemoryMiB: Readonly<Record<string, number>>;
  /** An external store to use instead of starting one (tests start it in-process to switch it off); `token` is its secret, kept by the driver to mint grants. */
  readonly store?: { readonly url: string; readonly token: string };
  /** How executions spend their time. */
  readonly execMode?: ExecuteMode;
  /**
   * Start-up budget of a worker starting alone before it counts as lost
   * (default 30 s). Workers starting together share
   * the machine, so each gets this times the most workers that were starting
   * at once while it started, divided by the machine's cpus (at least 1x).
   * The store gets the larger of this and 30 s.
   */
  readonly startTimeoutMs?: number;
  /** Cpus the budget is divided by (default os.availableParallelism()). */
  readonly cpus?: number;
  /**
   * How long the driver waits for a restore, checkpoint or execute before giving it up (default
   * REQUEST_TIMEOUT_MS, as runs do; calibrate waits longer). When set, each worker may spend as long
   * on one read or write of the store: a store transfer is most of a restore's or checkpoint's time.
   */
  readonly requestTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

interface LocalWorker {
  readonly id: number;
  readonly node: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  client: WorkerClient | null;
  /** Most workers starting at once while this one started (itself included): its ready budget scales with it. */
  peakStarting: number;
  /** Still starting: neither ready nor gone. */
  starting: boolean;
  /** Set when the driver stopped it or the runtime is closing: its exit is not a loss. */
  stopping: boolean;
  exited: boolean;
  readonly exitedPromise: Promise<void>;
}

function withoutStoreSecret(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ACTORSIM_STORE_TOKEN: _secret, ...rest } = env;
  return rest;
}

/** Spawns an entry point as one Node process, compiled or with tsx as the loader as this one runs (no wrapper process to orphan). */
function spawnEntry(entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...entryArgs(entry), ...args], {
    cwd: REPO,
    // A store secret in the driver's own environment is not passed on: workers get grants, never the secret.
    env: { ...withoutStoreSecret(process.env), ...env, ACTORSIM_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * Waits for the READY line of a spawned server; rejects if it exits first or
 * has not reported within `budgetMs()` of its start (asked again when the
 * timer fires, so a budget that grew meanwhile is honoured).
 */
function waitReady(child: ChildProcess, what: string, budgetMs: () => number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout! });
    const t0 = performance.now();
    let timer: NodeJS.Timeout;
    const check = (): void => {
      const budget = budgetMs();
      const left = budget - (performance.now() - t0);
      if (left > 0) timer = setTimeout(check, left);
      else reject(new Error(`${what} did not report READY within ${(budget / 1000).toFixed(1)} s (--ready-timeout)`));
    };
    timer = setTimeout(check, budgetMs());
    lines.on('line', (line) => {
      const m = /^READY (\S+)$/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready: ${stderr.trim()}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * The local runtime: each worker is a child process running the worker
 * server on loopback, nodes are folders (workers on the same node share one
 * for local snapshots), and external snapshots go to a blob store process.
 * Everything is measured with the wall clock as the driver sees it.
 */
export class LocalRuntime implements RealRuntime {
  readonly name = 'local';
  private sink: ((e: RuntimeEvent) => void) | null = null;
  private readonly workers = new Map<number, LocalWorker>();
  private store: { url: string; child: ChildProcess | null } | null = null;
  private readonly storeSecret: string;
  private closed = false;
  private readonly execMode: ExecuteMode;
  private readonly startTimeoutMs: number;

  private readonly requests: WorkerRequestContext;
  private readonly cpus: number;
  /** Kills every child at once if the process quits without closing this runtime (a second Ctrl-C). */
  private readonly dropQuitHook: () => void;

  private constructor(private readonly options: LocalRuntimeOptions) {
    this.execMode = options.execMode ?? 'sleep';
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.cpus = Math.max(1, options.cpus ?? availableParallelism());
    this.dropQuitHook = onQuit(() => {
      for (const w of this.workers.values()) w.child.kill('SIGKILL');
      this.store?.child?.kill('SIGKILL');
    });
    // The store's secret: a store this runtime starts gets a fresh one, distinct from the workers' token.
    this.storeSecret = options.store?.token ?? randomBytes(24).toString('hex');
    this.requests = {
      grants: new GrantMinter(this.storeSecret),
      runtime: 'local',
      call: (worker, request, done) => this.call(worker, request, done),
      emit: (e) => this.emit(e),
      templateMemoryMiB: options.templateMemoryMiB,
      execMode: this.execMode,
    };
  }

  /** Starts the runtime (and its store, unless one is given). */
  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const rt = new LocalRuntime(options);
    mkdirSync(join(options.workDir, 'nodes'), { recursive: true });
    if (options.store !== undefined) {
      rt.store = { url: options.store.url, child: null };
    } else {
      const dir = join(options.workDir, 'store');
      mkdirSync(dir, { recursive: true });
      const child = spawnEntry(STORE_MAIN, ['--dir', dir, '--host', '127.0.0.1', '--port', '0'], { ACTORSIM_TOKEN: rt.storeSecret });
      rt.store = { url: '', child };
      let url: string;
      try {
        // The store starts alone, before any worker: never less than the default budget, whatever --ready-timeout says.
        url = await waitReady(child, 'snapshot store', () => Math.max(30_000, rt.startTimeoutMs));
      } catch (err) {
        await rt.close();
        throw err;
      }
      rt.store.url = url;
      // A store that goes away takes every suspend and resume with it: the run must say so.
      child.once('exit', (code, signal) => {
        if (!rt.closed) rt.emit({ kind: 'storeLost', why: `the store process exited (${signal ?? `code ${code}`})` });
      });
    }
    return rt;
  }

  /** Cpu time of the store this runtime started and of its live workers (/proc; undefined where unreadable or not started here). */
  cpuMs(): { readonly storeMs: number | undefined; readonly workersMs: number | undefined } {
    // A worker that has already exited has no /proc entry: it is left out (calibration reads around
    // primitives during which no worker starts or stops).
    const all = this.processCpuMs();
    let workersMs: number | undefined;
    for (const [name, ms] of all) if (name !== 'store') workersMs = (workersMs ?? 0) + ms;
    return { storeMs: all.get('store'), workersMs };
  }

  processCpuMs(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    const store = processCpuMs(this.store?.child?.pid);
    if (store !== undefined) out.set('store', store);
    for (const [id, w] of this.workers) {
      const ms = processCpuMs(w.child.pid);
      if (ms !== undefined) out.set(`worker ${id}`, ms);
    }
    return out;
  }

  attach(sink: (event: RuntimeEvent) => void): void {
    this.sink = sink;
  }

  private emit(e: RuntimeEvent): void {
    if (!this.closed) this.sink?.(e);
  }

  run(cmd: RuntimeCommand): void {
    switch (cmd.kind) {
      case 'startWorker':
        this.startWorker(cmd.worker, cmd.pool, cmd.node);
        return;
      case 'stopWorker': {
        const w = this.workers.get(cmd.worker);
        if (w !== undefined) {
          w.stopping = true;
          w.child.kill('SIGTERM');
        }
        return;
      }
      case 'restore':
      case 'execute':
      case 'checkpoint':
        runWorkerRequest(cmd, this.requests);
        return;
    }
  }

  private startWorker(id: number, pool: string, node: string): void {
    const nodeDir = join(this.options.workDir, 'nodes', node);
    mkdirSync(nodeDir, { recursive: true });
    const slots = this.options.poolSlots[pool] ?? 1;
    const store = this.store!;
    const child = spawnEntry(
      WORKER_MAIN,
      ['--store-url', store.url, '--node-dir', nodeDir, '--worker-id', `worker-${id}`, '--actor-slots', String(slots), '--host', '127.0.0.1', '--port', '0', ...(this.options.requestTimeoutMs === undefined ? [] : ['--store-timeout-ms', String(this.options.requestTimeoutMs)])],
      // The workers' API token only: each restore and checkpoint brings its own store grant.
      { ACTORSIM_TOKEN: this.options.token },
    );
    let markExited: () => void = () => {};
    const exitedPromise = new Promise<void>((r) => {
      markExited = r;
    });
    const w: LocalWorker = { id, node, child, startedAt: performance.now(), client: null, peakStarting: 1, starting: true, stopping: false, exited: false, exitedPromise };
    this.workers.set(id, w);
    const starting = [...this.workers.values()].filter((x) => x.starting);
    for (const x of starting) x.peakStarting = Math.max(x.peakStarting, starting.length);
    child.once('exit', (code, signal) => {
      w.starting = false;
      w.exited = true;
      markExited();
      this.workers.delete(id);
      if (!w.stopping && !this.closed) this.emit({ kind: 'workerLost', worker: id, why: `process exited (${signal ?? `code ${code}`})` });
    });
    waitReady(child, `worker ${id}`, () => this.startTimeoutMs * Math.max(1, w.peakStarting / this.cpus)).then(
      (url) => {
        w.starting = false;
        if (w.exited || this.closed) return;
        w.client = new WorkerClient({ url, token: this.options.token, timeoutMs: this.options.requestTimeoutMs });
        this.emit({ kind: 'workerReady', worker: id, startMs: performance.now() - w.startedAt });
      },
      (err: unknown) => {
        w.starting = false;
        this.options.log?.(String((err as Error).message));
        // A worker that never came up is lost; its exit (if any) must not report it twice.
        if (!w.exited) {
          w.stopping = true;
          child.kill('SIGKILL');
        }
        if (!this.closed) this.emit({ kind: 'workerLost', worker: id, why: String((err as Error).message) });
      },
    );
  }

  /** Runs a request on a worker; a worker that dies under it reports workerLost instead of a failure. */
  private call<T>(worker: number, request: (c: WorkerClient) => Promise<T>, done: (ok: boolean, ms: number, error?: string, answer?: T) => void): void {
    const w = this.workers.get(worker);
    const t0 = performance.now();
    if (w === undefined || w.client === null) {
      // The core only sends to ready workers; this one died in between: its workerLost is on the way.
      return;
    }
    request(w.client).then(
      (answer) => done(true, performance.now() - t0, undefined, answer),
      async (err: unknown) => {
        const e = err as WorkerError;
        if (e instanceof WorkerError && e.code === 'unreachable') {
          // Give the exit event a moment: if the process died, the loss covers this request.
          await Promise.race([w.exitedPromise, new Promise((r) => setTimeout(r, 1000))]);
          if (w.exited) return;
        }
        done(false, performance.now() - t0, (err as Error).message);
      },
    );
  }

  liveWorkers(): number[] {
    return [...this.workers.values()].filter((w) => w.client !== null && !w.stopping && !w.exited).map((w) => w.id);
  }

  kill(worker: number): void {
    this.workers.get(worker)?.child.kill('SIGKILL');
  }

  async sampleMemory(): Promise<WorkerMemorySample[]> {
    const live = [...this.workers.values()].filter((w) => w.client !== null && !w.exited);
    const samples = await Promise.all(
      live.map(async (w) => {
        try {
          const s = await w.client!.stats();
          return { worker: w.id, rssBytes: s.rssBytes, resident: s.resident };
        } catch {
          return null;
        }
      }),
    );
    return samples.filter((s): s is WorkerMemorySample => s !== null);
  }

  /** The external store in use. */
  get storeUrl(): string {
    return this.store?.url ?? '';
  }

  /** Resident actors of every live worker, with their counters (for end-of-run checks). */
  async residentCounters(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const w of this.workers.values()) {
      if (w.client === null || w.exited) continue;
      for (const a of await w.client.actors()) out.set(a.id, a.counter);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropQuitHook();
    const children: { child: ChildProcess; exited: Promise<void> }[] = [];
    for (const w of this.workers.values()) {
      w.stopping = true;
      if (!w.exited) {
        w.child.kill('SIGTERM');
        children.push({ child: w.child, exited: w.exitedPromise });
      }
    }
    const storeChild = this.store?.child ?? null;
    if (storeChild !== null && storeChild.exitCode === null && storeChild.signalCode === null) {
      const exited = new Promise<void>((r) => storeChild.once('exit', () => r()));
      storeChild.kill('SIGTERM');
      children.push({ child: storeChild, exited });
    }
    // Give each a few seconds to exit cleanly, then make sure.
    await Promise.all(
      children.map(async ({ child, exited }) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
