import { readFileSync } from 'node:fs';
import { repoFile } from './repo.ts';

/** Where a command writes, and its wall clock; the shell passes the process's, tests their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Wall-clock time, ISO 8601: run stamps and default folder names only. */
  isoNow(): string;
  /** Aborted on Ctrl-C or SIGTERM, for a command that can stop early (see the shell's onInterrupt). */
  readonly signal?: AbortSignal;
}

/** The harness version, from package.json; run.json and the k8s run plan record it. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(repoFile('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
