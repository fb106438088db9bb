import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient, StoreError } from '../../../real/store/client.ts';
import { GrantMinter, GrantVerifier, type StoreGrant } from '../../../real/store/grants.ts';
import { startStoreServer, type StoreServer } from '../../../real/store/server.ts';
import { rawRequest, removeTempDirs, tempDir } from '../helpers.ts';

const SECRET = 'store-secret-for-grant-tests';
const SKEW_MS = 1_000;
const TTL_MS = 10_000;

/** The status of a refused store call (0 if it succeeded). */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 0;
  } catch (err) {
    if (err instanceof StoreError) return err.status;
    throw err;
  }
}

describe('store grants', () => {
  let store: StoreServer;
  // Both clocks are virtual: expiry is tested by moving them, never by waiting.
  let driverNowMs = 1_800_000_000_000;
  let storeNowMs = driverNowMs;
  let minter: GrantMinter;
  let driver: StoreClient;
  const as = (grant: string): StoreClient => new StoreClient({ url: store.url, token: grant, timeoutMs: 10_000 });

  beforeAll(async () => {
    store = await startStoreServer({ dir: tempDir('grants'), token: SECRET, grantSkewMs: SKEW_MS, now: () => storeNowMs });
    minter = new GrantMinter(SECRET, { ttlMs: TTL_MS, now: () => driverNowMs });
    driver = new StoreClient({ url: store.url, token: SECRET, timeoutMs: 10_000 });
    await driver.put('actors/a', Buffer.from('snapshot of a'));
    await driver.put('actors/b', Buffer.from('snapshot of b'));
  });
  afterAll(async () => {
    await store.close();
    removeTempDirs();
  });

  it("lets a grant for actor A read or write A's snapshot, and nothing of actor B's", async () => {
    const readA = as(minter.mint('r', 'actors/a'));
    const writeA = as(minter.mint('w', 'actors/a'));
    expect((await readA.get('actors/a'))?.toString()).toBe('snapshot of a');
    expect(await as(minter.mint('r', 'actors/a')).head('actors/a')).toBe('snapshot of a'.length);
    await writeA.put('actors/a', Buffer.from('a, version 2'));
    expect((await driver.get('actors/a'))?.toString()).toBe('a, version 2');
    // B's snapshot: neither read nor overwritten, and B's blob is untouched (a refusal for
    // another key does not spend the grant either: it was never a use of it).
    expect(await statusOf(readA.get('actors/b'))).toBe(403);
    expect(await statusOf(readA.head('actors/b'))).toBe(403);
    expect(await statusOf(writeA.put('actors/b', Buffer.from('overwritten by a')))).toBe(403);
    // A key that merely starts like A's is another key.
    expect(await statusOf(writeA.put('actors/a/x', Buffer.from('x')))).toBe(403);
    expect(await statusOf(readA.get('golden/t'))).toBe(403);
    expect((await driver.get('actors/b'))?.toString()).toBe('snapshot of b');
  });

  it('refuses a write with a read grant, a read with a write grant, and a delete with either', async () => {
    const readA = as(minter.mint('r', 'actors/a'));
    const writeA = as(minter.mint('w', 'actors/a'));
    const both = as(minter.mint('rw', 'golden/t'));
    expect(await statusOf(readA.put('actors/a', Buffer.from('written with a read grant')))).toBe(403);
    expect(await statusOf(writeA.get('actors/a'))).toBe(403);
    expect(await statusOf(readA.delete('actors/a'))).toBe(403);
    expect(await statusOf(writeA.delete('actors/a'))).toBe(403);
    expect(await statusOf(both.delete('golden/t'))).toBe(403);
    // A read-write grant (the first golden restore publishes its snapshot) does both, on its key only.
    await both.put('golden/t', Buffer.from('golden'));
    expect((await both.get('golden/t'))?.toString()).toBe('golden');
    expect((await driver.get('actors/a'))?.toString()).toBe('a, version 2');
  });

  it('refuses an expired grant with 401, after the ttl and the skew allowance by the store clock', async () => {
    const grant = minter.mint('r', 'actors/a');
    const client = as(grant);
    storeNowMs = driverNowMs + TTL_MS + SKEW_MS;
    expect((await client.get('actors/a'))?.toString()).toBe('a, version 2');
    storeNowMs += 1;
    expect(await statusOf(client.get('actors/a'))).toBe(401);
    // A fresh grant from the driver works again; a store clock behind the driver's is harmless.
    driverNowMs = storeNowMs;
    storeNowMs -= 5 * SKEW_MS;
    expect((await as(minter.mint('r', 'actors/a')).get('actors/a'))?.toString()).toBe('a, version 2');
    storeNowMs = driverNowMs;
  });

  it('refuses a tampered or forged grant with 401', async () => {
    const grant = minter.mint('r', 'actors/a');
    const [prefix, payload, mac] = grant.split('.') as [string, string, string];
    const claims = Buffer.from(payload, 'base64url').toString();
    const retarget = (text: string): string => `${prefix}.${Buffer.from(text).toString('base64url')}.${mac}`;
    const tampered = [
      retarget(claims.replace('actors/a', 'actors/b')),
      retarget(claims.replace(/^r\|/, 'rw|')),
      retarget(claims.replace(/\|(\d+)\|/, (_m, ms: string) => `|${Number(ms) + 3_600_000}|`)),
      // Another id: a spent grant cannot be renewed by changing it.
      retarget(claims.replace(/\|([A-Za-z0-9_-]{16})$/, '|AAAAAAAAAAAAAAAA')),
      retarget(claims.replace(/\|([A-Za-z0-9_-]{16})$/, '')),
      `${prefix}.${payload}.${Buffer.alloc(32).toString('base64url')}`,
      `${prefix}.${payload}.${mac.slice(0, -2)}`,
      `${prefix}.${payload}`,
      new GrantMinter('another-runs-secret', { ttlMs: TTL_MS, now: () => driverNowMs }).mint('r', 'actors/b'),
    ];
    // The MAC fails before the key is looked at, whichever key the grant claims.
    for (const t of tampered) {
      expect(await statusOf(as(t).get('actors/a')), t).toBe(401);
      expect(await statusOf(as(t).get('actors/b')), t).toBe(401);
      expect(await statusOf(as(t).put('actors/b', Buffer.from('forged'))), t).toBe(401);
    }
    expect((await driver.get('actors/b'))?.toString()).toBe('snapshot of b');
    // A grant is not the store's secret and cannot list or delete.
    expect((await rawRequest(store.url, 'DELETE', '/blobs/actors/a', { authorization: `Bearer ${grant}` })).status).toBe(403);
  });

  it("keeps the driver's full secret allowed for everything", async () => {
    await driver.put('golden/u', Buffer.from('u'));
    expect((await driver.get('actors/b'))?.toString()).toBe('snapshot of b');
    expect(await driver.delete('golden/u')).toBe(true);
    expect(await statusOf(as('not-the-secret').get('actors/b'))).toBe(401);
  });

  it('verifies what it mints, and only that', () => {
    const verifier = new GrantVerifier(SECRET, { skewMs: 0, now: () => driverNowMs });
    expect(verifier.verify(minter.mint('w', 'actors/x-1'))).toEqual({ ops: 'w', key: 'actors/x-1', expiresAtMs: driverNowMs + TTL_MS, id: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
    // Every grant is another, even for the same key in the same millisecond.
    const ids = new Set(Array.from({ length: 100 }, () => (verifier.verify(minter.mint('w', 'actors/x-1')) as StoreGrant).id));
    expect(ids.size).toBe(100);
    // The first format had no id, so it could not be single-use: refused.
    const v1 = `g1.${Buffer.from(`r|actors/a|${driverNowMs + TTL_MS}`).toString('base64url')}.${Buffer.alloc(32).toString('base64url')}`;
    expect(verifier.verify(v1)).toBe('bad-grant');
    expect(verifier.verify('g2.')).toBe('bad-grant');
    expect(verifier.verify('Bearer')).toBe('bad-grant');
    expect(() => minter.mint('r', '../escape')).toThrow(/invalid store key/);
  });
});

describe('single-use store grants', () => {
  let store: StoreServer;
  // The store's clock is virtual: expiry is reached by moving it, never by waiting.
  const startMs = 1_800_000_000_000;
  let nowMs = startMs;
  const minter = new GrantMinter(SECRET, { ttlMs: TTL_MS, now: () => nowMs });
  let driver: StoreClient;
  const as = (grant: string): StoreClient => new StoreClient({ url: store.url, token: grant, timeoutMs: 10_000 });
  /** The refusal of a store call: status and message (status 200 if it succeeded; 0 is a broken connection). */
  async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string }> {
    try {
      await call;
      return { status: 200, message: '' };
    } catch (err) {
      if (err instanceof StoreError) return { status: err.status, message: err.message };
      throw err;
    }
  }

  beforeAll(async () => {
    store = await startStoreServer({ dir: tempDir('grants-once'), token: SECRET, grantSkewMs: SKEW_MS, now: () => nowMs });
    driver = new StoreClient({ url: store.url, token: SECRET, timeoutMs: 10_000 });
    await driver.put('actors/c', Buffer.from('c, version 0'));
  });
  afterAll(async () => {
    await store.close();
    removeTempDirs();
  });

  it('refuses a replayed write grant with 403 naming the key; a fresh grant is accepted', async () => {
    const write = minter.mint('w', 'actors/c');
    await as(write).put('actors/c', Buffer.from('c, version 1'));
    const replay = await refusal(as(write).put('actors/c', Buffer.from('c, replayed')));
    expect(replay.status).toBe(403);
    expect(replay.message).toContain('already used to write actors/c');
    expect((await driver.get('actors/c'))?.toString()).toBe('c, version 1');
    await as(minter.mint('w', 'actors/c')).put('actors/c', Buffer.from('c, version 2'));
    expect((await driver.get('actors/c'))?.toString()).toBe('c, version 2');
  });

  it('spends a read grant on its first GET or HEAD: a second read of either kind is refused', async () => {
    const read = minter.mint('r', 'actors/c');
    expect((await as(read).get('actors/c'))?.toString()).toBe('c, version 2');
    expect(await refusal(as(read).get('actors/c'))).toMatchObject({ status: 403, message: expect.stringContaining('already used to read actors/c') });
    expect((await refusal(as(read).head('actors/c'))).status).toBe(403);
    const probe = minter.mint('r', 'actors/c');
    expect(await as(probe).head('actors/c')).toBe('c, version 2'.length);
    expect((await refusal(as(probe).get('actors/c'))).status).toBe(403);
    // A read that found nothing (the golden snapshot not published yet) is a use all the same.
    const missing = minter.mint('r', 'golden/none');
    expect(await as(missing).get('golden/none')).toBeNull();
    expect((await refusal(as(missing).get('golden/none'))).status).toBe(403);
  });

  it("lets a golden restore's rw grant read once and, if that found nothing, write once, as the worker does", async () => {
    const both = as(minter.mint('rw', 'golden/g'));
    expect(await both.get('golden/g')).toBeNull();
    await both.put('golden/g', Buffer.from('golden g'));
    expect((await refusal(both.get('golden/g'))).status).toBe(403);
    expect((await refusal(both.put('golden/g', Buffer.from('golden g, overwritten')))).status).toBe(403);
    expect((await driver.get('golden/g'))?.toString()).toBe('golden g');
    // Once the golden snapshot exists, a golden restore's read finds it and publishes nothing: that read spends the write.
    const later = as(minter.mint('rw', 'golden/g'));
    expect((await later.get('golden/g'))?.toString()).toBe('golden g');
    expect(await refusal(later.put('golden/g', Buffer.from('golden g, overwritten')))).toMatchObject({ status: 403, message: expect.stringContaining('already used to write golden/g') });
    expect((await driver.get('golden/g'))?.toString()).toBe('golden g');
  });

  it('lets only one of two concurrent requests with one grant through', async () => {
    const write = minter.mint('w', 'actors/c');
    const results = await Promise.all(['first', 'second', 'third'].map((v) => refusal(as(write).put('actors/c', Buffer.from(`c, ${v}`)))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403]);
  });

  it('forgets a used grant once it expires (by the store clock), and then refuses the grant as expired', async () => {
    const used = store.usedGrants();
    expect(used).toBeGreaterThan(0);
    const extra = Array.from({ length: 20 }, () => minter.mint('r', 'actors/c'));
    for (const g of extra) await as(g).head('actors/c');
    expect(store.usedGrants()).toBe(used + 20);
    // Still within the lifetime plus the skew allowance: remembered, a replay still refused.
    nowMs = startMs + TTL_MS + SKEW_MS;
    expect(store.usedGrants()).toBe(used + 20);
    expect((await refusal(as(extra[0]!).head('actors/c'))).status).toBe(403);
    // One millisecond later every grant minted at the start is refused as expired by the verifier, so the store drops them.
    nowMs += 1;
    expect(store.usedGrants()).toBe(0);
    expect((await refusal(as(extra[0]!).head('actors/c'))).status).toBe(401);
    expect(await as(minter.mint('r', 'actors/c')).head('actors/c')).toBe(Buffer.byteLength((await driver.get('actors/c'))!));
    expect(store.usedGrants()).toBe(1);
  });
});

describe('the cap on used grants', () => {
  afterAll(removeTempDirs);

  it('refuses a use beyond the cap with 503 and a Retry-After, forgets nothing live, and accepts again once grants expire', async () => {
    let nowMs = 1_800_000_000_000;
    const cap = 5;
    const store = await startStoreServer({ dir: tempDir('grants-cap'), token: SECRET, grantSkewMs: SKEW_MS, now: () => nowMs, maxUsedGrants: cap });
    try {
      const minter = new GrantMinter(SECRET, { ttlMs: TTL_MS, now: () => nowMs });
      const as = (grant: string): StoreClient => new StoreClient({ url: store.url, token: grant, timeoutMs: 10_000 });
      const grants = Array.from({ length: cap }, () => minter.mint('r', 'actors/z'));
      for (const g of grants) expect(await as(g).get('actors/z')).toBeNull();
      expect(store.usedGrants()).toBe(cap);
      // Minted later than those, so it outlives them.
      nowMs += TTL_MS / 2;
      const over = minter.mint('r', 'actors/z');
      const full = await rawRequest(store.url, 'GET', '/blobs/actors/z', { authorization: `Bearer ${over}` });
      expect(full.status).toBe(503);
      expect(JSON.parse(full.body.toString())).toMatchObject({ error: 'grants-full', message: expect.stringContaining('GET on actors/z refused') });
      expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
      // The cap never makes room by forgetting: a replay of a remembered grant is still refused as one.
      expect((await rawRequest(store.url, 'GET', '/blobs/actors/z', { authorization: `Bearer ${grants[0]!}` })).status).toBe(403);
      expect(store.usedGrants()).toBe(cap);
      // Past the lifetime and skew of the first grants they are dropped; the grant refused for want of room
      // was not spent by that refusal and is accepted now, once.
      nowMs += TTL_MS / 2 + SKEW_MS + 1;
      expect(store.usedGrants()).toBe(0);
      expect(await as(over).get('actors/z')).toBeNull();
      expect(store.usedGrants()).toBe(1);
      expect((await rawRequest(store.url, 'GET', '/blobs/actors/z', { authorization: `Bearer ${over}` })).status).toBe(403);
    } finally {
      await store.close();
    }
  });
});
