import { createHash } from 'node:crypto';

/**
 * Names that are safe as store keys, file names and URL path segments: the
 * store maps keys to files and the worker maps actor ids to snapshot files,
 * so a name must never be able to climb out of its directory or need
 * percent-encoding.
 */

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Longest store key accepted, in characters. */
export const MAX_KEY_CHARS = 512;

/** Whether `name` is one safe segment: `[A-Za-z0-9._-]`, 1 to `maxChars` long, no `..`. */
export function isSafeName(name: string, maxChars: number): boolean {
  // '..' anywhere is refused, not only as a whole segment: stricter than needed, never ambiguous.
  return name.length > 0 && name.length <= maxChars && SEGMENT.test(name) && name !== '.' && !name.includes('..');
}

/** Whether `key` is a valid store key: safe segments joined by `/`, no leading `/`, at most 512 characters. */
export function isStoreKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_CHARS) return false;
  return key.split('/').every((segment) => isSafeName(segment, MAX_KEY_CHARS));
}

// File systems cap a name at 255 bytes; a segment this long, with a suffix and a temp-file decoration, still fits.
const MAX_FILE_SEGMENT_CHARS = 200;

/**
 * The file name standing for a safe name: itself when short, else a prefix
 * and a hash (`~` cannot occur in a safe name, so the two forms never meet).
 */
export function fileSegment(name: string): string {
  if (name.length <= MAX_FILE_SEGMENT_CHARS) return name;
  return `${name.slice(0, 160)}~${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}
