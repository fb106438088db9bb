// Runs loadScenarioFile in a worker thread, so a property test can tell a
// loader that hangs or exhausts memory apart from one that throws: code that
// never yields cannot be interrupted on the test's own thread.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** One file set to load: relative names to contents, and the name of the scenario among them. */
export interface LoadCase {
  readonly files: Readonly<Record<string, string>>;
  readonly entry: string;
}

/** What loading a case did. */
export type LoadOutcome =
  | { readonly kind: 'scenario'; readonly name: string }
  | { readonly kind: 'scenario-error'; readonly file: string; readonly problems: readonly string[] }
  | { readonly kind: 'other-error'; readonly name: string; readonly message: string; readonly stack: string }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  | { readonly kind: 'crash'; readonly message: string };

interface Request extends LoadCase {
  readonly id: number;
}

type Reply = { readonly id: number; readonly outcome: LoadOutcome };

const ROLE = 'load-sandbox';

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) {
  const port = parentPort!;
  const { loadScenarioFile } = await import('../../scenarios/load.ts');
  const { ScenarioError } = await import('../../scenarios/errors.ts');
  const root = (workerData as { root: string }).root;
  port.postMessage('ready');
  port.on('message', (req: Request) => {
    const dir = join(root, `case-${req.id}`);
    let outcome: LoadOutcome;
    try {
      for (const [name, text] of Object.entries(req.files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const s = loadScenarioFile(join(dir, req.entry));
      outcome = { kind: 'scenario', name: s.name };
    } catch (err) {
      if (err instanceof ScenarioError) outcome = { kind: 'scenario-error', file: err.file, problems: [...err.problems] };
      else {
        const e = err instanceof Error ? err : new Error(String(err));
        outcome = { kind: 'other-error', name: e.name, message: e.message, stack: e.stack ?? '' };
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    port.postMessage({ id: req.id, outcome } satisfies Reply);
  });
}

/**
 * A worker that loads scenario files on request. A request that does not
 * answer within `timeoutMs` terminates the worker (a new one starts on the
 * next request) and reports a timeout; a worker that dies (out of memory)
 * reports a crash.
 */
export class LoadSandbox {
  private worker: Worker | null = null;
  /** Scratch directory of the cases, owned here so that it goes even when a worker is killed. */
  private readonly root = mkdtempSync(join(tmpdir(), 'load-sandbox-'));
  private ready: Promise<void> = Promise.resolve();
  /** The last error a worker reported outside a request (at start-up). */
  private startError = '';
  private next = 0;

  constructor(private readonly timeoutMs: number) {}

  private start(): Worker {
    // The worker registers tsx's loader, then imports this module in its worker role.
    const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const w = new Worker(code, { eval: true, workerData: { role: ROLE, root: this.root }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    w.unref();
    w.on('error', (err: Error) => {
      this.startError = `${err.name}: ${err.message}`;
    });
    // The timeout of a request runs from the worker's readiness, not from its (slower) start.
    this.ready = new Promise<void>((resolve) => {
      const onReady = (m: unknown): void => {
        if (m !== 'ready') return;
        w.off('message', onReady);
        resolve();
      };
      w.on('message', onReady);
      w.once('exit', () => {
        if (this.worker === w) this.worker = null;
        resolve();
      });
    });
    this.worker = w;
    return w;
  }

  async load(c: LoadCase): Promise<LoadOutcome> {
    const w = this.worker ?? this.start();
    await this.ready;
    if (this.worker !== w) return { kind: 'crash', message: `the sandbox worker did not start: ${this.startError}` };
    const id = this.next++;
    return new Promise<LoadOutcome>((resolve) => {
      const done = (outcome: LoadOutcome, kill: boolean): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        if (kill) {
          this.worker = null;
          void w.terminate();
        }
        resolve(outcome);
      };
      const onMessage = (reply: Reply | 'ready'): void => {
        if (typeof reply === 'object' && reply.id === id) done(reply.outcome, false);
      };
      const onError = (err: Error): void => done({ kind: 'crash', message: `${err.name}: ${err.message}` }, true);
      const onExit = (code: number): void => done({ kind: 'crash', message: `worker exited with code ${code}` }, true);
      const timer = setTimeout(() => done({ kind: 'timeout', afterMs: this.timeoutMs }, true), this.timeoutMs);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id, files: c.files, entry: c.entry } satisfies Request);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
    rmSync(this.root, { recursive: true, force: true });
  }
}
