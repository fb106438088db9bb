import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RegionProblem } from './region.ts';

/**
 * The snapshot of an actor: its region followed by a 48-byte trailer
 * (magic, region size, sha256 of the region). The same bytes go to the
 * node's disk (a pause) and to the store (a suspend). Reading places the
 * bytes straight into a region-sized buffer while hashing them, so a restore
 * never holds two copies of a large actor.
 */

/** Bytes of the trailer after the region. */
export const TRAILER_BYTES = 48;

const MAGIC = Buffer.from('ACTRSNP1', 'latin1');
// Hashing and writing go in slices this size so one large actor never stalls the worker's event loop for long.
const SLICE_BYTES = 8 * 1024 * 1024;

/** A sealed region, ready to be written. */
export interface SealedSnapshot {
  readonly region: Buffer;
  readonly trailer: Buffer;
  /** sha256 of region and trailer together, as the store verifies it. */
  readonly sha256: string;
  readonly bytes: number;
}

/** A snapshot read back, or why it was refused. */
export type ReadSnapshot = { readonly region: Buffer; readonly bytes: number; readonly problem: null } | { readonly region: null; readonly bytes: number; readonly problem: RegionProblem };

/** Size of the snapshot of a region of `regionBytes`. */
export function snapshotBytesFor(regionBytes: number): number {
  return regionBytes + TRAILER_BYTES;
}

/** Hashes a region into its trailer, yielding to the event loop between slices. */
export async function sealRegion(region: Buffer): Promise<SealedSnapshot> {
  const hash = createHash('sha256');
  for (let at = 0; at < region.length; at += SLICE_BYTES) {
    hash.update(region.subarray(at, at + SLICE_BYTES));
    await yieldLoop();
  }
  // The region's hash goes into the trailer, and the whole body's hash continues from the same state: one pass.
  const whole = hash.copy();
  const trailer = Buffer.alloc(TRAILER_BYTES);
  MAGIC.copy(trailer, 0);
  trailer.writeBigUInt64LE(BigInt(region.length), 8);
  hash.digest().copy(trailer, 16);
  whole.update(trailer);
  return { region, trailer, sha256: whole.digest('hex'), bytes: region.length + TRAILER_BYTES };
}

/** Writes a snapshot to `file` atomically: a temp file beside it, fsync, rename, fsync of the directory. */
export async function writeSnapshotFile(file: string, sealed: SealedSnapshot): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.partial`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    for (let at = 0; at < sealed.region.length; at += SLICE_BYTES) {
      await writeFully(handle, sealed.region.subarray(at, at + SLICE_BYTES));
    }
    await writeFully(handle, sealed.trailer);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
    const dir = await open(dirname(file), 'r').catch(() => undefined);
    await dir?.sync().catch(() => undefined);
    await dir?.close().catch(() => undefined);
  } finally {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
  }
}

/** Reads the snapshot in `file` for a region of `regionBytes`; null if there is no such file. */
export async function readSnapshotFile(file: string, regionBytes: number): Promise<ReadSnapshot | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = (await handle.stat()).size;
    if (size !== snapshotBytesFor(regionBytes)) return refused(size, `snapshot is ${size} bytes, a region of ${regionBytes} needs ${snapshotBytesFor(regionBytes)}`);
    const reader = new SnapshotReader(regionBytes);
    for (let at = 0; at < size; ) {
      // Read straight into the region (or the trailer) where the bytes belong.
      const target = reader.nextTarget(SLICE_BYTES);
      const { bytesRead } = await handle.read(target, 0, target.length, at);
      if (bytesRead === 0) break;
      reader.accept(target.subarray(0, bytesRead));
      at += bytesRead;
    }
    return reader.finish();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads a snapshot for a region of `regionBytes` from a stream of chunks (a store GET). */
export async function readSnapshotStream(chunks: AsyncIterable<Uint8Array>, regionBytes: number): Promise<ReadSnapshot> {
  const reader = new SnapshotReader(regionBytes);
  for await (const chunk of chunks) {
    if (!reader.copyIn(chunk)) return refused(reader.bytes, `snapshot is longer than the ${snapshotBytesFor(regionBytes)} bytes of a region of ${regionBytes}`);
  }
  return reader.finish();
}

/** Places snapshot bytes into a fresh region and the trailer, hashing the region bytes as they pass. */
class SnapshotReader {
  readonly region: Buffer;
  private readonly trailer = Buffer.alloc(TRAILER_BYTES);
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly regionBytes: number) {
    this.region = Buffer.alloc(regionBytes);
  }

  /** The buffer the next bytes belong in, at most `max` long (empty once complete). */
  nextTarget(max: number): Buffer {
    if (this.bytes < this.regionBytes) return this.region.subarray(this.bytes, Math.min(this.regionBytes, this.bytes + max));
    return this.trailer.subarray(this.bytes - this.regionBytes);
  }

  /** Records bytes already written into `nextTarget()`. */
  accept(written: Buffer): void {
    if (this.bytes < this.regionBytes) this.hash.update(written);
    this.bytes += written.length;
  }

  /** Copies a chunk in; false if it runs past the end of a snapshot. */
  copyIn(chunk: Uint8Array): boolean {
    let from = 0;
    while (from < chunk.length) {
      const target = this.nextTarget(chunk.length - from);
      if (target.length === 0) {
        this.bytes += chunk.length - from;
        return false;
      }
      const n = Math.min(target.length, chunk.length - from);
      target.set(chunk.subarray(from, from + n));
      this.accept(target.subarray(0, n));
      from += n;
    }
    return true;
  }

  finish(): ReadSnapshot {
    const want = snapshotBytesFor(this.regionBytes);
    if (this.bytes !== want) return refused(this.bytes, `snapshot is ${this.bytes} bytes, a region of ${this.regionBytes} needs ${want}`);
    if (!this.trailer.subarray(0, 8).equals(MAGIC)) return refused(this.bytes, 'snapshot trailer has no magic');
    if (Number(this.trailer.readBigUInt64LE(8)) !== this.regionBytes) return refused(this.bytes, 'snapshot trailer names another region size');
    if (!this.trailer.subarray(16).equals(this.hash.digest())) return refused(this.bytes, 'snapshot checksum does not match its body');
    return { region: this.region, bytes: this.bytes, problem: null };
  }
}

function refused(bytes: number, message: string): ReadSnapshot {
  return { region: null, bytes, problem: { kind: 'corrupt', message } };
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; ) {
    const { bytesWritten } = await handle.write(data, at, data.length - at);
    at += bytesWritten;
  }
}

function yieldLoop(): Promise<void> {
  return new Promise((resolveYield) => setImmediate(resolveYield));
}
