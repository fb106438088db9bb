import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../../../real/store/client.ts';
import { startStoreServer, type StoreServer } from '../../../real/store/server.ts';
import type { RestoreRequest } from '../../../real/worker/api.ts';
import { WorkerClient, WorkerError } from '../../../real/worker/client.ts';
import { startWorkerServer, type WorkerServer } from '../../../real/worker/server.ts';
import { rawRequest, removeTempDirs, tempDir } from '../helpers.ts';

const TOKEN = 'worker-test-token';
const STORE_TOKEN = 'store-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SMALL: Pick<RestoreRequest, 'template' | 'memoryMiB'> = { template: 'agent', memoryMiB: 4 };

/** The refusal a call ends in. */
async function refusal(call: Promise<unknown>): Promise<WorkerError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkerError);
  return err as WorkerError;
}

describe('worker server', () => {
  let store: StoreServer;
  let storeClient: StoreClient;
  let nodeDir: string;
  let a: WorkerServer;
  let b: WorkerServer;
  let wa: WorkerClient;
  let wb: WorkerClient;

  beforeAll(async () => {
    store = await startStoreServer({ dir: tempDir('worker-store'), token: STORE_TOKEN });
    storeClient = new StoreClient({ url: store.url, token: STORE_TOKEN });
    nodeDir = tempDir('worker-node');
    const common = { token: TOKEN, actorSlots: 2, nodeDir, store: { url: store.url, token: STORE_TOKEN, timeoutMs: 5_000 } };
    a = await startWorkerServer({ ...common, workerId: 'worker-a' });
    b = await startWorkerServer({ ...common, workerId: 'worker-b' });
    wa = new WorkerClient({ url: a.url, token: TOKEN });
    wb = new WorkerClient({ url: b.url, token: TOKEN });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await store.close();
    removeTempDirs();
  });

  it('boots cold, executes three times, suspends to the store and resumes on another worker at counter 3', async () => {
    const cold = await wa.restore('s1', { ...SMALL, source: 'cold', version: 0 });
    expect(cold).toMatchObject({ counter: 0, bytes: 0, writtenBytes: 0 });
    for (let i = 1; i <= 3; i++) {
      expect(await wa.execute('s1', { invocation: 100 + i, workMs: 5, mode: i === 2 ? 'cpu' : 'sleep' })).toMatchObject({ invocation: 100 + i, counter: i });
    }
    const checkpoint = await wa.checkpoint('s1', { target: 'external', version: 3 });
    expect(checkpoint.bytes).toBe(4 * 1024 * 1024 + 48);
    expect(checkpoint.checkpointMs).toBeGreaterThan(0);
    // Its phases end in order within its time: the seal first; the node's copy and the upload after it,
    // the store's receipt of the body before the upload's end (the store's fsync in between).
    const ph = checkpoint.phases!;
    expect(Object.keys(ph).sort()).toEqual(['disk', 'received', 'seal', 'store']);
    expect(ph.seal).toBeGreaterThan(0);
    for (const end of [ph.disk!, ph.received!, ph.store!]) {
      expect(end).toBeGreaterThanOrEqual(ph.seal);
      expect(end).toBeLessThanOrEqual(checkpoint.checkpointMs);
    }
    expect(ph.received!).toBeLessThanOrEqual(ph.store!);
    expect(await wa.actors()).toEqual([]);
    expect(await storeClient.head('actors/s1')).toBe(checkpoint.bytes);
    const resumed = await wb.restore('s1', { ...SMALL, source: 'external', version: 3 });
    expect(resumed).toMatchObject({ counter: 3, bytes: checkpoint.bytes });
    expect(await wb.execute('s1', { invocation: 104, workMs: 0, mode: 'sleep' })).toMatchObject({ counter: 4 });
    expect(await wb.actors()).toEqual([{ id: 's1', template: 'agent', counter: 4, memoryMiB: 4, busy: false, state: 'idle' }]);
    await wb.checkpoint('s1', { target: 'external', version: 4 });
  });

  it('pauses to the node directory and resumes from it on another worker of the node', async () => {
    await wa.restore('p1', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('p1', { invocation: 1, workMs: 0, mode: 'sleep' });
    await wa.execute('p1', { invocation: 2, workMs: 0, mode: 'sleep' });
    const paused = await wa.checkpoint('p1', { target: 'local', version: 2 });
    expect(existsSync(join(nodeDir, 'p1.snap'))).toBe(true);
    // A local checkpoint has no upload.
    expect(Object.keys(paused.phases!).sort()).toEqual(['disk', 'seal']);
    expect(await storeClient.head('actors/p1')).toBeNull();
    expect(await wb.restore('p1', { ...SMALL, source: 'local', version: 2 })).toMatchObject({ counter: 2, bytes: paused.bytes });
    await wb.checkpoint('p1', { target: 'local', version: 2 });
  });

  it('refuses a stale or missing snapshot with 409 and leaves the actor suspended', async () => {
    await wa.restore('st', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('st', { invocation: 1, workMs: 0, mode: 'sleep' });
    await wa.checkpoint('st', { target: 'external', version: 1 });
    await wa.restore('st', { ...SMALL, source: 'external', version: 1 });
    await wa.execute('st', { invocation: 2, workMs: 0, mode: 'sleep' });
    await wa.checkpoint('st', { target: 'local', version: 2 });
    // The store holds version 1, the node version 2: asking either for the other's version is stale.
    expect(await refusal(wb.restore('st', { ...SMALL, source: 'external', version: 2 }))).toMatchObject({ status: 409, code: 'stale' });
    // Neither the node (2) nor the store (1) holds version 3.
    expect(await refusal(wb.restore('st', { ...SMALL, source: 'local', version: 3 }))).toMatchObject({ status: 409, code: 'stale' });
    expect(await refusal(wb.restore('st', { ...SMALL, source: 'cold', version: 2 }))).toMatchObject({ status: 409, code: 'stale' });
    expect(await refusal(wb.restore('never', { ...SMALL, source: 'external', version: 0 }))).toMatchObject({ status: 409, code: 'missing' });
    expect(await refusal(wb.restore('never', { ...SMALL, source: 'local', version: 0 }))).toMatchObject({ status: 409, code: 'missing' });
    // The wrong size for the template is not this actor's snapshot.
    expect(await refusal(wb.restore('st', { template: 'agent', memoryMiB: 8, source: 'local', version: 2 }))).toMatchObject({ status: 422, code: 'corrupt' });
    expect(await wb.actors()).toEqual([]);
    expect((await wb.restore('st', { ...SMALL, source: 'local', version: 2 })).counter).toBe(2);
    await wb.checkpoint('st', { target: 'local', version: 2 });
    // The node's file is a cache of the store for suspended actors: a local
    // restore of the version only the store holds falls back to the store.
    expect((await wb.restore('st', { ...SMALL, source: 'local', version: 1 })).counter).toBe(1);
    await wb.checkpoint('st', { target: 'external', version: 1 });
  });

  it('keeps a copy of an external checkpoint on the node, so a resume there reads the disk', async () => {
    await wa.restore('cc', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('cc', { invocation: 1, workMs: 0, mode: 'sleep' });
    await wa.checkpoint('cc', { target: 'external', version: 1 });
    expect(existsSync(join(nodeDir, 'cc.snap'))).toBe(true);
    store.setOutage(true);
    try {
      // With the store down, only the node's copy can serve this restore.
      expect((await wb.restore('cc', { ...SMALL, source: 'local', version: 1 })).counter).toBe(1);
    } finally {
      store.setOutage(false);
    }
    await wb.checkpoint('cc', { target: 'external', version: 1 });
  });

  it('refuses a corrupted or truncated snapshot with 422', async () => {
    await wa.restore('c1', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('c1', { invocation: 1, workMs: 0, mode: 'sleep' });
    await wa.checkpoint('c1', { target: 'local', version: 1 });
    const file = join(nodeDir, 'c1.snap');
    const good = readFileSync(file);
    for (const at of [10, 5000, 3 * 1024 * 1024 + 17, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x40;
      writeFileSync(file, bad);
      const err = await refusal(wb.restore('c1', { ...SMALL, source: 'local', version: 1 }));
      expect(err).toMatchObject({ status: 422, code: 'corrupt' });
      expect(err.message).toContain('checksum');
    }
    truncateSync(file, good.length - 100);
    expect(await refusal(wb.restore('c1', { ...SMALL, source: 'local', version: 1 }))).toMatchObject({ status: 422, code: 'corrupt' });
    // Another actor's snapshot, intact, in this actor's place.
    writeFileSync(join(nodeDir, 'c2.snap'), good);
    expect(await refusal(wb.restore('c2', { ...SMALL, source: 'local', version: 1 }))).toMatchObject({ status: 422, code: 'corrupt' });
    // Corruption in the store is caught the same way.
    const flipped = Buffer.from(good);
    flipped[100_000] = flipped[100_000]! ^ 1;
    await storeClient.put('actors/c1', flipped);
    expect(await refusal(wb.restore('c1', { ...SMALL, source: 'external', version: 1 }))).toMatchObject({ status: 422, code: 'corrupt' });
    await storeClient.put('actors/c1', Buffer.concat([good, Buffer.from('trailing')]));
    expect(await refusal(wb.restore('c1', { ...SMALL, source: 'external', version: 1 }))).toMatchObject({ status: 422, code: 'corrupt' });
    expect(await wb.actors()).toEqual([]);
    writeFileSync(file, good);
    expect((await wb.restore('c1', { ...SMALL, source: 'local', version: 1 })).counter).toBe(1);
    await wb.checkpoint('c1', { target: 'local', version: 1 });
  });

  it('refuses a checkpoint of the wrong version with 409 and keeps the actor', async () => {
    await wa.restore('v1', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('v1', { invocation: 1, workMs: 0, mode: 'sleep' });
    expect(await refusal(wa.checkpoint('v1', { target: 'external', version: 0 }))).toMatchObject({ status: 409, code: 'version-mismatch' });
    expect(await refusal(wa.checkpoint('v1', { target: 'local', version: 2 }))).toMatchObject({ status: 409, code: 'version-mismatch' });
    expect(await wa.actors()).toMatchObject([{ id: 'v1', counter: 1 }]);
    expect(await storeClient.head('actors/v1')).toBeNull();
    expect(existsSync(join(nodeDir, 'v1.snap'))).toBe(false);
    await wa.checkpoint('v1', { target: 'external', version: 1 });
  });

  it('keeps the actor resident when the store is down during a checkpoint, and checkpoints it once the store is back', async () => {
    await wa.restore('o1', { ...SMALL, source: 'cold', version: 0 });
    await wa.execute('o1', { invocation: 1, workMs: 0, mode: 'sleep' });
    store.setOutage(true);
    try {
      const err = await refusal(wa.checkpoint('o1', { target: 'external', version: 1 }));
      expect(err).toMatchObject({ status: 503, code: 'store-failed' });
      expect(err.message).toContain('stays resident');
      expect(await wa.actors()).toMatchObject([{ id: 'o1', counter: 1, busy: false }]);
      expect(await refusal(wb.restore('s1', { ...SMALL, source: 'external', version: 4 }))).toMatchObject({ status: 503, code: 'store-failed' });
      expect(await refusal(wb.restore('g-out', { ...SMALL, source: 'golden', version: 0 }))).toMatchObject({ status: 503 });
      expect(await wb.actors()).toEqual([]);
      // Work goes on while the store is away.
      expect((await wa.execute('o1', { invocation: 2, workMs: 0, mode: 'sleep' })).counter).toBe(2);
    } finally {
      store.setOutage(false);
    }
    await wa.checkpoint('o1', { target: 'external', version: 2 });
    expect(await wa.actors()).toEqual([]);
    expect((await wb.restore('o1', { ...SMALL, source: 'external', version: 2 })).counter).toBe(2);
    await wb.checkpoint('o1', { target: 'external', version: 2 });
  });

  it('creates the golden snapshot on the first golden restore and reads it afterwards', async () => {
    const first = await wa.restore('g1', { ...SMALL, template: 'tpl', source: 'golden', version: 0 });
    expect(first).toMatchObject({ counter: 0, bytes: 0, writtenBytes: 4 * 1024 * 1024 + 48 });
    expect(await storeClient.head('golden/tpl')).toBe(first.writtenBytes);
    const second = await wb.restore('g2', { ...SMALL, template: 'tpl', source: 'golden', version: 0 });
    expect(second).toMatchObject({ counter: 0, bytes: first.writtenBytes, writtenBytes: 0 });
    // An actor born from the golden snapshot round-trips under its own name.
    await wb.execute('g2', { invocation: 1, workMs: 0, mode: 'sleep' });
    await wb.checkpoint('g2', { target: 'external', version: 1 });
    expect((await wa.restore('g2', { ...SMALL, template: 'tpl', source: 'external', version: 1 })).counter).toBe(1);
    await wa.checkpoint('g1', { target: 'local', version: 0 });
    await wa.checkpoint('g2', { target: 'local', version: 1 });
  });

  it('runs one invocation at a time per actor, and never checkpoints a busy one', async () => {
    expect(await refusal(wa.execute('ghost', { invocation: 1, workMs: 0, mode: 'sleep' }))).toMatchObject({ status: 404, code: 'not-resident' });
    expect(await refusal(wa.checkpoint('ghost', { target: 'local', version: 0 }))).toMatchObject({ status: 404, code: 'not-resident' });
    await wa.restore('e1', { ...SMALL, source: 'cold', version: 0 });
    // The same restore again (a retry whose first answer was lost in flight): it is there, idle, at that version: done at once.
    expect(await wa.restore('e1', { ...SMALL, source: 'cold', version: 0 })).toMatchObject({ restoreMs: 0, bytes: 0, writtenBytes: 0, counter: 0 });
    // Another version, or another template, of an actor already resident is refused.
    expect(await refusal(wa.restore('e1', { ...SMALL, source: 'external', version: 3 }))).toMatchObject({ status: 409, code: 'already-resident' });
    expect(await refusal(wa.restore('e1', { ...SMALL, template: 'other', source: 'cold', version: 0 }))).toMatchObject({ status: 409, code: 'already-resident' });
    const running = wa.execute('e1', { invocation: 1, workMs: 150, mode: 'sleep' });
    await new Promise((r) => setTimeout(r, 20));
    expect(await wa.actors()).toMatchObject([{ id: 'e1', busy: true, state: 'executing' }]);
    expect(await refusal(wa.execute('e1', { invocation: 2, workMs: 0, mode: 'sleep' }))).toMatchObject({ status: 409, code: 'busy' });
    expect(await refusal(wa.checkpoint('e1', { target: 'local', version: 0 }))).toMatchObject({ status: 409, code: 'busy' });
    // A busy actor is not idle: a restore of it is refused, not answered as done.
    expect(await refusal(wa.restore('e1', { ...SMALL, source: 'cold', version: 0 }))).toMatchObject({ status: 409, code: 'already-resident' });
    const done = await running;
    expect(done.counter).toBe(1);
    expect(done.execMs).toBeGreaterThanOrEqual(140);
    const cpu = await wa.execute('e1', { invocation: 3, workMs: 30, mode: 'cpu' });
    expect(cpu.execMs).toBeGreaterThanOrEqual(29);
    await wa.checkpoint('e1', { target: 'local', version: 2 });
  });

  it('refuses restores beyond actorSlots with 409, also when they race', async () => {
    const results = await Promise.allSettled(['r1', 'r2', 'r3'].map((id) => wa.restore(id, { ...SMALL, source: 'cold', version: 0 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const rejected = results.find((r) => r.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'slots-full' });
    expect(await wa.stats()).toMatchObject({ resident: 2, actorSlots: 2, busy: 0, residentRegionBytes: 8 * 1024 * 1024, workerId: 'worker-a' });
    for (const actor of await wa.actors()) await wa.checkpoint(actor.id, { target: 'local', version: 0 });
    expect((await wa.stats()).resident).toBe(0);
  });

  it('refuses unauthenticated and malformed requests without touching state', async () => {
    await wa.restore('m1', { ...SMALL, source: 'cold', version: 0 });
    const before = await wa.actors();
    const restore = JSON.stringify({ ...SMALL, source: 'cold', version: 0 });
    const refused: [number, string, string, Record<string, string>, string?][] = [
      [401, 'POST', '/actors/m2/restore', {}, restore],
      [401, 'POST', '/actors/m2/restore', { authorization: 'Bearer nope' }, restore],
      [401, 'POST', '/actors/m1/checkpoint', { authorization: `Bearer ${TOKEN}-` }, '{"target":"local","version":0}'],
      [401, 'POST', '/actors/m1/execute', { authorization: TOKEN }, '{"invocation":1,"workMs":0,"mode":"sleep"}'],
      [401, 'GET', '/actors', {}],
      [401, 'GET', '/stats', { authorization: 'Bearer' }],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent",'],
      [400, 'POST', '/actors/m2/restore', AUTH, ''],
      [400, 'POST', '/actors/m2/restore', AUTH, '[]'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":4,"source":"cold"}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":"4","source":"cold","version":0}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":-1,"source":"cold","version":0}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":1e9,"source":"cold","version":0}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":4,"source":"disk","version":0}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"../x","memoryMiB":4,"source":"cold","version":0}'],
      [400, 'POST', '/actors/m2/restore', AUTH, '{"template":"agent","memoryMiB":4,"source":"cold","version":1.5}'],
      [400, 'POST', '/actors/m1/execute', AUTH, '{"invocation":1,"workMs":0,"mode":"nap"}'],
      [400, 'POST', '/actors/m1/execute', AUTH, '{"invocation":-1,"workMs":0,"mode":"sleep"}'],
      [400, 'POST', '/actors/m1/execute', AUTH, '{"invocation":1,"workMs":1e12,"mode":"sleep"}'],
      [400, 'POST', '/actors/m1/checkpoint', AUTH, '{"target":"cloud","version":0}'],
      [400, 'POST', '/actors/m1/checkpoint', AUTH, '{"target":"local","version":null}'],
      [400, 'POST', '/actors/a..b/restore', AUTH, restore],
      [400, 'POST', '/actors/a%2Fb/restore', AUTH, restore],
      [400, 'POST', `/actors/${'x'.repeat(257)}/restore`, AUTH, restore],
      [404, 'POST', '/actors/m1/suspend', AUTH, '{}'],
      [404, 'POST', '/actors/../stats/restore', AUTH, restore],
      [404, 'GET', '/nothing', AUTH],
      [405, 'GET', '/actors/m1/restore', AUTH],
      [405, 'POST', '/stats', AUTH, '{}'],
      [413, 'POST', '/actors/m2/restore', AUTH, JSON.stringify({ ...SMALL, source: 'cold', version: 0, pad: 'x'.repeat(70_000) })],
    ];
    for (const [status, method, path, headers, body] of refused) {
      const answer = await rawRequest(a.url, method, path, { 'content-type': 'application/json', ...headers }, body);
      expect(answer.status, `${method} ${path} ${body ?? ''}`.slice(0, 200)).toBe(status);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect(await wa.actors()).toEqual(before);
    expect(await wa.healthy()).toBe(true);
    expect((await rawRequest(a.url, 'GET', '/healthz')).body.toString()).toBe('ok');
    expect(existsSync(join(nodeDir, 'm1.snap'))).toBe(false);
    // The longest id accepted works end to end, file name included.
    const longest = 'y'.repeat(256);
    await wa.restore(longest, { ...SMALL, source: 'cold', version: 0 });
    await wa.checkpoint(longest, { target: 'local', version: 0 });
    expect((await wb.restore(longest, { ...SMALL, source: 'local', version: 0 })).counter).toBe(0);
    await wb.checkpoint(longest, { target: 'external', version: 0 });
    await wa.checkpoint('m1', { target: 'local', version: 0 });
  });
});
