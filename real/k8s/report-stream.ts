import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * How the driver Job hands its report back: as lines of its log, which the
 * launcher reads through the API server (the only channel that needs no
 * port, volume or credentials beyond reading pod logs). Each file is
 * gzipped, base64'd and cut into short lines, every line starting with
 * {@link REPORT_PREFIX}, so the driver's own progress lines can interleave
 * freely and the launcher passes them through. Each file carries its sha256;
 * the stream ends with a DONE line naming the file count, so a driver killed
 * halfway is told apart from a complete report.
 *
 *   @@actorsim-report BEGIN <name> <bytes> <sha256>
 *   @@actorsim-report D <base64 chunk>
 *   @@actorsim-report END <name>
 *   @@actorsim-report DONE <files>
 */

/** Prefix of every line of the report stream. */
export const REPORT_PREFIX = '@@actorsim-report ';

// Well under the 16 KiB at which container runtimes split log lines.
const CHUNK_CHARS = 76 * 16;

/** The report stream of `files` (name → content), as lines without newlines. */
export function encodeReport(files: Readonly<Record<string, string>>): string[] {
  const lines: string[] = [];
  const names = Object.keys(files);
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`report file name "${name}" is not [A-Za-z0-9._-]+`);
    const body = Buffer.from(files[name]!, 'utf8');
    const sha256 = createHash('sha256').update(body).digest('hex');
    lines.push(`${REPORT_PREFIX}BEGIN ${name} ${body.length} ${sha256}`);
    const packed = gzipSync(body).toString('base64');
    for (let at = 0; at < packed.length; at += CHUNK_CHARS) lines.push(`${REPORT_PREFIX}D ${packed.slice(at, at + CHUNK_CHARS)}`);
    lines.push(`${REPORT_PREFIX}END ${name}`);
  }
  lines.push(`${REPORT_PREFIX}DONE ${names.length}`);
  return lines;
}

/** A report stream that broke: a corrupt file, or lines out of order. */
export class ReportStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportStreamError';
  }
}

/** Reads a report stream back, line by line, from a log that also holds other lines. */
export class ReportDecoder {
  private readonly decoded = new Map<string, string>();
  private current: { name: string; bytes: number; sha256: string; chunks: string[] } | null = null;
  private finished = false;

  /** Takes one log line (without its newline); false when it is not part of the report (pass it on). */
  feed(line: string): boolean {
    const at = line.indexOf(REPORT_PREFIX);
    // Some runtimes prefix log lines (timestamps); the marker may start mid-line.
    if (at < 0) return false;
    const [verb, ...rest] = line.slice(at + REPORT_PREFIX.length).trim().split(' ');
    switch (verb) {
      case 'BEGIN': {
        const [name, bytes, sha256] = rest;
        if (name === undefined || bytes === undefined || sha256 === undefined) throw new ReportStreamError(`bad BEGIN line: ${line}`);
        // A log read again from its start repeats files: the later copy wins.
        this.current = { name, bytes: Number(bytes), sha256, chunks: [] };
        return true;
      }
      case 'D':
        if (this.current === null) throw new ReportStreamError('report data outside a file');
        this.current.chunks.push(rest.join(''));
        return true;
      case 'END': {
        const cur = this.current;
        if (cur === null || cur.name !== rest[0]) throw new ReportStreamError(`END of ${rest[0] ?? '?'} without its BEGIN`);
        const body = gunzipSync(Buffer.from(cur.chunks.join(''), 'base64'));
        const sha256 = createHash('sha256').update(body).digest('hex');
        if (body.length !== cur.bytes || sha256 !== cur.sha256) {
          throw new ReportStreamError(`report file ${cur.name} arrived corrupt (${body.length} bytes, sha256 ${sha256}; expected ${cur.bytes}, ${cur.sha256})`);
        }
        this.decoded.set(cur.name, body.toString('utf8'));
        this.current = null;
        return true;
      }
      case 'DONE': {
        const count = Number(rest[0]);
        if (count !== this.decoded.size) throw new ReportStreamError(`report ended with ${this.decoded.size} of ${count} files`);
        this.finished = true;
        return true;
      }
      default:
        throw new ReportStreamError(`unknown report line: ${line}`);
    }
  }

  /** Whether the DONE line arrived with every file. */
  get done(): boolean {
    return this.finished;
  }

  /** The files decoded so far. */
  files(): Record<string, string> {
    return Object.fromEntries(this.decoded);
  }
}
