import type { Io } from './io.ts';
import { UsageError } from './usage-error.ts';

/** An error a command expects: printed as "<command>: <say(message)>" without a stack, exit code 1. */
export interface ExpectedError {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly type: abstract new (...args: any[]) => Error;
  readonly say: (message: string) => string;
}

/** How the shell of one command behaves beyond the common rules. */
export interface ShellOptions {
  /** Errors printed without a stack (exit 1), first match wins; a UsageError always is (exit 2). */
  readonly expected?: readonly ExpectedError[];
  /**
   * Ctrl-C and SIGTERM abort io.signal, printing "<command>: <say(signal)>";
   * a second one exits 130 at once. Without it Node's default handling stays.
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
 * rule from outcome to exit code (main's own code, e.g. 130 interrupted;
 * 2 a usage error; 1 an expected error or anything else, the latter with
 * its stack).
 */
export async function runCli(command: string, main: (argv: readonly string[], io: Io) => Promise<number>, options: ShellOptions = {}): Promise<void> {
  const controller = new AbortController();
  const say = options.onInterrupt;
  if (say !== undefined) {
    let signals = 0;
    const onSignal = (name: string): void => {
      signals += 1;
      if (signals > 1) process.exit(130);
      process.stderr.write(`${command}: ${say(name)}\n`);
      controller.abort();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }
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
    code = err instanceof UsageError && options.driver !== true ? 2 : 1;
    text = `${command}: ${describe(err, options)}\n`;
  }
  if (options.driver === true) {
    process.stderr.write(text, () => process.exit(code));
  } else {
    if (text !== '') process.stderr.write(text);
    process.exitCode = code;
  }
}

function describe(err: unknown, options: ShellOptions): string {
  if (options.driver !== true) {
    if (err instanceof UsageError) return `${err.message}\nRun with --help for the options.`;
    const known = options.expected?.find((e) => err instanceof e.type);
    if (known !== undefined) return known.say((err as Error).message);
  }
  return (err as Error).stack ?? String(err);
}
