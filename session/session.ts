import type { Sample, RunResult } from '../core/result.ts';
import { Scheduler, type OutcomeSink } from '../core/scheduler.ts';
import { TIMER_CODES, TIMER_KINDS, type Command, type Reply, type TimerKind } from '../core/types.ts';
import { sinceWarmup, type WarmupMark } from './warmup.ts';
import { coreConfigFor } from '../scenarios/config.ts';
import { makeRng } from '../scenarios/rng.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import { workloadCursor, type ArrivalCursor, type Workload, type WorkloadStream } from '../scenarios/workload.ts';
import type { EventQueue } from './event-queue.ts';
import { ReplyLog, replyToSink } from './reply-log.ts';

// Event kinds of the session, in the heap both shells share; payload slots a, b, c as noted.
/** The next invocation of the workload; a: its index. */
export const ARRIVAL = 0;
/** A timer the core asked for; a: timer code, b: id, c: stamp. */
export const TIMER = 1;
/** A slot of the time series. */
export const SAMPLE = 2;
/** The end of the warm-up: cost integrals and counters restart from here. */
export const WARMUP = 3;
/** The first kind a shell may use for events of its own (completions of its runtime). */
export const SHELL_KINDS = 4;

/** bench:cluster's driver goes on at least this long after the scenario's end for what is pending. */
export const DRIVER_DRAIN_MIN_MS = 10_000;

/**
 * How long a real run's driver goes on after the (compressed) scenario's end
 * before what still waits ends as run-ended: the scenario's `drain`, else
 * max(10 s, its duration).
 */
export function driverDrainMs(scenario: Pick<Scenario, 'durationMs' | 'drainMs'>): number {
  return scenario.drainMs ?? Math.max(DRIVER_DRAIN_MIN_MS, scenario.durationMs);
}

/** How long a simulation goes on after the scenario's end for what is pending: the scenario's `drain`, else max(1 h, its duration). */
export function simDrainMs(scenario: Pick<Scenario, 'durationMs' | 'drainMs'>): number {
  return scenario.drainMs ?? Math.max(3_600_000, scenario.durationMs);
}

/** Commands a runtime carries out (everything but timers and replies, which the session keeps). */
export type RuntimeCommand = Extract<Command, { kind: 'startWorker' | 'stopWorker' | 'restore' | 'execute' | 'checkpoint' }>;

/** What carries out the commands the session does not keep: the simulated runtime, or the real driver's. */
export interface CommandRunner {
  run(cmd: RuntimeCommand, nowMs: number): void;
}

/** Options of a session. */
export interface SessionOptions {
  /** Seed of the run's random streams; the core's placement stream is drawn from it. */
  readonly seed: number;
  /** Time-series sampling interval; 0 disables. */
  readonly sampleEveryMs: number;
  /** Called with every command the core emits (for tests and traces). */
  readonly onCommand?: (nowMs: number, cmd: Command) => void;
  /**
   * Where outcomes go. Given, the result's `replies` is empty and the sink has
   * them (a ReplyLog for all of them as columns, a ReplyDigest for the
   * statistics and a sample at any scale); absent, they are kept as columns (ReplyLog) and `replies` builds the
   * objects when first read.
   */
  readonly replies?: OutcomeSink;
}

/** What every run produces, whichever shell ran it. */
export interface SessionResult extends RunResult {
  readonly replies: Reply[];
  readonly samples: Sample[];
  readonly seed: number;
}

/** TIMER_CODES[kind] as a switch: a keyed lookup by string on every timer costs more than the rest of its push. */
function timerCode(kind: TimerKind): number {
  switch (kind) {
    case 'idle':
      return TIMER_CODES.idle;
    case 'park':
      return TIMER_CODES.park;
    case 'stop':
      return TIMER_CODES.stop;
    case 'retry':
      return TIMER_CODES.retry;
    case 'prewarm':
      return TIMER_CODES.prewarm;
    case 'scale':
      return TIMER_CODES.scale;
  }
}

/**
 * One run of one policy set, shared by the simulator and the real driver:
 * the core, its actors, the arrivals, the core's timers, the time series and
 * the warm-up, all as events in one heap; the outcomes; the result. The
 * shells differ only in how they wait for the next event (virtual time, or a
 * real timer) and in who carries out the runtime's commands.
 *
 * Call order: `new RunSession(..., queue, ...)` over the shell's heap; `begin()`; then, for each event popped from `queue` at time t,
 * `handle(t)` for the session's kinds (a shell handles its own kinds, and
 * feeds completions to `core` directly), then `execute(t)`; last `end(endMs,
 * events)`. A real shell calls `markWarmup(t)` before every input, since its
 * inputs are stamped with the clock rather than their time in the heap.
 */
export class RunSession {
  readonly core: Scheduler;
  readonly samples: Sample[] = [];
  /** True once every invocation of the workload has been handed to the core. */
  arrivalsDone = false;
  /** Invocations handed to the core so far. */
  arrived = 0;
  private readonly arrivals: ArrivalCursor;
  private readonly log: ReplyLog | null;
  private readonly sink: OutcomeSink;
  private readonly runCommand: (cmd: Command) => void;
  private atWarmup: WarmupMark | null = null;
  private nowMs = 0;
  private actorIndex: Map<string, number> | null = null;
  /** Whether the core numbers the workload's actors as the workload does (set by begin). */
  private byIndex = false;
  // One input object for every arrival: the core copies what it needs.
  private readonly input = { id: 0, actor: '', template: '', workMs: 0 };

  constructor(
    private readonly scenario: Scenario,
    private readonly policy: PolicySet,
    private readonly workload: Workload | WorkloadStream,
    /** The run's one event heap: the session's events and the shell's own. */
    readonly queue: EventQueue,
    private readonly options: SessionOptions,
    runtime: CommandRunner,
  ) {
    this.core = new Scheduler(coreConfigFor(scenario, policy), makeRng(options.seed, 'placement'));
    const streamed = 'open' in workload;
    // Invocations one at a time, whichever form the workload has: the heap holds the next one only.
    this.arrivals = streamed ? workload.open() : workloadCursor(workload);
    this.log = options.replies === undefined ? new ReplyLog(workload.actorNames, streamed ? workload.size : workload.arrivalMs.length) : null;
    this.sink = options.replies ?? this.log!;
    const onCommand = options.onCommand;
    // Outcomes go straight to the sink, no reply objects, unless someone watches the commands go by.
    if (onCommand === undefined) this.core.replyTo(this.sink);
    const indexOf = (name: string): number => {
      this.actorIndex ??= new Map(workload.actorNames.map((a, i) => [a, i]));
      return this.actorIndex.get(name)!;
    };
    // Made once and handed to drainCommands after every input.
    this.runCommand = (cmd: Command): void => {
      const nowMs = this.nowMs;
      if (onCommand !== undefined) onCommand(nowMs, cmd);
      switch (cmd.kind) {
        case 'setTimer': {
          const code = timerCode(cmd.timer);
          // Idle timers mostly come at a constant delay (a TTL): the heap's FIFO lane.
          if (code === TIMER_CODES.idle) queue.pushFifo(Math.max(nowMs, cmd.atMs), TIMER, code, cmd.id, cmd.stamp);
          else queue.push(Math.max(nowMs, cmd.atMs), TIMER, code, cmd.id, cmd.stamp);
          break;
        }
        case 'reply':
          replyToSink(this.sink, cmd, indexOf);
          break;
        default:
          runtime.run(cmd, nowMs);
      }
    };
  }

  /** Starts the core at 0, creates the workload's actors and queues the first arrival, sample and warm-up end. */
  begin(): void {
    const { core, queue, workload } = this;
    core.start(0);
    let inOrder = true;
    for (let i = 0; i < workload.actorNames.length; i++) {
      if (core.handleActorCreated(0, workload.actorNames[i]!, workload.actorTemplates[i]!) !== i) inOrder = false;
    }
    // Created in workload order, so the core numbers actors as the workload does and arrivals pass the
    // index alone; a workload naming an actor twice (the core keeps the first) gets names and hints.
    this.byIndex = inOrder;
    this.execute(0);
    this.arrivalsDone = !this.arrivals.next();
    if (!this.arrivalsDone) queue.push(this.arrivals.arrivalMs, ARRIVAL, 0, 0, 0);
    if (this.options.sampleEveryMs > 0) queue.push(0, SAMPLE, 0, 0, 0);
    if (this.scenario.warmupMs > 0) queue.push(this.scenario.warmupMs, WARMUP, 0, 0, 0);
  }

  /** Handles the event last popped from `queue` (one of the session's kinds) at `t`, its time or later. */
  handle(t: number): void {
    const q = this.queue;
    switch (q.kind) {
      case ARRIVAL: {
        const arrivals = this.arrivals;
        const actor = arrivals.actor;
        this.arrived += 1;
        if (this.byIndex) {
          this.core.handleInvocationOf(t, actor, q.a, arrivals.workMs);
        } else {
          const input = this.input;
          input.id = q.a;
          input.actor = this.workload.actorNames[actor]!;
          input.template = this.workload.actorTemplates[actor]!;
          input.workMs = arrivals.workMs;
          this.core.handleInvocation(t, input, actor);
        }
        if (arrivals.next()) q.push(arrivals.arrivalMs, ARRIVAL, q.a + 1, 0, 0);
        else this.arrivalsDone = true;
        break;
      }
      case TIMER:
        this.core.handleTimer(t, TIMER_KINDS[q.a]!, q.b, q.c);
        break;
      case WARMUP:
        this.markWarmup(t);
        break;
      case SAMPLE: {
        const g = this.core.accounting.gauges();
        // Stamped with its slot: a late wake-up takes the slot's sample late; slots it missed are skipped, not repeated.
        const slotMs = q.timeMs;
        this.samples.push({ timeMs: slotMs, workers: g.workers, resident: g.resident, parked: this.core.parked });
        let next = slotMs + this.options.sampleEveryMs;
        while (next <= t) next += this.options.sampleEveryMs;
        if (next <= this.scenario.durationMs) q.push(next, SAMPLE, 0, 0, 0);
        break;
      }
    }
  }

  /** Carries out the commands of the last input, at `t`. */
  execute(t: number): void {
    this.nowMs = t;
    this.core.drainCommands(this.runCommand);
  }

  /**
   * Marks the end of the warm-up once `t` reaches it: the cost integrals and
   * counters as they were then, subtracted at the end. Called before an input
   * at `t`, so the core's clock is still at or before the warm-up's end.
   */
  markWarmup(t: number): void {
    const warmupMs = this.scenario.warmupMs;
    if (this.atWarmup !== null || !(warmupMs > 0) || t < warmupMs) return;
    const core = this.core;
    core.accounting.advance(warmupMs);
    this.atWarmup = { totals: { ...core.accounting.totals }, counters: { ...core.counters } };
  }

  /**
   * Ends the run at `endMs`: what still waits gets its outcome (run-ended),
   * the cost integrals run to the end, and costs and counts are reported from
   * the end of the warm-up (peaks stay whole-run maxima).
   */
  end(endMs: number, events: number): SessionResult {
    const core = this.core;
    if (core.pendingInvocations !== 0) {
      core.handleEnd(endMs);
      this.execute(endMs);
    }
    core.accounting.advance(endMs);
    const { totals, counters } = sinceWarmup(core.accounting.totals, core.counters, this.atWarmup);
    const log = this.log;
    let replies: Reply[] | null = null;
    return {
      policy: this.policy.name,
      // Built on first read: most of a large run's consumers want statistics, not ten objects per invocation.
      get replies(): Reply[] {
        replies ??= log === null ? [] : log.toReplies();
        return replies;
      },
      counters,
      totals,
      events,
      endMs,
      warmupMs: this.scenario.warmupMs,
      samples: this.samples,
      seed: this.options.seed,
    };
  }
}
