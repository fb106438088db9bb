import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../../../real/store/client.ts';
import { GrantMinter } from '../../../real/store/grants.ts';
import { WorkerClient, WorkerError } from '../../../real/worker/client.ts';
import { removeTempDirs, spawnReady, stopChild, tempDir, type ReadyChild } from '../helpers.ts';

const MiB = 1024 * 1024;
const ENV = { ACTORSIM_TOKEN: 'main-token' };
// The store's secret is the store's and the driver's (here, the test's): the worker's environment never has it.
const STORE_SECRET = 'main-store-secret';
const grants = new GrantMinter(STORE_SECRET);

describe('worker main', () => {
  let store: ReadyChild;
  let worker: ReadyChild;
  let client: WorkerClient;

  beforeAll(async () => {
    store = await spawnReady('real/store/main.ts', ['--dir', tempDir('wmain-store')], { ACTORSIM_TOKEN: STORE_SECRET });
    worker = await spawnReady('real/worker/main.ts', ['--store-url', store.url, '--node-dir', tempDir('wmain-node'), '--worker-id', 'w-main', '--actor-slots', '2'], ENV);
    client = new WorkerClient({ url: worker.url, token: 'main-token' });
  });
  afterAll(async () => {
    // Left running when the SIGTERM test below did not run (a run filtered with -t) or failed: the
    // children are node itself (spawnReady), so even the SIGKILL fallback leaves no orphan.
    await Promise.all([worker, store].map((c) => (c === undefined ? undefined : stopChild(c.child))));
    removeTempDirs();
  });

  it('prints READY <url> and answers its health check', async () => {
    expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await client.healthy()).toBe(true);
    expect(await client.stats()).toMatchObject({ workerId: 'w-main', actorSlots: 2, resident: 0 });
  });

  it('grows RSS by about memoryMiB when a 64 MiB actor is restored, and gives it back on checkpoint', async () => {
    const before = (await client.stats()).rssBytes;
    const restored = await client.restore('big', { template: 'agent', memoryMiB: 64, source: 'cold', version: 0 });
    const during = await client.stats();
    const grownMiB = (during.rssBytes - before) / MiB;
    expect(during.residentRegionBytes).toBe(64 * MiB);
    expect(grownMiB).toBeGreaterThan(48);
    expect(grownMiB).toBeLessThan(160);
    await client.execute('big', { invocation: 1, workMs: 0, mode: 'sleep' });
    const checkpoint = await client.checkpoint('big', { target: 'external', version: 1, storeGrant: grants.mint('w', 'actors/big') });
    // The worker collects right after a checkpoint, on a later turn of its loop: poll briefly.
    let freedMiB = 0;
    for (let i = 0; i < 40 && freedMiB <= 32; i++) {
      await new Promise((r) => setTimeout(r, 50));
      freedMiB = (during.rssBytes - (await client.stats()).rssBytes) / MiB;
    }
    expect(freedMiB).toBeGreaterThan(32);
    const resumed = await client.restore('big', { template: 'agent', memoryMiB: 64, source: 'external', version: 1, storeGrant: grants.mint('r', 'actors/big') });
    expect(resumed.counter).toBe(1);
    // Timings of this machine, for the record (not asserted).
    console.log(`64 MiB actor: cold ${restored.restoreMs.toFixed(0)} ms, checkpoint external ${checkpoint.checkpointMs.toFixed(0)} ms, restore external ${resumed.restoreMs.toFixed(0)} ms, RSS +${grownMiB.toFixed(0)} MiB`);
  });

  it("reaches the store only with the request's grant, and only the grant's actor", async () => {
    const failure = (call: Promise<unknown>): Promise<WorkerError> =>
      call.then(
        () => {
          throw new Error('the call succeeded');
        },
        (err: unknown) => err as WorkerError,
      );
    const small = { template: 'agent', memoryMiB: 1 } as const;
    // The previous test left 'big' resident; its slot is needed.
    await client.checkpoint('big', { target: 'local', version: 1 });
    await client.restore('a', { ...small, source: 'cold', version: 0 });
    await client.checkpoint('a', { target: 'external', version: 0, storeGrant: grants.mint('w', 'actors/a') });
    await client.restore('b', { ...small, source: 'cold', version: 0 });
    // No grant: the worker has no store credential of its own.
    expect(await failure(client.checkpoint('b', { target: 'external', version: 0 }))).toMatchObject({ status: 400, code: 'bad-request' });
    // A's grants open A's snapshot only: B's can neither be written nor read with them, nor written with a read grant.
    const writeB = await failure(client.checkpoint('b', { target: 'external', version: 0, storeGrant: grants.mint('w', 'actors/a') }));
    expect(writeB).toMatchObject({ status: 503, code: 'store-failed' });
    // The store's 403 comes while the worker is still uploading; it reads and drops the rest so the
    // worker sees it (test/real/store/server.test.ts proves that part on a raw socket), but fetch
    // on a loaded machine can still report the upload as broken instead: either says the store refused.
    expect(writeB.message).toMatch(/403|EPIPE|ECONNRESET|socket/);
    expect(await failure(client.checkpoint('b', { target: 'external', version: 0, storeGrant: grants.mint('r', 'actors/b') }))).toMatchObject({ status: 503, code: 'store-failed' });
    // What matters: nothing was written under B's key (asked with the store's secret).
    expect(await new StoreClient({ url: store.url, token: STORE_SECRET, timeoutMs: 30_000 }).head('actors/b')).toBeNull();
    await client.checkpoint('b', { target: 'external', version: 0, storeGrant: grants.mint('w', 'actors/b') });
    const readB = await failure(client.restore('b', { ...small, source: 'external', version: 0, storeGrant: grants.mint('r', 'actors/a') }));
    expect(readB).toMatchObject({ status: 503, code: 'store-failed' });
    expect(readB.message).toMatch(/403/);
    expect(await client.restore('b', { ...small, source: 'external', version: 0, storeGrant: grants.mint('r', 'actors/b') })).toMatchObject({ counter: 0 });
    expect(await client.restore('a', { ...small, source: 'external', version: 0, storeGrant: grants.mint('r', 'actors/a') })).toMatchObject({ counter: 0 });
    await client.checkpoint('a', { target: 'local', version: 0 });
    await client.checkpoint('b', { target: 'local', version: 0 });
  });

  it('spends each grant on one request: a replayed grant is refused by the store, a fresh one serves', async () => {
    const failure = (call: Promise<unknown>): Promise<WorkerError> =>
      call.then(
        () => {
          throw new Error('the call succeeded');
        },
        (err: unknown) => err as WorkerError,
      );
    const small = { template: 'agent', memoryMiB: 1 } as const;
    await client.restore('r1', { ...small, source: 'cold', version: 0 });
    const write = grants.mint('w', 'actors/r1');
    await client.checkpoint('r1', { target: 'external', version: 0, storeGrant: write });
    const read = grants.mint('r', 'actors/r1');
    expect(await client.restore('r1', { ...small, source: 'external', version: 0, storeGrant: read })).toMatchObject({ counter: 0 });
    // The same write grant again: the store refuses it (as with any refused upload, fetch may see the
    // refusal or a broken upload), the checkpoint fails and the actor stays resident.
    const rewrite = await failure(client.checkpoint('r1', { target: 'external', version: 0, storeGrant: write }));
    expect(rewrite).toMatchObject({ status: 503, code: 'store-failed' });
    expect(rewrite.message).toMatch(/403|EPIPE|ECONNRESET|socket/);
    expect((await client.actors()).map((a) => a.id)).toContain('r1');
    await client.checkpoint('r1', { target: 'external', version: 0, storeGrant: grants.mint('w', 'actors/r1') });
    // The same read grant again: refused, with the key named; a fresh one restores.
    const reread = await failure(client.restore('r1', { ...small, source: 'external', version: 0, storeGrant: read }));
    expect(reread).toMatchObject({ status: 503, code: 'store-failed' });
    expect(reread.message).toContain('already used to read actors/r1');
    expect(await client.restore('r1', { ...small, source: 'external', version: 0, storeGrant: grants.mint('r', 'actors/r1') })).toMatchObject({ counter: 0 });
    await client.checkpoint('r1', { target: 'local', version: 0 });
  });

  it('exits 0 on SIGTERM, as does the store', async () => {
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    store.child.kill('SIGTERM');
    expect(await store.exited).toEqual({ code: 0, signal: null });
  });
});
