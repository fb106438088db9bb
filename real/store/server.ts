import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { bearerMatches, bearerOf } from './auth.ts';
import { GrantLedger } from './grant-ledger.ts';
import { GrantVerifier, grantAllows, grantOpOf, looksLikeGrant, type StoreGrant } from './grants.ts';
import { HttpError, sendFailure, sendJson } from './http.ts';
import { fileSegment, isStoreKey } from './keys.ts';
import { closeServer, listen, serverUrl } from './listen.ts';

/** Options of {@link startStoreServer}. */
export interface StoreServerOptions {
  /** Address to bind; in a pod, its IP or 0.0.0.0. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Directory holding the blobs; created if missing. */
  readonly dir: string;
  /**
   * The store's secret: as a bearer token it allows everything (the driver);
   * it also verifies the key-scoped grants workers carry (see grants.ts).
   */
  readonly token: string;
  /** Clock skew tolerated past a grant's expiry (default 60 s). */
  readonly grantSkewMs?: number;
  /** The store's clock for grant expiry, epoch ms (tests move it). */
  readonly now?: () => number;
  /** Most used grants remembered at once (default 262,144, see grant-ledger.ts); a use beyond it is refused with 503. */
  readonly maxUsedGrants?: number;
  /** Largest blob accepted by PUT (default 4 GiB). */
  readonly maxBlobBytes?: number;
  /** Called as each request arrives, with whether an injected outage refuses it (tests pace an outage by the traffic). */
  readonly onRequest?: (request: { readonly method: string; readonly path: string; readonly outage: boolean }) => void;
}

/** A running store server. */
export interface StoreServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening, lets in-flight requests finish briefly, then drops the rest. */
  close(): Promise<void>;
  /** While on, every request is answered 503, as an object store outage would. */
  setOutage(on: boolean): void;
  /** Used grants the store remembers now, to refuse their replay; expired ones are dropped (tests, diagnostics). */
  usedGrants(): number;
}

/** Default largest blob: 4 GiB, above the largest actor memory a worker hosts. */
export const DEFAULT_MAX_BLOB_BYTES = 4 * 1024 ** 3;

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Writes are batched so a large upload costs a few hundred syscalls, not one per socket chunk.
const WRITE_BATCH_BYTES = 1 << 20;

/**
 * Starts the blob server for external and golden snapshots: `PUT`, `GET`,
 * `HEAD` and `DELETE` on `/blobs/<key>`. A PUT lands in a temp file next to
 * the target, is fsynced and renamed over it, so a reader only ever sees a
 * complete old or a complete new blob; a GET streams from the file it opened,
 * so a rename during the read does not mix the two.
 */
export async function startStoreServer(options: StoreServerOptions): Promise<StoreServer> {
  if (options.token.length === 0) throw new Error('store server: empty token');
  if (options.dir === '') throw new Error('store server: empty dir');
  const root = resolve(options.dir);
  const maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  await mkdir(root, { recursive: true });
  let outage = false;
  const grants = new GrantVerifier(options.token, { ...(options.grantSkewMs === undefined ? {} : { skewMs: options.grantSkewMs }), ...(options.now ? { now: options.now } : {}) });
  const usedGrants = new GrantLedger({ ...(options.maxUsedGrants === undefined ? {} : { maxEntries: options.maxUsedGrants }), ...(options.now ? { now: options.now } : {}) });

  /** 'all' for the store's secret, the grant's claims for a valid grant; else a 401. */
  function authorize(header: string | undefined): 'all' | StoreGrant {
    if (bearerMatches(header, options.token)) return 'all';
    const given = bearerOf(header);
    if (given !== '' && looksLikeGrant(given)) {
      const grant = grants.verify(given);
      if (grant === 'expired') throw new HttpError(401, 'unauthorized', 'store grant expired');
      if (grant !== 'bad-grant') return grant;
    }
    throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
  }

  /**
   * Spends the grant's one use for this operation class, or refuses: a grant
   * serves one request (a golden restore's `rw` grant one read and, if that
   * found nothing, one write).
   * Spent when allowed, before the body moves, so a request that fails later
   * (a checksum mismatch, a dropped upload) has used its grant too: a retry
   * comes from the driver with a fresh one. Why reads are single-use as well:
   * grant-ledger.ts.
   */
  function spend(grant: StoreGrant, method: string, key: string, res: ServerResponse): void {
    const op = grantOpOf(method);
    if (op === null) return;
    // A read with an rw grant may have to spend the write as well (spendWriteOfFound): room for both.
    const use = usedGrants.use(grant.id, op, grants.lastValidMs(grant), op === 'r' && grant.ops === 'rw' ? 2 : 1);
    if (use === 'first') return;
    if (use === 'expired') throw new HttpError(401, 'unauthorized', 'store grant expired');
    if (use === 'replay') {
      throw new HttpError(403, 'grant-used', `the grant was already used to ${op === 'r' ? 'read' : 'write'} ${key}; a grant serves one request, the driver mints a fresh one for each`);
    }
    throw grantsFull(method, key, res);
  }

  /**
   * A golden restore's rw grant reads the golden snapshot and writes it only
   * if the read found none; a read that found it spends the write too, so the
   * grant cannot overwrite the golden snapshot afterwards.
   */
  function spendWriteOfFound(grant: StoreGrant | 'all', method: string, key: string, res: ServerResponse): void {
    if (grant === 'all' || grant.ops !== 'rw') return;
    if (!usedGrants.spend(grant.id, 'w', grants.lastValidMs(grant))) throw grantsFull(method, key, res);
  }

  function grantsFull(method: string, key: string, res: ServerResponse): HttpError {
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(usedGrants.nextDropInMs() / 1000))));
    return new HttpError(503, 'grants-full', `the store remembers ${usedGrants.capacity} used grants that have not expired, its limit; ${method} on ${key} refused, retry when older grants expire`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendFailure(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    options.onRequest?.({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', outage });
    if (outage) throw new HttpError(503, 'outage', 'store outage (injected)');
    const access = authorize(req.headers.authorization);
    const rawPath = (req.url ?? '').split('?')[0] ?? '';
    if (!rawPath.startsWith('/blobs/')) throw new HttpError(404, 'not-found', `no route ${rawPath}`);
    const key = rawPath.slice('/blobs/'.length);
    if (!isStoreKey(key)) throw new HttpError(400, 'bad-key', 'key must be [A-Za-z0-9._-] segments joined by /, no .., at most 512 characters');
    // A grant names one key and its operations; anything else is the driver's business.
    if (access !== 'all' && !grantAllows(access, req.method ?? '', key)) throw new HttpError(403, 'forbidden', `the grant does not allow ${req.method ?? ''} on ${key}`);
    if (access !== 'all') spend(access, req.method ?? '', key, res);
    // The suffix keeps a key and a key below it ('a' and 'a/b') from needing the same path as file and directory.
    const file = `${join(root, ...key.split('/').map(fileSegment))}.blob`;
    switch (req.method) {
      case 'PUT':
        return put(req, res, key, file);
      case 'GET':
      case 'HEAD':
        return get(req, res, file, () => spendWriteOfFound(access, req.method ?? '', key, res));
      case 'DELETE':
        return remove(res, file);
      default:
        res.setHeader('allow', 'GET, HEAD, PUT, DELETE');
        throw new HttpError(405, 'method-not-allowed', `${req.method ?? ''} not allowed on blobs`);
    }
  }

  async function put(req: IncomingMessage, res: ServerResponse, key: string, file: string): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBlobBytes) throw new HttpError(413, 'too-large', `blob of ${declared} bytes exceeds the limit of ${maxBlobBytes}`);
    const expected = headerValue(req.headers['x-content-sha256'])?.toLowerCase();
    if (expected !== undefined && !SHA256_HEX.test(expected)) throw new HttpError(400, 'bad-checksum-header', 'x-content-sha256 must be 64 hex digits');
    try {
      await mkdir(dirname(file), { recursive: true });
    } catch (err) {
      throw conflictOr(err, key);
    }
    const temp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.partial`);
    const begun = performance.now();
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx');
      const hash = createHash('sha256');
      let bytes = 0;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > maxBlobBytes) throw new HttpError(413, 'too-large', `blob exceeds the limit of ${maxBlobBytes} bytes`);
        hash.update(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          await writeAll(handle, batch);
          batch = [];
          batchBytes = 0;
        }
      }
      await writeAll(handle, batch);
      const sha256 = hash.digest('hex');
      if (expected !== undefined && expected !== sha256) {
        throw new HttpError(422, 'checksum-mismatch', `body sha256 ${sha256} does not match x-content-sha256 ${expected}; blob not replaced`);
      }
      const received = performance.now();
      await handle.sync();
      await handle.close();
      handle = undefined;
      try {
        await rename(temp, file);
      } catch (err) {
        throw conflictOr(err, key);
      }
      await syncDir(dirname(file));
      // Where the store's time went, for a checkpoint's phases: receiving, hashing and writing the body; then fsync, rename, directory fsync.
      const round = (ms: number): number => Math.round(ms * 1000) / 1000;
      sendJson(res, 200, { key, bytes, sha256, receiveMs: round(received - begun), syncMs: round(performance.now() - received) });
    } finally {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }

  async function get(req: IncomingMessage, res: ServerResponse, file: string, found: () => void): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new HttpError(404, 'not-found', 'no such blob');
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new HttpError(404, 'not-found', 'no such blob');
      found();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stat.size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // Reading through the handle opened above keeps serving the same file even if a PUT renames over it meanwhile.
      await pipeline(handle.createReadStream({ autoClose: false, highWaterMark: WRITE_BATCH_BYTES }), res);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async function remove(res: ServerResponse, file: string): Promise<void> {
    try {
      await unlink(file);
    } catch (err) {
      if (isMissing(err)) throw new HttpError(404, 'not-found', 'no such blob');
      throw err;
    }
    res.writeHead(204).end();
  }

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: serverUrl(host, port),
    port,
    close: () => closeServer(server),
    setOutage(on: boolean) {
      outage = on;
    },
    usedGrants: () => usedGrants.size(),
  };
}

async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  if (chunks.length === 0) return;
  let pending = chunks;
  // writev may write less than asked; continue from where it stopped.
  for (;;) {
    const total = pending.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await handle.writev(pending);
    if (bytesWritten >= total) return;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const c of pending) {
      if (skip >= c.length) {
        skip -= c.length;
      } else {
        rest.push(c.subarray(skip));
        skip = 0;
      }
    }
    pending = rest;
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; some filesystems refuse fsync on a directory, which is harmless here.
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function conflictOr(err: unknown, key: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
    return new HttpError(409, 'key-conflict', `key ${key} collides with an existing key's file or directory`);
  }
  return err;
}
