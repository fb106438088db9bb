import { exitQuietlyOnEpipe } from './epipe.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, runQuitHooks, stopGraceMs } from './exit.ts';
import type { Io } from './io.ts';
import { UsageError } from './usage-error.ts';

/** An error a command expects: printed as "<command>: <say(message)>" without a stack, exit code `code` (default 1). */
export interface ExpectedError {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly type: abstract new (...args: any[]) => Error;
  readonly say: (message: string) => string;
  /** Exit code: EXIT_USAGE (2) for bad input found before anything ran; default EXIT_FAILED (1). */
  readonly code?: number;
}

/**
 * Signals this soon after the first count as the same one: a terminal sends
 * Ctrl-C to the whole process group, and npm and tsx, which are in it, relay
 * it to their child again; a deliberate second Ctrl-C comes later.
 */
export const DUPLICATE_SIGNAL_MS = 1000;

/** How the shell of one command behaves beyond the common rules. */
export interface ShellOptions {
  /** Errors printed without a stack (exit 1), first match wins; a UsageError always is (exit 2). */
  readonly expected?: readonly ExpectedError[];
  /**
   * Ctrl-C and SIGTERM abort io.signal, printing "<command>: <say(signal)>";
   * one more after DUPLICATE_SIGNAL_MS, or a stop that takes longer than the
   * stop grace (cli/exit.ts), runs the quit hooks and exits 130 at once.
   * Without it Node's default handling stays.
   */
  readonly onInterrupt?: (signal: string) => string;
  /**
   * Exit as soon as the command settles, once stderr is flushed, and treat
   * every error as a failure with its stack: a driver inside the cluster,
   * whose open handles must not keep its pod alive and whose misuse is a bug.
   */
  readonly driver?: boolean;
}

/**
 * The shell every command's cli.ts is: the process's io, signals, and the
 * rule from outcome to exit code (cli/exit.ts: main's own code, e.g. 130
 * interrupted or 1 a run that failed; 2 a usage error or an expected error
 * marked as bad input; 1 any other expected error, or anything else with its
 * stack).
 */
export async function runCli(command: string, main: (argv: readonly string[], io: Io) => Promise<number>, options: ShellOptions = {}): Promise<void> {
  const controller = new AbortController();
  const say = options.onInterrupt;
  let firstAt = -1;
  const quit = (why: string): void => {
    process.stderr.write(`${command}: ${why}\n`);
    runQuitHooks();
    process.exit(EXIT_INTERRUPTED);
  };
  // Clean-ups left registered (a crash past every finally) still run as the process ends.
  process.once('exit', runQuitHooks);
  const onStop = (name: string): void => {
    if (say === undefined) {
      quit(`${name}: quitting`);
      return;
    }
    const t = performance.now();
    if (firstAt < 0) {
      firstAt = t;
      process.stderr.write(`${command}: ${say(name)}\n`);
      controller.abort();
      const grace = stopGraceMs();
      setTimeout(() => quit(`did not stop within ${Math.round(grace / 1000)} s of ${name}; quitting at once`), grace).unref();
      return;
    }
    // The terminal's Ctrl-C relayed again by npm or tsx: the same request, not a second one.
    if (t - firstAt < DUPLICATE_SIGNAL_MS) return;
    quit(`${name} again: quitting at once`);
  };
  if (say !== undefined) {
    process.on('SIGINT', () => onStop('SIGINT'));
    process.on('SIGTERM', () => onStop('SIGTERM'));
  }
  // Started by another command of this project (fidelity, the local runtime) with a pipe on stdin:
  // the pipe closes when that parent goes, even by SIGKILL, and so does this command.
  const watchParent = process.env.ACTORSIM_EXIT_WITH_PARENT === '1' && options.driver !== true && !process.stdin.isTTY;
  const parentGone = (): void => onStop('the parent process is gone');
  if (watchParent) {
    process.stdin.on('end', parentGone);
    process.stdin.on('error', parentGone);
    process.stdin.resume();
  }
  exitQuietlyOnEpipe();
  const io: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isoNow: () => new Date().toISOString(),
    ...(say === undefined ? {} : { signal: controller.signal }),
  };
  let code: number;
  let text = '';
  try {
    code = await main(process.argv.slice(2), io);
  } catch (err) {
    code = exitCodeOf(err, options);
    text = `${command}: ${describe(err, options)}\n`;
  }
  if (watchParent) {
    process.stdin.off('end', parentGone);
    process.stdin.off('error', parentGone);
    process.stdin.destroy();
  }
  if (options.driver === true) {
    process.stderr.write(text, () => process.exit(code));
  } else {
    if (text !== '') process.stderr.write(text);
    process.exitCode = code;
  }
}

function exitCodeOf(err: unknown, options: ShellOptions): number {
  if (options.driver === true) return EXIT_FAILED;
  if (err instanceof UsageError) return EXIT_USAGE;
  return options.expected?.find((e) => err instanceof e.type)?.code ?? EXIT_FAILED;
}

function describe(err: unknown, options: ShellOptions): string {
  if (options.driver !== true) {
    if (err instanceof UsageError) return `${err.message}\nRun with --help for the options.`;
    const known = options.expected?.find((e) => err instanceof e.type);
    if (known !== undefined) return known.say((err as Error).message);
  }
  return (err as Error).stack ?? String(err);
}
