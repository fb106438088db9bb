import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { countText } from './bounds.ts';
import { MAX_SCENARIO_FILE_BYTES } from './limits.ts';

// How the scenario loader reads a file, apart from the loader (yaml, zod) so that what checks a
// listing cache (sim/list-cache.ts) can read a file the same way without loading the loader.

/** What a stat found, as a loader's problem message words it ("is a folder, not a regular file"). */
export function statKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

const READ_CHUNK_BYTES = 1 << 16;

/**
 * Reads a regular file of at most MAX_SCENARIO_FILE_BYTES, or says why not,
 * without reading anything else: the type and size are checked before the
 * file is opened (a FIFO would block for ever, /dev/zero never ends), the
 * file is opened non-blocking and checked again on the descriptor (it may
 * have been swapped since), and the read stops one byte past the cap. `stats`
 * is the descriptor's, taken before the read.
 */
export function readBoundedFile(path: string): { text: string; stats: Stats } | { problem: string } {
  const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return { problem: `cannot be read: ${code(err)}` };
  }
  const tooBig = (bytes: number): string => `is ${countText(bytes)} bytes, more than the ${countText(MAX_SCENARIO_FILE_BYTES)} a scenario, profile or included file may have`;
  if (!st.isFile()) return { problem: `is ${statKind(st)}, not a regular file` };
  if (st.size > MAX_SCENARIO_FILE_BYTES) return { problem: tooBig(st.size) };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { problem: `cannot be read: ${code(err)}` };
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) return { problem: `is ${statKind(fst)}, not a regular file` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_SCENARIO_FILE_BYTES) return { problem: tooBig(total) };
    }
    return { text: Buffer.concat(chunks, total).toString('utf8'), stats: fst };
  } catch (err) {
    return { problem: `cannot be read: ${code(err)}` };
  } finally {
    closeSync(fd);
  }
}

/** The real path of `path` (symbolic links resolved), or `path` itself when it has none (it does not exist). */
export function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Something a scenario load's result depends on besides the loader's own
 * code: the text of a file it read (the scenario, an include, a cost
 * profile), a file it only checked to be a regular file (a trace, streamed
 * later), or the real path it found for a path (where files may be read
 * from). Paths are absolute.
 */
export type LoadDependency =
  | { readonly kind: 'text'; readonly path: string; readonly text: string }
  | { readonly kind: 'regular-file'; readonly path: string }
  | { readonly kind: 'real-path'; readonly path: string; readonly real: string };
