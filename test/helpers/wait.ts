/**
 * Waiting in tests that hold on a busy machine: a test waits for a condition,
 * never for a fixed time, and the ceiling of a wait only turns a hang into a
 * failure. On a 2-core machine at a load average of 20-280 a child process
 * takes tens of seconds to start, so ceilings are minutes, not seconds.
 */
import type { ChildProcess } from 'node:child_process';

/** Ceiling of every condition wait in the tests: long enough for any loaded machine, short enough to end a hang. */
export const WAIT_CEILING_MS = 300_000;

/** Between two probes of a condition. */
const POLL_MS = 50;

/**
 * Polls `probe` until it returns a value other than undefined, false or null,
 * and returns that value; throws naming `what` when `ceilingMs` has passed.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, ceilingMs = WAIT_CEILING_MS): Promise<T> {
  const deadline = performance.now() + ceilingMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`waited ${Math.round(ceilingMs / 1000)} s for ${what}, in vain`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Waits for `child` to exit and returns its code; SIGKILLs it (code null) past the ceiling, so a hang fails
 * instead of stalling the run. `child` must be the real process (`node --import tsx entry.ts`), not the tsx
 * or npm wrapper: a wrapper does not relay SIGKILL and its node child would live on as an orphan.
 */
export function exitCode(child: ChildProcess, ceilingMs = WAIT_CEILING_MS): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), ceilingMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
