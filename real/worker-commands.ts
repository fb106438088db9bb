import type { RuntimeEvent, WorkerSide } from './runtime.ts';
import type { RuntimeCommand } from '../session/session.ts';
import type { ExecuteMode } from './worker/api.ts';
import type { WorkerClient } from './worker/client.ts';
import type { GrantMinter } from './store/grants.ts';

/** The commands that are one request to a worker's HTTP API. */
export type WorkerRequestCommand = Extract<RuntimeCommand, { kind: 'restore' | 'execute' | 'checkpoint' }>;

/**
 * Runs a request on a worker and reports how it went; a runtime decides what
 * a worker that is gone means (local: its process exited; k8s: its pod went).
 */
export type CallWorker = <T>(worker: number, request: (c: WorkerClient) => Promise<T>, done: (ok: boolean, ms: number, error?: string, answer?: T) => void) => void;

export interface WorkerRequestContext {
  /** The runtime's name, for errors. */
  readonly runtime: string;
  readonly call: CallWorker;
  readonly emit: (event: RuntimeEvent) => void;
  /** Memory of each template, the size of the region a restore builds. */
  readonly templateMemoryMiB: Readonly<Record<string, number>>;
  readonly execMode: ExecuteMode;
  /** Mints the store grant each restore and checkpoint request carries, a fresh one per request; workers never hold the store's secret. */
  readonly grants: GrantMinter;
}

/**
 * Carries out restore, execute or checkpoint as the worker request it is, and
 * maps the answer to the event the core expects. Shared by every runtime, so
 * the local processes and the pods speak to workers the same way.
 *
 * Store grants are single-use (store/grant-ledger.ts), so each is minted
 * inside the request function, once per request sent: a retry, whether the
 * core's (a new command) or a runtime's calling `request` again, carries a
 * fresh grant instead of replaying a spent one.
 */
export function runWorkerRequest(cmd: WorkerRequestCommand, ctx: WorkerRequestContext): void {
  const failure = (error: string | undefined) => (error === undefined ? {} : { error });
  // The worker's own account of an answered request, for primitives.csv.
  const side = (ms: number | undefined, phases?: Readonly<Record<string, number>>): { worker?: WorkerSide } =>
    ms === undefined ? {} : { worker: phases === undefined ? { ms } : { ms, phases } };
  switch (cmd.kind) {
    case 'restore': {
      const memoryMiB = ctx.templateMemoryMiB[cmd.template];
      if (memoryMiB === undefined) throw new Error(`${ctx.runtime} runtime: unknown template "${cmd.template}"`);
      // The one key this restore may touch: the actor's own snapshot, or its template's golden one (written on first use).
      const grant = (): { storeGrant?: string } =>
        cmd.source === 'cold' ? {} : { storeGrant: cmd.source === 'golden' ? ctx.grants.mint('rw', `golden/${cmd.template}`) : ctx.grants.mint('r', `actors/${cmd.actor}`) };
      const body = { template: cmd.template, memoryMiB, source: cmd.source, version: cmd.version };
      ctx.call(cmd.worker, (c) => c.restore(cmd.actor, { ...body, ...grant() }), (ok, ms, error, answer) =>
        ctx.emit({ kind: 'restoreDone', actorIndex: cmd.actorIndex, op: cmd.op, ok, restoreMs: ms, ...failure(error), ...side(answer?.restoreMs) }),
      );
      return;
    }
    case 'execute': {
      const body = { invocation: cmd.invocation, workMs: cmd.workMs, mode: ctx.execMode };
      ctx.call(cmd.worker, (c) => c.execute(cmd.actor, body), (ok, ms, error, answer) =>
        ctx.emit({ kind: 'executionDone', actorIndex: cmd.actorIndex, op: cmd.op, ok, execMs: ms, ...failure(error), ...side(answer?.execMs) }),
      );
      return;
    }
    case 'checkpoint': {
      const grant = (): { storeGrant?: string } => (cmd.target === 'external' ? { storeGrant: ctx.grants.mint('w', `actors/${cmd.actor}`) } : {});
      const body = { target: cmd.target, version: cmd.version };
      ctx.call(cmd.worker, (c) => c.checkpoint(cmd.actor, { ...body, ...grant() }), (ok, ms, error, answer) =>
        ctx.emit({ kind: 'checkpointDone', actorIndex: cmd.actorIndex, op: cmd.op, ok, checkpointMs: ms, ...failure(error), ...side(answer?.checkpointMs, answer?.phases) }),
      );
      return;
    }
  }
}
