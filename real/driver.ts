import { Scheduler } from '../core/scheduler.ts';
import type { RunResult } from '../core/result.ts';
import type { Command, Reply, TimerKind } from '../core/types.ts';
import { sinceWarmup, type WarmupMark } from '../core/warmup.ts';
import { coreConfigFor } from '../scenarios/config.ts';
import { makeRng } from '../scenarios/rng.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import type { Workload } from '../scenarios/workload.ts';
import type { Sample } from '../core/result.ts';

import type { RealRuntime, RuntimeCommand, RuntimeEvent, WorkerMemorySample } from './runtime.ts';
import { TimerHeap } from './timer-heap.ts';

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
}

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
 * same core and policies as the simulator, with one real timer armed for the
 * next arrival or core timer, and events stamped with the clock when they
 * arrive. Time in the core is milliseconds since the run started.
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
    const core = new Scheduler(coreConfigFor(scenario, policy), makeRng(options.seed, 'placement'));
    const chaosRng = makeRng(options.seed, 'chaos');
    const timers = new TimerHeap();
    const replies: Reply[] = [];
    const measured: Measured = {
      workerStartMs: [],
      restoreMs: { cold: [], golden: [], local: [], external: [] },
      checkpointMs: { local: [], external: [] },
      dispatchMs: [],
      memory: [],
      lagMs: [],
      errors: [],
    };
    const restoreSource = new Map<number, 'cold' | 'golden' | 'local' | 'external'>();
    const checkpointTarget = new Map<number, 'local' | 'external'>();
    const executeInfo = new Map<number, { workMs: number; sentMs: number }>();
    const n = workload.arrivalMs.length;
    const drainMs = options.drainMs ?? 60_000;
    const samples: Sample[] = [];
    const sampleEveryMs = options.sampleEveryMs ?? 0;
    // Slot k of the time series is due at k * sampleEveryMs; Infinity once past the scenario's end.
    let sampleSlot = 0;
    let nextSampleAt = sampleEveryMs > 0 ? 0 : Number.POSITIVE_INFINITY;
    const warmupMs = scenario.warmupMs;
    let atWarmup: WarmupMark | null = null;
    let next = 0;
    let events = 0;
    let kills = 0;
    let done = false;
    let armed: NodeJS.Timeout | null = null;
    let chaos: NodeJS.Timeout | null = null;
    let memory: NodeJS.Timeout | null = null;

    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      cleanup();
      runtime.close().then(
        () => reject(err),
        () => reject(err),
      );
    };

    const execute = (cmds: Command[]): void => {
      for (const cmd of cmds) {
        switch (cmd.kind) {
          case 'setTimer':
            timers.push(cmd.atMs, cmd.timer, cmd.id, cmd.stamp);
            break;
          case 'reply':
            replies.push(cmd);
            break;
          case 'restore':
            restoreSource.set(cmd.op, cmd.source);
            runtime.run(cmd);
            break;
          case 'checkpoint':
            checkpointTarget.set(cmd.op, cmd.target);
            runtime.run(cmd);
            break;
          case 'execute':
            executeInfo.set(cmd.op, { workMs: cmd.workMs, sentMs: now() });
            runtime.run(cmd);
            break;
          default:
            runtime.run(cmd as RuntimeCommand);
        }
      }
    };

    /**
     * As the simulator's warm-up event: the cost integrals and counters as
     * they were at the end of the warm-up, subtracted at the end. Called
     * before every input to the core, so the core's clock is still at or
     * before the warm-up's end when the integrals are advanced to it.
     */
    const markWarmup = (t: number): void => {
      if (atWarmup !== null || !(warmupMs > 0) || t < warmupMs) return;
      core.accounting.advance(warmupMs);
      atWarmup = { totals: { ...core.accounting.totals }, counters: { ...core.counters } };
    };

    /** Takes the time series' sample when its slot is due; slots missed by a late wake-up are skipped, not repeated. */
    const sample = (t: number): void => {
      if (t < nextSampleAt) return;
      const g = core.accounting.gauges();
      samples.push({ timeMs: t, workers: g.workers, resident: g.resident, parked: core.parked });
      while (sampleSlot * sampleEveryMs <= t) sampleSlot += 1;
      nextSampleAt = sampleSlot * sampleEveryMs;
      if (nextSampleAt > scenario.durationMs) nextSampleAt = Number.POSITIVE_INFINITY;
    };

    const step = (input: (t: number) => void): void => {
      if (done) return;
      try {
        const t = now();
        sample(t);
        markWarmup(t);
        input(t);
        events += 1;
        execute(core.takeCommands());
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
            measured.workerStartMs.push(ev.startMs);
            core.handleWorkerReady(t, ev.worker);
            break;
          case 'workerLost':
            options.log?.(`worker ${ev.worker} lost: ${ev.why}`);
            core.handleWorkerLost(t, ev.worker);
            break;
          case 'restoreDone': {
            const src = restoreSource.get(ev.op);
            restoreSource.delete(ev.op);
            if (ev.ok && src !== undefined) measured.restoreMs[src].push(ev.restoreMs);
            if (!ev.ok && ev.error !== undefined) measured.errors.push(`restore: ${ev.error}`);
            core.handleRestoreDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
          case 'executionDone': {
            const info = executeInfo.get(ev.op);
            executeInfo.delete(ev.op);
            if (ev.ok && info !== undefined) measured.dispatchMs.push(Math.max(0, t - info.sentMs - info.workMs));
            if (!ev.ok && ev.error !== undefined) measured.errors.push(`execute: ${ev.error}`);
            core.handleExecutionDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
          case 'checkpointDone': {
            const target = checkpointTarget.get(ev.op);
            checkpointTarget.delete(ev.op);
            if (ev.ok && target !== undefined) measured.checkpointMs[target].push(ev.checkpointMs);
            if (!ev.ok && ev.error !== undefined) measured.errors.push(`checkpoint: ${ev.error}`);
            core.handleCheckpointDone(t, ev.actorIndex, ev.op, ev.ok);
            break;
          }
        }
      });
    };

    /** Feeds every arrival and timer that is due. */
    const tick = (): void => {
      armed = null;
      step((t) => {
        // Arrivals and timers due by now, in time order; each stamped with the clock.
        for (;;) {
          const arrivalAt = next < n ? workload.arrivalMs[next]! : Number.POSITIVE_INFINITY;
          const timerAt = timers.peekTime();
          const due = Math.min(arrivalAt, timerAt);
          if (due > t) break;
          const stamp = now();
          measured.lagMs.push(stamp - due);
          markWarmup(stamp);
          if (arrivalAt <= timerAt) {
            const a = workload.actor[next]!;
            core.handleInvocation(stamp, { id: next, actor: workload.actorNames[a]!, template: workload.actorTemplates[a]!, workMs: workload.workMs[next]! });
            next += 1;
          } else {
            timers.pop();
            core.handleTimer(stamp, timers.kind as TimerKind, timers.id, timers.stamp);
          }
          execute(core.takeCommands());
        }
      });
    };

    const arm = (): void => {
      if (done) return;
      if (armed !== null) clearTimeout(armed);
      const arrivalAt = next < n ? workload.arrivalMs[next]! : Number.POSITIVE_INFINITY;
      // Wake at the scenario's end too, to finish there if all is quiet, and at the end of the drain at the latest.
      const end = last < scenario.durationMs ? scenario.durationMs : scenario.durationMs + drainMs;
      const at = Math.min(arrivalAt, timers.peekTime(), end, nextSampleAt);
      const delay = Math.max(0, at - now());
      armed = setTimeout(tick, Math.min(delay, 2 ** 31 - 1));
    };

    const maybeFinish = (): void => {
      if (done) return;
      const t = last;
      const allFed = next >= n;
      const quiet = allFed && core.pendingInvocations === 0 && t >= scenario.durationMs;
      const overdue = t >= scenario.durationMs + drainMs;
      if (quiet || overdue || options.signal?.aborted === true) finish(options.signal?.aborted === true);
    };

    const finish = (partial: boolean): void => {
      if (done) return;
      done = true;
      cleanup();
      const endMs = Math.max(now(), partial ? 0 : scenario.durationMs);
      try {
        markWarmup(endMs);
        if (core.pendingInvocations > 0 || next < n) {
          core.handleEnd(endMs);
          for (const c of core.takeCommands()) if (c.kind === 'reply') replies.push(c);
        }
        core.accounting.advance(endMs);
      } catch (err) {
        runtime.close().then(() => reject(err), () => reject(err));
        return;
      }
      const actors = new Map<string, { state: string; version: number; snapshotVersion: number }>();
      for (const id of core.actorIds()) {
        const v = core.actorView(id)!;
        actors.set(id, { state: v.state, version: v.version, snapshotVersion: v.snapshot.version });
      }
      // Costs and counts from the end of the warm-up, as the simulator reports them; peaks stay whole-run maxima.
      const { totals, counters } = sinceWarmup(core.accounting.totals, core.counters, atWarmup);
      const result: RealRunResult = {
        policy: policy.name,
        replies,
        counters,
        totals,
        events,
        endMs,
        warmupMs: scenario.warmupMs,
        partial: partial || next < n,
        measured,
        samples,
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
      core.start(0);
      for (let i = 0; i < workload.actorNames.length; i++) core.handleActorCreated(0, workload.actorNames[i]!, workload.actorTemplates[i]!);
      execute(core.takeCommands());
      // The time series starts at 0, as the simulator's does.
      sample(0);
    } catch (err) {
      fail(err);
      return;
    }
    const killEveryMs = options.killEveryMs ?? 0;
    if (killEveryMs > 0) {
      chaos = setInterval(() => {
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
