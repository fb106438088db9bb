import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient, StoreError } from '../../../real/store/client.ts';
import { GrantMinter, GrantVerifier } from '../../../real/store/grants.ts';
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
    expect(await readA.head('actors/a')).toBe('snapshot of a'.length);
    await writeA.put('actors/a', Buffer.from('a, version 2'));
    expect((await driver.get('actors/a'))?.toString()).toBe('a, version 2');
    // B's snapshot: neither read nor overwritten, and B's blob is untouched.
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
      retarget(claims.replace(/\|(\d+)$/, (_m, ms: string) => `|${Number(ms) + 3_600_000}`)),
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
    expect(verifier.verify(minter.mint('w', 'actors/x-1'))).toEqual({ ops: 'w', key: 'actors/x-1', expiresAtMs: driverNowMs + TTL_MS });
    expect(verifier.verify('g1.')).toBe('bad-grant');
    expect(verifier.verify('Bearer')).toBe('bad-grant');
    expect(() => minter.mint('r', '../escape')).toThrow(/invalid store key/);
  });
});
