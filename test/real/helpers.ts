import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAIT_CEILING_MS } from '../helpers/wait.ts';

/** Root of the repository, where `node_modules/.bin/tsx` lives. */
export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const made: string[] = [];

/** A fresh temp directory, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `actorsim-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes the temp directories this test file made: snapshots are tens of MiB each. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** An answer read in full. */
export interface RawAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * A request with the path sent byte for byte: fetch would resolve `..` and
 * percent-encode, hiding exactly what the servers must refuse.
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolveAnswer, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A server started as a child process, once it printed READY. */
export interface ReadyChild {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * Starts `node --import tsx <script> ...args` and waits for its `READY <url>`
 * line. Node itself, not the `tsx` command: that is a wrapper process which
 * does not relay SIGKILL, so killing it left the real server running as an
 * orphan; here the child is the server, whatever signal it gets. Its stdin is
 * a pipe with ACTORSIM_EXIT_WITH_PARENT, as the local runtime starts its
 * servers, so it also goes when the test process dies without stopping it.
 */
export function spawnReady(script: string, args: readonly string[], env: Record<string, string>, timeoutMs = WAIT_CEILING_MS): Promise<ReadyChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env, ACTORSIM_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  return new Promise((resolveReady, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} printed no READY within ${timeoutMs} ms; stdout: ${out} stderr: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^READY (\S+)$/m.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolveReady({ child, url: m[1], exited, stderr: () => err });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before READY; stderr: ${err}`));
    });
  });
}

/**
 * Stops a child that is the real process (not a wrapper): SIGTERM, then
 * SIGKILL if it has not exited within `ceilingMs`; resolves once it exited.
 * The ceiling only ends a hang, it judges nothing.
 */
export async function stopChild(child: ChildProcess, ceilingMs = WAIT_CEILING_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ceilingMs);
  await exited;
  clearTimeout(timer);
}
