import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecuteMode } from './api.ts';

// A CPU burn runs in slices with a turn of the event loop between them, so
// the worker keeps answering (health checks, other actors) and concurrent
// CPU executions share the process the way threads share a core.
const CPU_SLICE_MS = 10;

/**
 * Does an invocation's work: `sleep` waits `workMs` on a timer; `cpu` spins
 * until the invocation has had `workMs` of slices, so with several actors
 * burning at once each takes longer in wall time, as on a shared core.
 * `stop` ends the work early (its client went away).
 */
export async function doWork(workMs: number, mode: ExecuteMode, stop?: AbortSignal): Promise<void> {
  if (stop?.aborted) return;
  if (mode === 'sleep') {
    // Resolves early when stopped; the caller checks the signal.
    await sleep(workMs, undefined, stop === undefined ? {} : { signal: stop }).catch((err: unknown) => {
      if (!stop?.aborted) throw err;
    });
    return;
  }
  let burnedMs = 0;
  let sink = 0;
  while (burnedMs < workMs && stop?.aborted !== true) {
    const sliceMs = Math.min(CPU_SLICE_MS, workMs - burnedMs);
    const start = performance.now();
    let now = start;
    while (now - start < sliceMs) {
      for (let i = 0; i < 1000; i++) sink = (sink * 1664525 + 1013904223) >>> 0;
      now = performance.now();
    }
    burnedMs += now - start;
    await new Promise((resolveTurn) => setImmediate(resolveTurn));
  }
  // Keeps the loop from being optimised away.
  if (sink === -1) throw new Error('unreachable');
}
