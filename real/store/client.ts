import { createHash } from 'node:crypto';
import { isStoreKey } from './keys.ts';

/** Options of a {@link StoreClient}. */
export interface StoreClientOptions {
  /** Base URL of the store server, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  readonly token: string;
  /** Per-request budget, body transfer included (default 60 s). */
  readonly timeoutMs?: number;
}

/** A failed store request; `status` is the HTTP status, or 0 when no answer came (refused, reset, timed out). */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A blob being read as a stream, for callers that place it in memory of their own. */
export interface StoreBlobStream {
  /** Content-Length the store announced. */
  readonly bytes: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** Stops the transfer early (e.g. the blob turned out to be the wrong size). */
  cancel(): Promise<void>;
}

/** What a successful PUT stored. */
export interface StorePutResult {
  readonly bytes: number;
  readonly sha256: string;
  /**
   * The store's own time, where it says it: receiving, hashing and writing
   * the body, then making it durable (fsync, rename, directory fsync). The
   * rest of the PUT's time is the sender's and the connection's.
   */
  readonly receiveMs?: number;
  readonly syncMs?: number;
}

// Request bodies are sent in views of this size: no copy of a large snapshot is ever made.
const SEND_CHUNK_BYTES = 1 << 20;

/**
 * Client of the blob store over fetch. Every request carries the bearer token
 * and its own timeout; every failure names the method, the URL and the status.
 * Bodies made of several buffers (a snapshot's region and its trailer) are
 * streamed without being concatenated, so a PUT never doubles the memory of a
 * large actor.
 */
export class StoreClient {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: StoreClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Stores `body` under `key`; the store verifies `sha256` (computed here if not given) before replacing anything. */
  async put(key: string, body: Buffer | readonly Buffer[], options: { sha256?: string } = {}): Promise<StorePutResult> {
    const parts = Buffer.isBuffer(body) ? [body] : body;
    const sha256 = options.sha256 ?? sha256Of(parts);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    const init: RequestInit & { duplex?: 'half' } =
      parts.length === 1
        ? { body: parts[0] }
        : { body: streamOf(parts), duplex: 'half' };
    const res = await this.request('PUT', key, { ...init, headers: { 'x-content-sha256': sha256, 'content-type': 'application/octet-stream' } });
    if (res.status !== 200) throw await this.failure('PUT', key, res);
    const answer = (await res.json()) as StorePutResult;
    if (answer.bytes !== bytes) throw new StoreError(`PUT ${this.urlOf(key)}: store kept ${answer.bytes} bytes, sent ${bytes}`, res.status, this.urlOf(key));
    const ms = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
    const receiveMs = ms(answer.receiveMs);
    const syncMs = ms(answer.syncMs);
    return { bytes: answer.bytes, sha256: answer.sha256, ...(receiveMs === undefined ? {} : { receiveMs }), ...(syncMs === undefined ? {} : { syncMs }) };
  }

  /** The blob under `key`, or null if there is none. */
  async get(key: string): Promise<Buffer | null> {
    const res = await this.request('GET', key);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200) throw await this.failure('GET', key, res);
    try {
      return Buffer.from(await res.arrayBuffer());
    } catch (err) {
      throw this.transportError('GET', key, err);
    }
  }

  /** Opens the blob under `key` as a stream, or null if there is none; the timeout covers the whole transfer. */
  async open(key: string): Promise<StoreBlobStream | null> {
    const res = await this.request('GET', key);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200 || res.body === null) throw await this.failure('GET', key, res);
    const body = res.body;
    const self = this;
    return {
      bytes: Number(res.headers.get('content-length') ?? NaN),
      body: (async function* () {
        try {
          for await (const chunk of body) yield chunk;
        } catch (err) {
          throw self.transportError('GET', key, err);
        }
      })(),
      cancel: () => body.cancel().catch(() => undefined),
    };
  }

  /** The size of the blob under `key`, or null if there is none. */
  async head(key: string): Promise<number | null> {
    const res = await this.request('HEAD', key);
    if (res.status === 404) return null;
    if (res.status !== 200) throw await this.failure('HEAD', key, res);
    return Number(res.headers.get('content-length') ?? NaN);
  }

  /** Deletes the blob under `key`; false if there was none. */
  async delete(key: string): Promise<boolean> {
    const res = await this.request('DELETE', key);
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (res.status !== 204) throw await this.failure('DELETE', key, res);
    return true;
  }

  private urlOf(key: string): string {
    return `${this.base}/blobs/${key}`;
  }

  private async request(method: string, key: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
    if (!isStoreKey(key)) throw new StoreError(`${method} ${this.urlOf(key)}: invalid store key`, 0, this.urlOf(key));
    try {
      return await fetch(this.urlOf(key), {
        ...init,
        method,
        headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.transportError(method, key, err);
    }
  }

  private transportError(method: string, key: string, err: unknown): StoreError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `timed out after ${this.timeoutMs} ms`
        : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message ?? ''})` : ''}`;
    return new StoreError(`${method} ${this.urlOf(key)} failed: ${why}`, 0, this.urlOf(key));
  }

  private async failure(method: string, key: string, res: Response): Promise<StoreError> {
    let detail = '';
    try {
      const text = await res.text();
      const parsed = JSON.parse(text) as { message?: unknown };
      detail = typeof parsed.message === 'string' ? parsed.message : text;
    } catch {
      // No readable body: the status says enough.
    }
    const url = this.urlOf(key);
    return new StoreError(`${method} ${url} failed: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`, res.status, url);
  }
}

function sha256Of(parts: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
}

function streamOf(parts: readonly Buffer[]): ReadableStream<Uint8Array> {
  let part = 0;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      for (;;) {
        const p = parts[part];
        if (p === undefined) {
          controller.close();
          return;
        }
        if (offset < p.length) {
          const end = Math.min(p.length, offset + SEND_CHUNK_BYTES);
          controller.enqueue(p.subarray(offset, end));
          offset = end;
          return;
        }
        part++;
        offset = 0;
      }
    },
  });
}
