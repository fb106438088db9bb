/**
 * `npm run simulate -- --list | head -1`: the reader closes the pipe and the
 * next write fails with EPIPE, which Node raises as an unhandled 'error'
 * event with a stack. Output nobody reads is not an error of the command: it
 * stops quietly, as Unix tools do, with the code it had so far (0 if none).
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
