import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearerMatches } from '../store/auth.ts';
import { fileSegment } from '../store/keys.ts';
import { StoreClient, StoreError } from '../store/client.ts';
import { HttpError, readJsonBody, sendFailure, sendJson } from '../store/http.ts';
import { closeServer, listen, serverUrl } from '../store/listen.ts';
import type { CheckpointAnswer, CheckpointRequest, ExecuteAnswer, ExecuteRequest, ResidentActor, RestoreAnswer, RestoreRequest, WorkerStats } from './api.ts';
import { bootRegion, checkRegion, goldenIdentity, regionBytesFor, stampRegion, type RegionProblem } from './region.ts';
import { parseActorId, parseCheckpoint, parseExecute, parseRestore } from './requests.ts';
import { readSnapshotFile, readSnapshotStream, sealRegion, writeSnapshotFile, type ReadSnapshot } from './snapshot.ts';
import { doWork } from './work.ts';

/** Options of {@link startWorkerServer}. */
export interface WorkerServerOptions {
  /** Address to bind; in a pod, its IP. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Bearer token every request but `/healthz` must carry. */
  readonly token: string;
  readonly workerId: string;
  /** Resident actors this worker hosts at most. */
  readonly actorSlots: number;
  /** The node's snapshot directory (pauses); workers on one node share it. */
  readonly nodeDir: string;
  /**
   * The store of external and golden snapshots. Requests carry the driver's
   * key-scoped grant for it; `token`, if given, is used for requests without
   * one (a worker run by hand or a test), and a worker run by a runtime has none.
   */
  readonly store: { readonly url: string; readonly token?: string; readonly timeoutMs?: number };
  /** Extra wait of a cold boot on top of writing the region (default 0). */
  readonly coldBootMs?: number;
  /** Called after a checkpoint freed an actor's region, so RSS falls when the actor leaves, not at the next GC. */
  readonly collectGarbage?: () => void;
}

/** A running worker server. */
export interface WorkerServer {
  readonly url: string;
  readonly port: number;
  readonly workerId: string;
  /** Stops listening, lets in-flight requests finish briefly, then drops the rest and every resident actor. */
  close(): Promise<void>;
}

/** A slot of the actor table; `restoring` holds a slot but is not yet resident. */
interface Slot {
  readonly id: string;
  readonly template: string;
  readonly memoryMiB: number;
  state: 'restoring' | 'idle' | 'executing' | 'checkpointing';
  region: Buffer | null;
  counter: number;
}

const JSON_LIMIT_BYTES = 64 * 1024;
const ACTOR_ROUTE = /^\/actors\/([^/]+)\/(restore|execute|checkpoint)$/;

/**
 * Starts a worker: one process, up to `actorSlots` resident actors, each a
 * real memory region. It restores actors from the store or the node's disk,
 * runs their invocations one at a time, and checkpoints them away. Versions
 * are checked both ways: a restore must find exactly the counter asked for,
 * a checkpoint must be asked for exactly the counter the actor has, so lost
 * or duplicated work is refused, never written.
 */
export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  if (options.token.length === 0) throw new Error('worker server: empty token');
  if (options.nodeDir === '') throw new Error('worker server: empty nodeDir');
  if (!Number.isSafeInteger(options.actorSlots) || options.actorSlots < 1) throw new Error(`worker server: bad actorSlots ${options.actorSlots}`);
  const nodeDir = resolve(options.nodeDir);
  await mkdir(nodeDir, { recursive: true });
  const storeUrl = options.store.url;
  const storeTimeoutMs = options.store.timeoutMs;
  /**
   * A client presenting the request's grant (or the worker's own store token).
   * Grants are single-use (store/grant-ledger.ts): a request reads its key at
   * most once and writes it at most once, and no store request is retried here.
   */
  function storeFor(grant: string | undefined): StoreClient {
    const token = grant ?? options.store.token;
    if (token === undefined || token === '') throw new HttpError(400, 'bad-request', 'this restore or checkpoint needs the store: storeGrant is missing');
    return new StoreClient({ url: storeUrl, token, ...(storeTimeoutMs === undefined ? {} : { timeoutMs: storeTimeoutMs }) });
  }
  const actors = new Map<string, Slot>();
  let gcPending = false;
  let abandonedRequests = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendFailure(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that gives up (its timeout, a dropped connection) has been told
    // nothing and reports the operation failed; the signal lets the operation
    // end the way the client believes it did instead of committing unseen.
    const gone = new AbortController();
    res.once('close', () => {
      if (res.writableFinished) return;
      abandonedRequests++;
      gone.abort();
    });
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(res, 'GET, HEAD');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end(req.method === 'HEAD' ? undefined : 'ok');
      return;
    }
    if (!bearerMatches(req.headers.authorization, options.token)) throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
    if (path === '/actors' || path === '/stats') {
      if (req.method !== 'GET') throw methodNotAllowed(res, 'GET');
      sendJson(res, 200, path === '/actors' ? listActors() : stats());
      return;
    }
    const route = ACTOR_ROUTE.exec(path);
    if (route === null) throw new HttpError(404, 'not-found', `no route ${path}`);
    if (req.method !== 'POST') throw methodNotAllowed(res, 'POST');
    const id = parseActorId(route[1] ?? '');
    const body = await readJsonBody(req, JSON_LIMIT_BYTES);
    switch (route[2]) {
      case 'restore':
        return sendJson(res, 200, await restore(id, parseRestore(body), gone.signal));
      case 'execute':
        return sendJson(res, 200, await execute(id, parseExecute(body), gone.signal));
      default:
        return sendJson(res, 200, await checkpoint(id, parseCheckpoint(body), gone.signal));
    }
  }

  /**
   * An abandoned restore frees its slot and drops what it loaded, as if it
   * had failed. A restore of an actor already resident, idle, at the asked
   * version and template succeeds at once: the retry of a restore whose
   * client gave up as it finished (a worker held to a small cpu limit can
   * see the connection's close only after the load's own continuation has
   * committed the actor, so the client was told it failed).
   */
  async function restore(id: string, request: RestoreRequest, gone: AbortSignal): Promise<RestoreAnswer> {
    const existing = actors.get(id);
    if (existing !== undefined && existing.state === 'idle' && existing.counter === request.version && existing.template === request.template) {
      return { restoreMs: 0, bytes: 0, writtenBytes: 0, counter: existing.counter };
    }
    if (existing !== undefined) throw new HttpError(409, 'already-resident', `${id} is already ${existing.state === 'restoring' ? 'being restored' : 'resident'} on ${options.workerId}`);
    if (actors.size >= options.actorSlots) throw new HttpError(409, 'slots-full', `${options.workerId} has all ${options.actorSlots} slots taken`);
    // The slot is taken before any I/O, so concurrent restores can never overfill the worker.
    const slot: Slot = { id, template: request.template, memoryMiB: request.memoryMiB, state: 'restoring', region: null, counter: 0 };
    actors.set(id, slot);
    const start = performance.now();
    try {
      const loaded = await load(id, request);
      // Checked after the load, with no await before the slot turns idle, so
      // an actor is never left resident that its client was not told about.
      if (gone.aborted) throw abandoned(`restore of ${id}`);
      slot.region = loaded.region;
      slot.counter = request.version;
      slot.state = 'idle';
      return { restoreMs: performance.now() - start, bytes: loaded.bytes, writtenBytes: loaded.writtenBytes, counter: slot.counter };
    } catch (err) {
      actors.delete(id);
      throw err;
    }
  }

  async function load(id: string, request: RestoreRequest): Promise<{ region: Buffer; bytes: number; writtenBytes: number }> {
    const { template, version, source } = request;
    const regionBytes = regionBytesFor(request.memoryMiB);
    const origins = [id, goldenIdentity(template)];
    if (source === 'cold' || source === 'golden') {
      if (version !== 0) throw new HttpError(409, 'stale', `a ${source} restore starts at counter 0, version ${version} was asked`);
    }
    if (source === 'cold') {
      if (options.coldBootMs) await sleep(options.coldBootMs);
      return { region: bootRegion(regionBytes, id, template), bytes: 0, writtenBytes: 0 };
    }
    if (source === 'golden') {
      const golden = await loadGolden(storeFor(request.storeGrant), template, regionBytes);
      // The body stays the golden one (the header records its seed); owner and first page become the actor's.
      stampRegion(golden.region, id, 0);
      return golden;
    }
    if (source === 'local') {
      try {
        const read = await readLocal(id, regionBytes);
        return { region: accept(read, { actor: id, template, version, origins }), bytes: read.bytes, writtenBytes: 0 };
      } catch (err) {
        // The node's copy of a suspended actor is a cache: if it is gone or
        // older than asked, the store may hold the version. A paused actor
        // has no copy there and still fails, as it must.
        if (!(err instanceof HttpError) || (err.code !== 'missing' && err.code !== 'stale')) throw err;
        let fallback: ReadSnapshot;
        try {
          fallback = await readExternal(storeFor(request.storeGrant), `actors/${id}`, regionBytes);
        } catch {
          throw err;
        }
        return { region: accept(fallback, { actor: id, template, version, origins }), bytes: fallback.bytes, writtenBytes: 0 };
      }
    }
    const read = await readExternal(storeFor(request.storeGrant), `actors/${id}`, regionBytes);
    return { region: accept(read, { actor: id, template, version, origins }), bytes: read.bytes, writtenBytes: 0 };
  }

  async function loadGolden(store: StoreClient, template: string, regionBytes: number): Promise<{ region: Buffer; bytes: number; writtenBytes: number }> {
    const identity = goldenIdentity(template);
    const key = `golden/${template}`;
    const read = await readExternal(store, key, regionBytes, true);
    if (read !== null) return { region: accept(read, { actor: identity, template, version: 0, origins: [identity] }), bytes: read.bytes, writtenBytes: 0 };
    // First golden restore of this template: boot it and publish it. Racing workers write the same bytes; the last rename wins.
    const region = bootRegion(regionBytes, identity, template);
    const sealed = await sealRegion(region);
    try {
      await store.put(key, [sealed.region, sealed.trailer], { sha256: sealed.sha256 });
    } catch (err) {
      throw storeFailed(err, `creating golden snapshot ${key}`);
    }
    return { region, bytes: 0, writtenBytes: sealed.bytes };
  }

  async function readLocal(id: string, regionBytes: number): Promise<ReadSnapshot> {
    let read: ReadSnapshot | null;
    try {
      read = await readSnapshotFile(snapshotFile(id), regionBytes);
    } catch (err) {
      throw new HttpError(503, 'disk-failed', `reading ${snapshotFile(id)}: ${(err as Error).message}`);
    }
    if (read === null) throw new HttpError(409, 'missing', `no local snapshot of ${id} on this node`);
    return read;
  }

  async function readExternal(store: StoreClient, key: string, regionBytes: number): Promise<ReadSnapshot>;
  async function readExternal(store: StoreClient, key: string, regionBytes: number, absentOk: true): Promise<ReadSnapshot | null>;
  async function readExternal(store: StoreClient, key: string, regionBytes: number, absentOk = false): Promise<ReadSnapshot | null> {
    try {
      const blob = await store.open(key);
      if (blob === null) {
        if (absentOk) return null;
        throw new HttpError(409, 'missing', `no snapshot ${key} in the store`);
      }
      const read = await readSnapshotStream(blob.body, regionBytes);
      if (read.problem !== null) await blob.cancel();
      return read;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw storeFailed(err, `reading ${key}`);
    }
  }

  /**
   * An abandoned execution stops its work and does not count: the counter
   * stays where the client's failure report leaves it, so the next execute
   * and checkpoint versions still match, and the actor is free for the retry.
   */
  async function execute(id: string, request: ExecuteRequest, gone: AbortSignal): Promise<ExecuteAnswer> {
    const slot = residentSlot(id);
    if (slot.state !== 'idle') throw new HttpError(409, 'busy', `${id} is ${slot.state}; one invocation at a time`);
    slot.state = 'executing';
    const start = performance.now();
    try {
      await doWork(request.workMs, request.mode, gone);
      if (gone.aborted) throw abandoned(`execution of ${id}`);
      slot.counter += 1;
      if (slot.region !== null) stampRegion(slot.region, id, slot.counter);
    } finally {
      slot.state = 'idle';
    }
    return { invocation: request.invocation, counter: slot.counter, execMs: performance.now() - start };
  }

  /**
   * An abandoned checkpoint keeps the actor resident and idle, as the client's
   * failure report tells the scheduler: dropping it would leave an actor the
   * scheduler believes resident missing here (404 on its next execute). The
   * snapshot it wrote stays; it is whole and checksummed, and the scheduler's
   * retry writes over it. Should the worker die before that retry, a restore
   * of the older version the scheduler knows is refused as stale, as after
   * any checkpoint whose answer is lost in flight.
   */
  async function checkpoint(id: string, request: CheckpointRequest, gone: AbortSignal): Promise<CheckpointAnswer> {
    const slot = residentSlot(id);
    if (slot.state !== 'idle') throw new HttpError(409, 'busy', `${id} is ${slot.state}`);
    if (request.version !== slot.counter) {
      throw new HttpError(409, 'version-mismatch', `${id} is at counter ${slot.counter}, a checkpoint of version ${request.version} was asked`);
    }
    const region = slot.region;
    if (region === null) throw new HttpError(500, 'internal', `${id} is resident without a region`);
    slot.state = 'checkpointing';
    const start = performance.now();
    const since = (): number => performance.now() - start;
    try {
      const sealed = await sealRegion(region);
      const seal = since();
      let disk: number | undefined;
      let stored: number | undefined;
      let received: number | undefined;
      if (request.target === 'local') {
        try {
          await writeSnapshotFile(snapshotFile(id), sealed);
          disk = since();
        } catch (err) {
          throw new HttpError(503, 'disk-failed', `writing ${snapshotFile(id)}: ${(err as Error).message}; ${id} stays resident`);
        }
      } else {
        const store = storeFor(request.storeGrant);
        // The node keeps a copy of what it uploads, so a later resume on this
        // node reads its disk (the scheduler counts that as resume-local).
        // Written alongside the upload; the upload decides success, and a
        // copy that failed to land is removed so it can never be read stale.
        const copy = writeSnapshotFile(snapshotFile(id), sealed).then(
          () => {
            disk = since();
            return true;
          },
          () => false,
        );
        try {
          const put = await store.put(`actors/${id}`, [sealed.region, sealed.trailer], { sha256: sealed.sha256 });
          stored = since();
          // The store's fsync ended just before its answer: what came before it was the body's transfer and write.
          if (put.syncMs !== undefined) received = Math.max(seal, stored - put.syncMs);
        } catch (err) {
          // The upload failed: the copy holds a version the scheduler never saw; drop it.
          if (await copy) await rm(snapshotFile(id), { force: true }).catch(() => undefined);
          throw storeFailed(err, `writing actors/${id}; ${id} stays resident`);
        }
        if (!(await copy)) await rm(snapshotFile(id), { force: true }).catch(() => undefined);
      }
      if (gone.aborted) throw abandoned(`checkpoint of ${id}; ${id} stays resident`);
      actors.delete(id);
      slot.region = null;
      scheduleGc();
      const phases = { seal, ...(disk === undefined ? {} : { disk }), ...(received === undefined ? {} : { received }), ...(stored === undefined ? {} : { store: stored }) };
      return { checkpointMs: since(), bytes: sealed.bytes, phases };
    } finally {
      if (slot.region !== null) slot.state = 'idle';
    }
  }

  function residentSlot(id: string): Slot {
    const slot = actors.get(id);
    if (slot === undefined || slot.state === 'restoring') throw new HttpError(404, 'not-resident', `${id} is not resident on ${options.workerId}`);
    return slot;
  }

  function accept(read: ReadSnapshot, expect: Parameters<typeof checkRegion>[1]): Buffer {
    if (read.problem !== null) throw refusal(read.problem);
    const problem = checkRegion(read.region, expect);
    if (problem !== null) throw refusal(problem);
    return read.region;
  }

  function snapshotFile(id: string): string {
    return join(nodeDir, `${fileSegment(id)}.snap`);
  }

  function scheduleGc(): void {
    // Coalesced: a burst of checkpoints costs one collection.
    if (options.collectGarbage === undefined || gcPending) return;
    gcPending = true;
    setTimeout(() => {
      gcPending = false;
      options.collectGarbage?.();
    }, 0).unref();
  }

  function listActors(): ResidentActor[] {
    const list: ResidentActor[] = [];
    for (const s of actors.values()) {
      if (s.state === 'restoring') continue;
      list.push({ id: s.id, template: s.template, counter: s.counter, memoryMiB: s.memoryMiB, busy: s.state !== 'idle', state: s.state });
    }
    return list;
  }

  function stats(): WorkerStats {
    const mem = process.memoryUsage();
    let resident = 0;
    let busy = 0;
    let residentRegionBytes = 0;
    for (const s of actors.values()) {
      if (s.state === 'restoring') continue;
      resident++;
      if (s.state !== 'idle') busy++;
      residentRegionBytes += s.region?.length ?? 0;
    }
    return {
      workerId: options.workerId,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      arrayBuffersBytes: mem.arrayBuffers,
      residentRegionBytes,
      resident,
      busy,
      actorSlots: options.actorSlots,
      abandonedRequests,
    };
  }

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: serverUrl(host, port),
    port,
    workerId: options.workerId,
    async close() {
      await closeServer(server);
      actors.clear();
    },
  };
}

function refusal(problem: RegionProblem): HttpError {
  return problem.kind === 'stale' ? new HttpError(409, 'stale', problem.message) : new HttpError(422, 'corrupt', problem.message);
}

/** What an abandoned operation throws; nobody reads it, the client has gone. */
function abandoned(what: string): HttpError {
  return new HttpError(499, 'abandoned', `${what} abandoned: the client went away before the answer`);
}

function storeFailed(err: unknown, what: string): HttpError {
  const detail = err instanceof StoreError ? err.message : (err as Error).message;
  return new HttpError(503, 'store-failed', `${what}: ${detail}`);
}

function methodNotAllowed(res: ServerResponse, allow: string): HttpError {
  res.setHeader('allow', allow);
  return new HttpError(405, 'method-not-allowed', `allowed: ${allow}`);
}
