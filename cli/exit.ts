/**
 * Exit codes shared by every command (README, "Exit codes"), and what a
 * process does when it must quit at once: a second deliberate Ctrl-C, its
 * parent gone, or an interrupted command that did not stop within its grace.
 */

/** The run completed and every policy set served. */
export const EXIT_OK = 0;
/** The run failed: an error while running, a policy set that served nothing, the snapshot store lost. */
export const EXIT_FAILED = 1;
/** A usage or input error (bad flag, scenario, trace or --out), found before anything ran. */
export const EXIT_USAGE = 2;
/** Interrupted (Ctrl-C, SIGTERM, the parent process gone); a partial report may have been written. */
export const EXIT_INTERRUPTED = 130;

const hooks = new Set<() => void>();

/**
 * Registers a synchronous clean-up (remove a temp folder, kill child
 * processes) to run if the process quits at once; returns its removal, to
 * call once the orderly path has done the same.
 */
export function onQuit(fn: () => void): () => void {
  hooks.add(fn);
  return () => {
    hooks.delete(fn);
  };
}

/** Runs every registered clean-up once, newest first; one that throws does not stop the others. */
export function runQuitHooks(): void {
  for (const fn of [...hooks].reverse()) {
    hooks.delete(fn);
    try {
      fn();
    } catch {
      // Quitting anyway: the next clean-up still runs.
    }
  }
}

/** How long an interrupted command may take to stop in order before it quits at once. */
export const DEFAULT_STOP_GRACE_MS = 20_000;
let stopGrace = DEFAULT_STOP_GRACE_MS;

/** Sets the stop grace: a command whose orderly stop waits on something remote (a cluster namespace) asks for more. */
export function setStopGraceMs(ms: number): void {
  stopGrace = ms;
}

/** The stop grace now in force. */
export function stopGraceMs(): number {
  return stopGrace;
}
