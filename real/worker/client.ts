import type {
  CheckpointAnswer,
  CheckpointRequest,
  ExecuteAnswer,
  ExecuteRequest,
  ResidentActor,
  RestoreAnswer,
  RestoreRequest,
  WorkerErrorCode,
  WorkerStats,
} from './api.ts';

/** Options of a {@link WorkerClient}. */
export interface WorkerClientOptions {
  /** Base URL of the worker server. */
  readonly url: string;
  readonly token: string;
  /** Budget of a request that does no work of the actor's (default 60 s); an execution gets its workMs on top. */
  readonly timeoutMs?: number;
}

/**
 * A refused or failed worker request. `status` is the HTTP status (0 when no
 * answer came: refused, reset, timed out) and `code` the worker's error code,
 * so a driver can tell a stale snapshot (409 stale) from a corrupt one (422)
 * from a store outage (503 store-failed) without reading the message.
 */
export class WorkerError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: WorkerErrorCode | 'unreachable',
    readonly url: string,
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

/**
 * How long the driver waits for a worker's answer by default (an execute:
 * this plus its work) before it gives the request up; cost profiles write it
 * as requestTimeout, so the simulation gives requests up alike.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Client of one worker server's API (see `api.ts`), over fetch. */
export class WorkerClient {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: WorkerClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** Makes `actor` resident from `request.source`; see {@link RestoreRequest}. */
  restore(actor: string, request: RestoreRequest): Promise<RestoreAnswer> {
    return this.call('POST', `/actors/${encodeURIComponent(actor)}/restore`, request);
  }

  /** Runs one invocation of a resident actor. */
  execute(actor: string, request: ExecuteRequest): Promise<ExecuteAnswer> {
    return this.call('POST', `/actors/${encodeURIComponent(actor)}/execute`, request, request.workMs);
  }

  /** Checkpoints a resident actor away from the worker. */
  checkpoint(actor: string, request: CheckpointRequest): Promise<CheckpointAnswer> {
    return this.call('POST', `/actors/${encodeURIComponent(actor)}/checkpoint`, request);
  }

  /** The resident actors. */
  actors(): Promise<ResidentActor[]> {
    return this.call('GET', '/actors');
  }

  /** Memory and occupancy of the worker process. */
  stats(): Promise<WorkerStats> {
    return this.call('GET', '/stats');
  }

  /** Whether the worker answers its health check. */
  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(this.timeoutMs) });
      return res.status === 200 && (await res.text()) === 'ok';
    } catch {
      return false;
    }
  }

  private async call<T>(method: string, path: string, body?: unknown, extraMs = 0): Promise<T> {
    const url = `${this.base}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // AbortSignal.timeout takes whole milliseconds; work times are fractional.
        signal: AbortSignal.timeout(Math.ceil(this.timeoutMs + extraMs)),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `timed out after ${this.timeoutMs + extraMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      throw new WorkerError(`${method} ${url} failed: ${why}`, 0, 'unreachable', url);
    }
    if (res.status === 200) return JSON.parse(text) as T;
    let code: WorkerErrorCode = 'internal';
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: WorkerErrorCode; message?: string };
      code = parsed.error ?? code;
      message = parsed.message ?? text;
    } catch {
      // Not one of the worker's JSON refusals (a proxy in between?): keep the text.
    }
    throw new WorkerError(`${method} ${url} failed: ${res.status} ${code}: ${message}`, res.status, code, url);
  }
}
