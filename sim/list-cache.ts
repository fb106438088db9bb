import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { COMPILED, entryModule, repoFile } from '../cli/repo.ts';
import { readBoundedFile, realOrSelf, type LoadDependency } from '../scenarios/read-file.ts';

/** What `simulate --list` needs: the scenario file, and whether it may read files outside its folder. */
export interface ListArgs {
  readonly scenario: string;
  readonly allowOutside: boolean;
}

// `simulate --list` without the scenario loader (issue 15): loading yaml and zod and validating
// the scenario is about 300 ms of CPU, most of a listing. A full listing records the policy sets
// it printed with everything the load depended on (LoadOptions.onDependency: the text of every
// file read, the trace files checked, the real paths looked up) and a stamp of the loader's own
// code; a later listing prints them only when all of it still holds, else loads in full. Only a
// load that succeeded is recorded, so every error still comes from the loader itself.
//
// A file is unchanged when its stat (device, inode, size, mtime, ctime) is, as make and git
// assume; a file whose mtime or ctime is within RACY_MS of when its stat was taken may have been
// written again in the same clock tick, so it is compared by content (sha256) instead, as git
// does with a "racily clean" entry. Comparing stats first keeps node:crypto (6-11 ms to import
// here) off the usual path.

/** Where `simulate --list` keeps its listings: dist/.cache/list/ when compiled (each build empties it), none when run from the sources. */
export function defaultListCacheDir(): string | null {
  return COMPILED ? repoFile('dist', '.cache', 'list') : null;
}

/** Files changed this recently before their stat was taken are compared by content. */
const RACY_MS = 2000;
const FORMAT = 1;

interface FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

type Recorded =
  | { readonly kind: 'text'; readonly path: string; readonly sha256: string; readonly stat: FileStat }
  | { readonly kind: 'regular-file'; readonly path: string }
  | { readonly kind: 'real-path'; readonly path: string; readonly real: string };

interface Entry {
  readonly format: typeof FORMAT;
  readonly scenario: string;
  readonly allowOutside: boolean;
  readonly loader: string;
  /** Wall clock before the files' stats were taken. */
  readonly statsAtMs: number;
  readonly dependencies: readonly Recorded[];
  readonly policySets: readonly string[];
}

/** How a ListCache finds the loader's code and the time; tests give their own. */
export interface ListCacheOptions {
  /** The module whose stat stands for the loader's code: each build rewrites every compiled file. Default: scenarios/load as this process runs it. */
  readonly loaderFile?: string;
  readonly nowMs?: () => number;
}

/** The cached listing of one scenario, read and written by `simulate --list`. Never throws: a cache it cannot read or write is a miss. */
export class ListCache {
  private readonly file: string;
  private readonly scenario: string;
  private readonly loader: string | null;
  private readonly nowMs: () => number;

  constructor(
    private readonly dir: string,
    private readonly args: ListArgs,
    options: ListCacheOptions = {},
  ) {
    this.scenario = resolve(args.scenario);
    // The code's stamp is taken before the loader is imported: a build that lands between the
    // two leaves an entry that looks older than it is (a miss later), never the reverse.
    this.loader = fileStamp(options.loaderFile ?? entryModule('scenarios/load.ts'));
    this.nowMs = options.nowMs ?? Date.now;
    const safe = basename(this.scenario).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
    this.file = join(dir, `${safe}-${args.allowOutside ? 'outside' : 'inside'}-${fnv1a(`${this.scenario}\0${args.allowOutside}`)}.json`);
  }

  /** The policy sets the last full listing printed, if everything it depended on is unchanged; else null. */
  async lookup(): Promise<readonly string[] | null> {
    if (this.loader === null) return null;
    const entry = this.readEntry();
    if (entry === null) return null;
    const startedMs = this.nowMs();
    let refreshed: Recorded[] | null = null;
    for (const [i, dep] of entry.dependencies.entries()) {
      if (dep.kind === 'real-path') {
        if (realOrSelf(dep.path) !== dep.real) return null;
      } else if (dep.kind === 'regular-file') {
        if (!isRegularFile(dep.path)) return null;
      } else if (!statUnchanged(dep.path, dep.stat, entry.statsAtMs)) {
        const r = readBoundedFile(dep.path);
        if (!('text' in r) || (await sha256(r.text)) !== dep.sha256) return null;
        refreshed ??= [...entry.dependencies];
        refreshed[i] = { ...dep, stat: statOf(r.stats) };
      }
    }
    // Touched but unchanged (a checkout, an editor saving the same text): their new stats make the next lookup cheap.
    if (refreshed !== null) this.writeEntry({ ...entry, statsAtMs: startedMs, dependencies: refreshed });
    return entry.policySets;
  }

  /**
   * Records the policy sets of a full load that succeeded, with what it depended on. Nothing is
   * recorded when a file it read has changed since (the listing may already be out of date).
   */
  async store(dependencies: readonly LoadDependency[], policySets: readonly string[]): Promise<void> {
    if (this.loader === null) return;
    const statsAtMs = this.nowMs();
    const recorded: Recorded[] = [];
    const seen = new Set<string>();
    for (const dep of dependencies) {
      const key = `${dep.kind}\0${dep.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (dep.kind !== 'text') {
        recorded.push(dep);
        continue;
      }
      // Stat and text of one read, taken after the load: the stat the next lookup compares belongs to the text hashed here.
      const r = readBoundedFile(dep.path);
      if (!('text' in r) || r.text !== dep.text) return;
      recorded.push({ kind: 'text', path: dep.path, sha256: await sha256(r.text), stat: statOf(r.stats) });
    }
    this.writeEntry({ format: FORMAT, scenario: this.scenario, allowOutside: this.args.allowOutside, loader: this.loader, statsAtMs, dependencies: recorded, policySets: [...policySets] });
  }

  private readEntry(): Entry | null {
    let entry: unknown;
    try {
      entry = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return null;
    }
    return isEntry(entry) && entry.scenario === this.scenario && entry.allowOutside === this.args.allowOutside && entry.loader === this.loader ? entry : null;
  }

  /** Written to a temporary file and renamed, so a reader sees a whole entry or none; a folder it cannot write is skipped. */
  private writeEntry(entry: Entry): void {
    const tmp = join(this.dir, `.${basename(this.file)}.${process.pid}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify(entry));
      renameSync(tmp, this.file);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // Nothing was written there either.
      }
    }
  }
}

function statOf(st: Stats): FileStat {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function fileStamp(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return null;
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether `path` still has the stat recorded, and that stat is old enough to be trusted. */
function statUnchanged(path: string, was: FileStat, statsAtMs: number): boolean {
  if (!(Math.max(was.mtimeMs, was.ctimeMs) < statsAtMs - RACY_MS)) return false;
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  return st.isFile() && st.dev === was.dev && st.ino === was.ino && st.size === was.size && st.mtimeMs === was.mtimeMs && st.ctimeMs === was.ctimeMs;
}

async function sha256(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text).digest('hex');
}

/** A short name for a key (FNV-1a, 32 bits); two keys with one name only replace each other's entry, which records its key. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function isEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    e.format === FORMAT &&
    typeof e.scenario === 'string' &&
    typeof e.allowOutside === 'boolean' &&
    typeof e.loader === 'string' &&
    typeof e.statsAtMs === 'number' &&
    Array.isArray(e.policySets) &&
    e.policySets.every((p) => typeof p === 'string') &&
    Array.isArray(e.dependencies) &&
    e.dependencies.every(isRecorded)
  );
}

function isRecorded(v: unknown): v is Recorded {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  if (typeof d.path !== 'string') return false;
  if (d.kind === 'regular-file') return true;
  if (d.kind === 'real-path') return typeof d.real === 'string';
  if (d.kind !== 'text' || typeof d.sha256 !== 'string' || typeof d.stat !== 'object' || d.stat === null) return false;
  const s = d.stat as Record<string, unknown>;
  return ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'].every((k) => typeof s[k] === 'number');
}
