import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient, StoreError } from '../../../real/store/client.ts';
import { startStoreServer, type StoreServer } from '../../../real/store/server.ts';
import { rawRequest, removeTempDirs, tempDir } from '../helpers.ts';

const TOKEN = 'store-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('store server', () => {
  let store: StoreServer;
  let dir: string;
  let client: StoreClient;

  beforeAll(async () => {
    dir = tempDir('store');
    store = await startStoreServer({ dir, token: TOKEN, maxBlobBytes: 64 * 1024 * 1024 });
    client = new StoreClient({ url: store.url, token: TOKEN, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await store.close();
    removeTempDirs();
  });

  it('puts, heads, gets and deletes blobs', async () => {
    const bytes = Buffer.from('hello blob');
    const put = await client.put('actors/a-1', bytes);
    expect(put).toMatchObject({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    // The store says where its time went: receiving and writing the body, then making it durable.
    expect(put.receiveMs).toBeGreaterThanOrEqual(0);
    expect(put.syncMs).toBeGreaterThanOrEqual(0);
    expect(await client.head('actors/a-1')).toBe(bytes.length);
    expect(await client.get('actors/a-1')).toEqual(bytes);
    // A body in parts is streamed, and lands the same as one buffer.
    await client.put('actors/a-1', [Buffer.from('one '), Buffer.from('two')]);
    expect((await client.get('actors/a-1'))?.toString()).toBe('one two');
    expect(await client.delete('actors/a-1')).toBe(true);
    expect(await client.get('actors/a-1')).toBeNull();
    expect(await client.head('actors/a-1')).toBeNull();
    expect(await client.delete('actors/a-1')).toBe(false);
    // A key and a key below it coexist: files carry a suffix.
    await client.put('golden/agent', Buffer.from('g'));
    await client.put('golden/agent/v2', Buffer.from('h'));
    expect((await client.get('golden/agent'))?.toString()).toBe('g');
    expect((await client.get('golden/agent/v2'))?.toString()).toBe('h');
  });

  it('answers a refusal to an upload still being sent, then reads the rest, so the client sees the answer and can send the rest', async () => {
    // A grant or token refused before the body is read: the answer comes while the client is still
    // uploading. Closing there broke the upload with EPIPE and the client never saw why (seen under
    // load: "fetch failed (EPIPE)" instead of the 403). Made deterministic: half the body, the answer,
    // the other half, then a second request on the same connection.
    const url = new URL(store.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const until = async (what: RegExp): Promise<void> => {
      for (let i = 0; i < 2000 && !what.test(received); i++) await new Promise((r) => setTimeout(r, 5));
    };
    const body = Buffer.alloc(64 * 1024, 7);
    socket.write(`PUT /blobs/actors/x HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer wrong\r\ncontent-length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, 1024));
    await until(/"error":"unauthorized".*?\}/s);
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received.toLowerCase()).not.toContain('connection: close');
    const rest = await new Promise<Error | null | undefined>((resolve) => socket.write(body.subarray(1024), resolve));
    expect(rest ?? null).toBeNull();
    received = '';
    socket.write(`GET /blobs/actors/x HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
    await until(/"error":"[a-z-]+".*?\}/s);
    expect(received).toMatch(/^HTTP\/1\.1 404 /);
    socket.destroy();
  });

  it('refuses keys outside the safe form with 400, touching nothing', async () => {
    const bad = ['../x', 'a/../b', 'a/./b', '.', 'a//b', 'a/', '%2e%2e/x', 'a%2Fb', 'sp%20ace', 'a\\b', 'x'.repeat(513), '%C3%A9', '..', 'a..b'];
    for (const key of bad) {
      const answer = await rawRequest(store.url, 'PUT', `/blobs/${key}`, AUTH, 'evil');
      expect(answer.status, key).toBe(400);
      expect(JSON.parse(answer.body.toString()).error).toBe('bad-key');
    }
    expect((await rawRequest(store.url, 'GET', '/blobs//etc/passwd', AUTH)).status).toBe(400);
    expect((await rawRequest(store.url, 'GET', '/other', AUTH)).status).toBe(404);
    expect((await rawRequest(store.url, 'POST', '/blobs/a', AUTH, 'x')).status).toBe(405);
    expect(readdirSync(dir).filter((f) => !['actors', 'golden'].includes(f))).toEqual([]);
    // Keys up to 512 characters work even where one segment is longer than a file name may be.
    await client.put('x'.repeat(512), Buffer.from('longest key'));
    await client.put('x'.repeat(511), Buffer.from('one shorter'));
    expect((await client.get('x'.repeat(512)))?.toString()).toBe('longest key');
    expect((await client.get('x'.repeat(511)))?.toString()).toBe('one shorter');
  });

  it('refuses a body that does not match x-content-sha256 with 422 and keeps the old blob', async () => {
    await client.put('actors/sum', Buffer.from('old'));
    await expect(client.put('actors/sum', Buffer.from('new'), { sha256: createHash('sha256').update('other').digest('hex') })).rejects.toMatchObject({ status: 422 });
    expect((await client.get('actors/sum'))?.toString()).toBe('old');
    await expect(client.put('actors/fresh', Buffer.from('new'), { sha256: '0'.repeat(64) })).rejects.toMatchObject({ status: 422 });
    expect(await client.get('actors/fresh')).toBeNull();
    const malformed = await rawRequest(store.url, 'PUT', '/blobs/actors/sum', { ...AUTH, 'x-content-sha256': 'nothex' }, 'new');
    expect(malformed.status).toBe(400);
    expect((await client.get('actors/sum'))?.toString()).toBe('old');
    expect(readdirSync(`${dir}/actors`).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('answers 401 to a missing or wrong token and changes nothing', async () => {
    await client.put('actors/guarded', Buffer.from('kept'));
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }, { authorization: 'Basic abc' }];
    for (const headers of refused) {
      expect((await rawRequest(store.url, 'PUT', '/blobs/actors/guarded', headers, 'replaced')).status).toBe(401);
      expect((await rawRequest(store.url, 'PUT', '/blobs/actors/intruder', headers, 'x')).status).toBe(401);
      expect((await rawRequest(store.url, 'DELETE', '/blobs/actors/guarded', headers)).status).toBe(401);
      expect((await rawRequest(store.url, 'GET', '/blobs/actors/guarded', headers)).status).toBe(401);
    }
    expect((await client.get('actors/guarded'))?.toString()).toBe('kept');
    expect(await client.get('actors/intruder')).toBeNull();
    const wrong = new StoreClient({ url: store.url, token: 'nope' });
    await expect(wrong.get('actors/guarded')).rejects.toThrow(`GET ${store.url}/blobs/actors/guarded failed: 401`);
  });

  it('answers 503 to everything during an outage, then recovers', async () => {
    await client.put('actors/o', Buffer.from('before'));
    store.setOutage(true);
    try {
      await expect(client.get('actors/o')).rejects.toMatchObject({ status: 503 });
      await expect(client.put('actors/o', Buffer.from('during'))).rejects.toThrow(/503/);
      expect((await rawRequest(store.url, 'GET', '/blobs/actors/o')).status).toBe(503);
    } finally {
      store.setOutage(false);
    }
    expect((await client.get('actors/o'))?.toString()).toBe('before');
  });

  it('refuses a blob above the size limit with 413', async () => {
    const small = await startStoreServer({ dir: tempDir('store-small'), token: TOKEN, maxBlobBytes: 1024 });
    try {
      const c = new StoreClient({ url: small.url, token: TOKEN });
      await c.put('ok', Buffer.alloc(1024, 1));
      await expect(c.put('big', Buffer.alloc(1025, 1))).rejects.toMatchObject({ status: 413 });
      // Without a Content-Length the limit is enforced while streaming.
      await expect(c.put('big', [Buffer.alloc(600, 1), Buffer.alloc(600, 2)])).rejects.toMatchObject({ status: 413 });
      expect(await c.get('big')).toBeNull();
      expect((await c.get('ok'))?.length).toBe(1024);
    } finally {
      await small.close();
    }
  });

  it('lets a reader see only complete old or new blobs while a large blob is rewritten', async () => {
    const size = 16 * 1024 * 1024;
    const versions = [Buffer.alloc(size, 0xa1), Buffer.alloc(size, 0xb2), Buffer.alloc(size, 0xc3)];
    for (const [i, v] of versions.entries()) v.writeUInt32LE(i, size - 4);
    await client.put('actors/big', versions[0]!);
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 6; i++) {
        const v = versions[i % versions.length]!;
        // Alternate one-buffer and streamed bodies: both must be atomic.
        await client.put('actors/big', i % 2 === 0 ? v : [v.subarray(0, size / 2), v.subarray(size / 2)]);
      }
      writing = false;
    })();
    const seen = new Set<number>();
    while (writing) {
      const got = await client.get('actors/big');
      expect(got).not.toBeNull();
      const which = versions.findIndex((v) => v.equals(got!));
      expect(which).toBeGreaterThanOrEqual(0);
      seen.add(which);
    }
    await writer;
    // The reads overlapped the rewrites: they saw more than one version, each complete.
    expect(seen.size).toBeGreaterThan(1);
    expect(readdirSync(`${dir}/actors`).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('names the URL in client errors for refused connections and timeouts', async () => {
    const dead = new StoreClient({ url: 'http://127.0.0.1:1', token: TOKEN, timeoutMs: 2_000 });
    const err = await dead.get('actors/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).status).toBe(0);
    expect((err as StoreError).message).toContain('GET http://127.0.0.1:1/blobs/actors/x failed');
    await expect(client.get('../x')).rejects.toThrow(/invalid store key/);
  });
});
