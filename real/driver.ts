import type { RunResult, Sample } from '../core/result.ts';
import { makeRng } from '../scenarios/rng.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import type { Workload } from '../scenarios/workload.ts';
import { EventQueue } from '../session/event-queue.ts';
import { ARRIVAL, RunSession, TIMER, type RuntimeCommand, type SessionResult } from '../session/session.ts';
import type { PrimitiveRecord } from '../reports/primitive-log.ts';
import type { RealRuntime, RuntimeEvent, WorkerMemorySample, WorkerSide } from './runtime.ts';

/** Latencies the real runtime measured, in milliseconds, by primitive. */
export interface Measured {
  readonly workerStartMs: number[];
  readonly restoreMs: Record<'cold' | 'golden' | 'local' | 'external', number[]>;
  readonly checkpointMs: Record<'local' | 'external', number[]>;
  /** Wall time between the execute command and its completion, less the work asked for. */
  readonly dispatchMs: number[];
  readonly memory: { readonly atMs: number; readonly workers: readonly WorkerMemorySample[] }[];
  /** How late arrivals and timers were fed to the core, behind their schedule. */
  readonly lagMs: number[];
  readonly errors: string[];
  /** Failed requests by class, `<op> <why>` (e.g. "restore store-failed", "checkpoint timeout"), with counts. */
  readonly failures: Record<string, number>;
  /** Workers lost during the run, in order: `ready` false for one that never became ready. */
  readonly lost: { readonly worker: number; readonly atMs: number; readonly ready: boolean; readonly why: string }[];
  /** Why the snapshot store was lost, if it was. */
  storeLost?: string;
  /** Every primitive one by one, as it ended (primitives.csv): start, end, worker, actor, and the worker's own account. */
  readonly log: PrimitiveRecord[];
}

/**
 * The class of a failed worker request, from its message (real/worker/client.ts
 * writes "<METHOD> <url> failed: <status> <code>: ..." or "failed: timed out
 * ..."): "<op> <code>", "<op> timeout" or "<op> unreachable". A few classes
 * with counts say what went wrong where a list of messages would not.
 */
export function failureClass(op: 'restore' | 'execute' | 'checkpoint', error: string): string {
  const answered = / failed: \d{3} ([a-z-]+):/.exec(error);
  if (answered !== null) return `${op} ${answered[1]}`;
  if (/ failed: timed out/.test(error)) return `${op} timeout`;
  return `${op} unreachable`;
}

/** Error messages kept whole (the failure classes count them all): a run of thousands of failures must not hold each text. */
const MAX_ERRORS_KEPT = 1000;

/** What a real run produces: the same as a simulated run, plus what was measured. */
export interface RealRunResult extends RunResult {
  readonly partial: boolean;
  readonly measured: Measured;
  /** Workers, resident actors and parked invocations every `sampleEveryMs` of run time, as the simulator samples them. */
  readonly samples: readonly Sample[];
  readonly kills: number;
  /** Each actor's state and version (invocations applied) in the core at the end. */
  readonly actors: ReadonlyMap<string, { readonly state: string; readonly version: number; readonly snapshotVersion: number }>;
}

/** Options of a real run. */
export interface DriveOptions {
  readonly seed: number;
  /** A monotonic clock in milliseconds (performance.now in production). */
  readonly clock: () => number;
  /** Kill a random worker this often (0: never). */
  readonly killEveryMs?: number;
  /** Sample worker memory this often (0: never). */
  readonly memoryEveryMs?: number;
  /**
   * Sample workers, resident actors and parked invocations at 0 and every
   * this often up to the scenario's end, in run time (0 or absent: never).
   */
  readonly sampleEveryMs?: number;
  /** How long past the scenario's end to wait for in-flight work before ending the run. */
  readonly drainMs?: number;
  /** Aborting ends the run at once: outstanding invocations become run-ended and the result is partial. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Runs after the last event and before the runtime is closed (end-of-run checks against live workers). */
  readonly beforeClose?: () => Promise<void>;
}

/**
 * Drives the scheduler core in wall-clock time against a real runtime: the
 * simulator's session (core, policies, arrivals, timers, samples, warm-up)
 * with waiting as one real timer armed for the next event in its heap, and
 * every input stamped with the clock when it is fed. Time in the core is
 * milliseconds since the run started.
 */
export function drive(scenario: Scenario, policy: PolicySet, workload: Workload, runtime: RealRuntime, options: DriveOptions): Promise<RealRunResult> {
  return new Promise((resolve, reject) => {
    const t0 = options.clock();
    let last = 0;
    // The core refuses time going backwards; the clock is monotonic but guard rounding anyway.
    const now = (): number => {
      const t = Math.max(last, options.clock() - t0);
      last = t;
      return t;
    };
    const chaosRng = makeRng(options.seed, 'chaos');
    const measured: Measured = {
      workerStartMs: [],
      restoreMs: { cold: [], golden: [], local: [], external: [] },
      checkpointMs: { local: [], external: [] },
      dispatchMs: [],
      memory: [],
      lagMs: [],
      errors: [],
      failures: {},
      lost: [],
      log: [],
    };
    const ready = new Set<number>();
    const failed = (op: 'restore' | 'execute' | 'checkpoint', error: string | undefined): void => {
      const c = failureClass(op, error ?? '');
      measured.failures[c] = (measured.failures[c] ?? 0) + 1;
      if (error !== undefined && measured.errors.length < MAX_ERRORS_KEPT) measured.errors.push(`${op}: ${error}`);
    };
    const restoreSource = new Map<number, 'cold' | 'golden' | 'local' | 'external'>();
    const checkpointTarget = new Map<number, 'local' | 'external'>();
    const executeInfo = new Map<number, { workMs: number; sentMs: number }>();
    // Every request in flight by op, for primitives.csv.
    const sent = new Map<number, { readonly primitive: 'restore' | 'checkpoint' | 'execute'; readonly source: string; readonly worker: number; readonly actor: string; readonly startMs: number; readonly workMs: number }>();
    const logged = (op: number, t: number, ok: boolean, error: string | undefined, side: WorkerSide | undefined): void => {
      const s = sent.get(op);
      if (s === undefined) return;
      sent.delete(op);
      measured.log.push({
        ...s,
        endMs: t,
        ok,
        ...(ok ? {} : { failure: failureClass(s.primitive, error ?? '') }),
        ...(side === undefined ? {} : { workerMs: side.ms }),
        ...(side?.phases === undefined ? {} : { phases: side.phases }),
      });
    };
    const drainMs = options.drainMs ?? 60_000;
    const queue = new EventQueue(64);
    const session = new RunSession(scenario, policy, workload, queue, { seed: options.seed, sampleEveryMs: options.sampleEveryMs ?? 0 }, {
      run(cmd: RuntimeCommand, nowMs: number): void {
        if (cmd.kind === 'restore') restoreSource.set(cmd.op, cmd.source);
        else if (cmd.kind === 'checkpoint') checkpointTarget.set(cmd.op, cmd.target);
        else if (cmd.kind === 'execute') executeInfo.set(cmd.op, { workMs: cmd.workMs, sentMs: nowMs });
        if (cmd.kind === 'restore' || cmd.kind === 'checkpoint' || cmd.kind === 'execute') {
          const source = cmd.kind === 'restore' ? cmd.source : cmd.kind === 'checkpoint' ? cmd.target : '';
          sent.set(cmd.op, { primitive: cmd.kind, source, worker: cmd.worker, actor: cmd.actor, startMs: nowMs, workMs: cmd.kind === 'execute' ? cmd.workMs : 0 });
        }
        runtime.run(cmd);
      },
    });
    const core = session.core;
    let events = 0;
    let kills = 0;
    let done = false;
    let armed: NodeJS.Timeout | null = null;
    let chaos: NodeJS.Timeout | null = null;
    let memory: NodeJS.Timeout | null = null;

    const closeAndReject = (err: unknown): void => {
      runtime.close().then(() => reject(err), () => reject(err));
    };
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      cleanup();
      closeAndReject(err);
    };

    /** Feeds every event of the heap that is due by now, in time order, each stamped with the clock. */
    const feedDue = (): void => {
      while (queue.peekTime() <= now()) {
        queue.pop();
        const stamp = now();
        if (queue.kind === ARRIVAL || queue.kind === TIMER) measured.lagMs.push(stamp - queue.timeMs);
        session.markWarmup(stamp);
        events += 1;
        session.handle(stamp);
        session.execute(stamp);
      }
    };

    /** Feeds what is due, then `input` (a runtime's event) at the clock's time; then arms the timer for what comes next. */
    const step = (input: ((t: number) => void) | null): void => {
      if (done) return;
      try {
        feedDue();
        if (input !== null) {
          const t = now();
          session.markWarmup(t);
          events += 1;
          input(t);
          session.execute(t);
        }
      } catch (err) {
        fail(err);
        return;
      }
      maybeFinish();
      arm();
    };

    const onEvent = (ev: RuntimeEvent): void => {
      step((t) => {
        switch (ev.kind) {
          case 'workerReady':
            ready.add(ev.worker);
            measured.workerStartMs.push(ev.startMs);
            measured.log.push({ primitive: 'worker-start', source: '', worker: ev.worker, actor: '', startMs: Math.max(0, t - ev.startMs), endMs: t, workMs: 0, ok: true });
            core.handleWorkerReady(t, ev.worker);
            break;
          case 'workerLost':
            options.log?.(`worker ${ev.worker} lost: ${ev.why}`);
            measured.lost.push({ worker: ev.worker, atMs: t, ready: ready.has(ev.worker), why: ev.why });
            core.handleWorkerLost(t, ev.worker);
            break;
          case 'storeLost':
            options.log?.(`snapshot store lost: ${ev.why}`);
            measured.storeLost ??= ev.why;
            break;
          case 'restoreDone': {
            const src = restoreSource.get(ev.op);
            restoreSource.delete(ev.op);
            if (ev.ok && src !== undefined) measured.restoreMs[src].push(ev.restoreMs);
            if (!ev.ok) failed('restore', ev.error);
            logged(ev.op, t, ev.ok, ev.error, ev.worker);
            core.handleRestoreDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
          case 'executionDone': {
            const info = executeInfo.get(ev.op);
            executeInfo.delete(ev.op);
            if (ev.ok && info !== undefined) measured.dispatchMs.push(Math.max(0, t - info.sentMs - info.workMs));
            if (!ev.ok) failed('execute', ev.error);
            logged(ev.op, t, ev.ok, ev.error, ev.worker);
            core.handleExecutionDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
          case 'checkpointDone': {
            const target = checkpointTarget.get(ev.op);
            checkpointTarget.delete(ev.op);
            if (ev.ok && target !== undefined) measured.checkpointMs[target].push(ev.checkpointMs);
            if (!ev.ok) failed('checkpoint', ev.error);
            logged(ev.op, t, ev.ok, ev.error, ev.worker);
            core.handleCheckpointDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
        }
      });
    };

    const arm = (): void => {
      if (done) return;
      if (armed !== null) clearTimeout(armed);
      // Wake at the scenario's end too, to finish there if all is quiet, and at the end of the drain at the latest.
      const end = last < scenario.durationMs ? scenario.durationMs : scenario.durationMs + drainMs;
      const delay = Math.max(0, Math.min(queue.peekTime(), end) - now());
      armed = setTimeout(() => {
        armed = null;
        step(null);
      }, Math.min(delay, 2 ** 31 - 1));
    };

    const maybeFinish = (): void => {
      if (done) return;
      const quiet = session.arrivalsDone && core.pendingInvocations === 0 && last >= scenario.durationMs;
      const overdue = last >= scenario.durationMs + drainMs;
      if (quiet || overdue || options.signal?.aborted === true) finish(options.signal?.aborted === true);
    };

    const finish = (partial: boolean): void => {
      if (done) return;
      done = true;
      cleanup();
      const endMs = Math.max(now(), partial ? 0 : scenario.durationMs);
      let ended: SessionResult;
      try {
        session.markWarmup(endMs);
        ended = session.end(endMs, events);
      } catch (err) {
        closeAndReject(err);
        return;
      }
      const actors = new Map<string, { state: string; version: number; snapshotVersion: number }>();
      for (const id of core.actorIds()) {
        const v = core.actorView(id)!;
        actors.set(id, { state: v.state, version: v.version, snapshotVersion: v.snapshot.version });
      }
      const result: RealRunResult = {
        policy: ended.policy,
        replies: ended.replies,
        counters: ended.counters,
        totals: ended.totals,
        events: ended.events,
        endMs: ended.endMs,
        warmupMs: ended.warmupMs,
        partial: partial || !session.arrivalsDone,
        measured,
        samples: ended.samples,
        kills,
        actors,
      };
      const before = options.beforeClose?.() ?? Promise.resolve();
      before.catch((err: unknown) => measured.errors.push(`before close: ${String(err)}`)).then(() => runtime.close()).then(
        () => resolve(result),
        (err: unknown) => {
          measured.errors.push(`close: ${String(err)}`);
          resolve(result);
        },
      );
    };

    const cleanup = (): void => {
      if (armed !== null) clearTimeout(armed);
      if (chaos !== null) clearInterval(chaos);
      if (memory !== null) clearInterval(memory);
      options.signal?.removeEventListener('abort', onAbort);
    };

    const onAbort = (): void => {
      if (done) return;
      options.log?.('aborted: ending the run and writing a partial report');
      finish(true);
    };

    try {
      runtime.attach(onEvent);
      options.signal?.addEventListener('abort', onAbort);
      if (options.signal?.aborted === true) {
        onAbort();
        return;
      }
      session.begin();
    } catch (err) {
      fail(err);
      return;
    }
    const killEveryMs = options.killEveryMs ?? 0;
    if (killEveryMs > 0) {
      chaos = setInterval(() => {
        // Faults stop with the traffic, so the drain shows the run converging (TigerBeetle's habit):
        // killing on through it would keep a slow machine from ever finishing the in-flight work.
        if (now() >= scenario.durationMs) {
          if (chaos !== null) clearInterval(chaos);
          chaos = null;
          return;
        }
        const live = runtime.liveWorkers();
        if (live.length === 0) return;
        const w = live[Math.min(live.length - 1, Math.floor(chaosRng() * live.length))]!;
        kills += 1;
        options.log?.(`chaos: killing worker ${w}`);
        runtime.kill(w);
      }, killEveryMs);
    }
    const memoryEveryMs = options.memoryEveryMs ?? 0;
    if (memoryEveryMs > 0) {
      memory = setInterval(() => {
        const atMs = now();
        runtime.sampleMemory().then(
          (workers) => {
            if (!done) measured.memory.push({ atMs, workers });
          },
          (err: unknown) => measured.errors.push(`memory sample: ${String(err)}`),
        );
      }, memoryEveryMs);
    }
    arm();
  });
}
