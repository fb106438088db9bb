import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoreServer, type StoreServer } from '../../../real/store/server.ts';
import { closeServer, listen, serverUrl } from '../../../real/store/listen.ts';
import type { RestoreRequest, WorkerStats } from '../../../real/worker/api.ts';
import { WorkerClient, WorkerError } from '../../../real/worker/client.ts';
import { startWorkerServer, type WorkerServer } from '../../../real/worker/server.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

const TOKEN = 'abandon-test-token';
const STORE_TOKEN = 'abandon-store-token';
const SMALL: Pick<RestoreRequest, 'template' | 'memoryMiB'> = { template: 'agent', memoryMiB: 4 };
// Generous: these wait on conditions, never on a duration, so only a broken worker reaches them.
// A ceiling that ends a hang; the waits poll their condition.
const DEADLINE_MS = 300_000;
const POLL_MS = 20;

/** A proxy in front of the store that can hold requests until released, so a worker's store I/O stalls on cue. */
interface Gate {
  readonly url: string;
  /** Requests held now. */
  held(): number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  let holding = false;
  let waiting: (() => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const forward = (): void => {
      const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (holding) waiting.push(forward);
    else forward();
  });
  const port = await listen(server, '127.0.0.1', 0);
  return {
    url: serverUrl('127.0.0.1', port),
    held: () => waiting.length,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      const due = waiting;
      waiting = [];
      for (const forward of due) forward();
    },
    close: () => closeServer(server),
  };
}

/** Polls `probe` until it returns a value other than undefined; fails at the deadline with `what`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

describe('worker server, requests whose client went away', () => {
  let store: StoreServer;
  let gate: Gate;
  let worker: WorkerServer;
  let client: WorkerClient;

  /** Posts to the worker with a signal the test aborts, as a client timing out does. */
  function post(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    return fetch(`${worker.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  async function abandonedAfter(before: number): Promise<WorkerStats> {
    return until('the worker to see the client go', async () => {
      const s = await client.stats();
      return s.abandonedRequests > before ? s : undefined;
    });
  }

  beforeAll(async () => {
    store = await startStoreServer({ dir: tempDir('abandon-store'), token: STORE_TOKEN });
    gate = await startGate(store.url);
    // One slot, so a slot the worker leaks refuses every later restore.
    worker = await startWorkerServer({
      token: TOKEN,
      workerId: 'worker-1',
      actorSlots: 1,
      nodeDir: tempDir('abandon-node'),
      store: { url: gate.url, token: STORE_TOKEN, timeoutMs: DEADLINE_MS * 2 },
    });
    client = new WorkerClient({ url: worker.url, token: TOKEN });
  });
  afterAll(async () => {
    gate.release();
    await worker.close();
    await gate.close();
    await store.close();
    removeTempDirs();
  });

  it('frees the slot of a restore whose client gave up, and drops the actor it loaded', async () => {
    await client.restore('x', { ...SMALL, source: 'cold', version: 0 });
    await client.execute('x', { invocation: 1, workMs: 0, mode: 'sleep' });
    await client.checkpoint('x', { target: 'external', version: 1 });
    const before = (await client.stats()).abandonedRequests;

    gate.hold();
    const abort = new AbortController();
    const answer = post('/actors/x/restore', { ...SMALL, source: 'external', version: 1 }, abort.signal).then(
      () => 'answered',
      () => 'aborted',
    );
    // The worker holds the slot and waits on the store.
    await until('the restore to reach the store', () => (gate.held() > 0 ? true : undefined));
    abort.abort();
    expect(await answer).toBe('aborted');
    await abandonedAfter(before);
    gate.release();

    // Once the load ends the slot is free again: another actor fits on this one-slot worker.
    await until('the slot to be free', async () => {
      try {
        return await client.restore('y', { ...SMALL, source: 'cold', version: 0 });
      } catch (err) {
        if (err instanceof WorkerError && err.code === 'slots-full') return undefined;
        throw err;
      }
    });
    expect(await client.actors()).toMatchObject([{ id: 'y', state: 'idle' }]);
    expect(await client.stats()).toMatchObject({ resident: 1, busy: 0, residentRegionBytes: 4 * 1024 * 1024 });
    await client.checkpoint('y', { target: 'local', version: 0 });

    // The actor the scheduler retries is restorable here again, from the same snapshot.
    expect((await client.restore('x', { ...SMALL, source: 'external', version: 1 })).counter).toBe(1);
    await client.checkpoint('x', { target: 'external', version: 1 });
    expect((await client.stats()).resident).toBe(0);
  });

  it('keeps an actor resident when the client of its checkpoint gave up', async () => {
    await client.restore('c', { ...SMALL, source: 'cold', version: 0 });
    await client.execute('c', { invocation: 1, workMs: 0, mode: 'sleep' });
    const before = (await client.stats()).abandonedRequests;

    gate.hold();
    const abort = new AbortController();
    const answer = post('/actors/c/checkpoint', { target: 'external', version: 1 }, abort.signal).then(
      () => 'answered',
      () => 'aborted',
    );
    await until('the upload to reach the store', () => (gate.held() > 0 ? true : undefined));
    abort.abort();
    expect(await answer).toBe('aborted');
    await abandonedAfter(before);
    gate.release();

    // The client reported the checkpoint failed, so the scheduler still counts the actor resident at counter 1.
    const actors = await until('the checkpoint to end', async () => {
      const list = await client.actors();
      return list.some((a) => a.state === 'checkpointing') ? undefined : list;
    });
    expect(actors).toEqual([{ id: 'c', template: 'agent', counter: 1, memoryMiB: 4, busy: false, state: 'idle' }]);
    expect((await client.execute('c', { invocation: 2, workMs: 0, mode: 'sleep' })).counter).toBe(2);
    await client.checkpoint('c', { target: 'external', version: 2 });
    expect((await client.restore('c', { ...SMALL, source: 'external', version: 2 })).counter).toBe(2);
    await client.checkpoint('c', { target: 'local', version: 2 });
  });

  it('stops an execution whose client gave up, and does not count it', async () => {
    await client.restore('e', { ...SMALL, source: 'cold', version: 0 });
    const before = (await client.stats()).abandonedRequests;
    const abort = new AbortController();
    // Far longer than the test may run: only stopping it frees the actor.
    const answer = post('/actors/e/execute', { invocation: 1, workMs: 10 * 60_000, mode: 'sleep' }, abort.signal).then(
      () => 'answered',
      () => 'aborted',
    );
    await until('the execution to start', async () => ((await client.actors()).some((a) => a.state === 'executing') ? true : undefined));
    abort.abort();
    expect(await answer).toBe('aborted');
    await abandonedAfter(before);
    await until('the actor to be idle', async () => ((await client.actors()).some((a) => a.state === 'executing') ? undefined : true));
    // The retry the scheduler sends runs at once and counts once.
    expect((await client.execute('e', { invocation: 1, workMs: 0, mode: 'sleep' })).counter).toBe(1);
    await client.checkpoint('e', { target: 'local', version: 1 });
  });
});
