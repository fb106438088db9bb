import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listening and shutting down an HTTP server the way the store and the worker
 * both need: bind, report the URL, and on close stop accepting, let in-flight
 * requests finish for a grace period, then drop what is left so a stuck
 * client can never hold a SIGTERM hostage.
 */

/** Binds `server` and resolves with the port it got (0 picks a free one). */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The base URL of a server bound to `host` and `port`; IPv6 literals get brackets. */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Stops `server`: no new connections, idle ones closed now, busy ones after `graceMs`. */
export function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolveClose) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}

/**
 * What a server process does once it listens: prints `READY url` (the line
 * its parent waits for), exits cleanly on SIGTERM (Kubernetes) or SIGINT
 * (Ctrl-C), and, when started by the local runtime with a pipe on stdin
 * (`exitWithParent`), goes when that pipe closes: when the driver dies,
 * even by SIGKILL, no orphan outlives a run.
 */
export function serveUntilStopped(server: { readonly url: string; close(): Promise<void> }, exitWithParent: boolean): void {
  process.stdout.write(`READY ${server.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (exitWithParent) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}
