/** A problem with a trace file (unreadable, malformed, or holding an invalid value), located by file and line. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  /** The file as the caller named it. */
  readonly file: string;
  /** 1-based line of the offending record; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** 1-based character column of the offending field on its line; 0 when not known. */
  readonly column: number;
  /** The message without its `file:line[:column]: ` prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string, column = 0) {
    // Compiler-style prefix so editors and terminals can jump to the spot.
    super(line > 0 ? `${file}:${line}${column > 0 ? `:${column}` : ''}: ${detail}` : `${file}: ${detail}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}
