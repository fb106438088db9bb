import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file is either cli/repo.ts, run from the sources (tsx, vitest), or
// dist/cli/repo.js, compiled by `npm run build` (tsconfig.build.json): one
// level deeper. Data files (scenarios/*.yaml, cost profiles, package.json)
// stay in the repository and are never copied to dist/, so every path to
// them is taken from here rather than from the importing module's own URL.
const HERE = import.meta.url;

/** True when the project runs compiled from dist/ (npm run simulate and the other commands), false from its TypeScript sources. */
export const COMPILED = HERE.endsWith('.js');

/** The repository's root folder, with a trailing separator. */
export const REPO_ROOT = fileURLToPath(new URL(COMPILED ? '../../' : '../', HERE));

/** A file of the repository (data, not code), from its path relative to the root: `repoFile('scenarios', 'default.yaml')`. */
export function repoFile(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** The module of a TypeScript entry point (`sim/study-worker.ts`) as this process runs it: the compiled file under dist/, or the source. */
export function entryModule(sourcePath: string): string {
  return COMPILED ? join(REPO_ROOT, 'dist', sourcePath.replace(/\.ts$/, '.js')) : join(REPO_ROOT, sourcePath);
}

/**
 * Node's arguments to run an entry point (`real/worker/main.ts`) in a child
 * process the way this process runs: its compiled file when compiled, else
 * the source with tsx as the loader (no npm or tsx wrapper process to orphan).
 */
export function entryArgs(sourcePath: string): string[] {
  return COMPILED ? [entryModule(sourcePath)] : ['--import', 'tsx', entryModule(sourcePath)];
}
