import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * JSON over HTTP as the store and the worker speak it: errors are
 * `{ error, message }` with a short machine-readable code, so a driver can
 * map a refusal to a reason without parsing prose.
 */

/** A refusal with its HTTP status and error code; anything else thrown is a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Answers `status` with `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a failed request as `{ error, message }`, or breaks the connection if the answer had already begun. */
export function sendFailure(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    // Mid-stream: the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  const e = err instanceof HttpError ? err : new HttpError(500, 'internal', err instanceof Error ? err.message : String(err));
  if (!res.req.complete) {
    // A refusal before the body was read (a grant that does not allow the key,
    // a bad token): closing at once breaks the client's upload with EPIPE and it
    // never sees this answer. A body of declared, bounded length is read and
    // dropped instead, so the client finishes sending and reads the refusal;
    // anything larger or unbounded still closes the connection.
    const declared = Number(res.req.headers['content-length'] ?? NaN);
    if (!res.req.destroyed && Number.isFinite(declared) && declared <= DRAIN_LIMIT_BYTES) res.req.resume();
    else res.setHeader('connection', 'close');
  }
  sendJson(res, e.status, { error: e.code, message: e.message });
}

/** The largest unread request body a refusal reads and drops rather than closing the connection (see sendFailure). */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/** Reads a JSON request body of at most `limitBytes`; 413 above it, 400 if it does not parse. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limitBytes) throw new HttpError(413, 'too-large', `body of ${declared} bytes exceeds the limit of ${limitBytes}`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limitBytes) throw new HttpError(413, 'too-large', `body exceeds the limit of ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'bad-json', `body is not JSON: ${(err as Error).message}`);
  }
}
