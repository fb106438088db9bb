import { createHash } from 'node:crypto';

/**
 * The memory of a resident actor: one real buffer of the template's size,
 * every page written so the worker's RSS is what a real agent would cost.
 *
 * Layout (little-endian):
 *   page 0, bytes 0-63     header: magic, region size, counter, actor hash, template hash, body seed
 *   page 0, bytes 64-4095  the first page: sha256(actor:counter) repeated, rewritten by every invocation
 *   pages 1..n-1           the body: a 64 KiB xorshift block keyed by the body seed, repeated, with
 *                          each page's first 4 bytes stamped (seed ^ page index) so pages are distinct
 *
 * The body is filled once, at boot; it is keyed by the actor that booted it
 * (itself, or the template's golden snapshot it was restored from), which the
 * header records, so a check can recompute any page without refilling.
 */

/** Bytes of a page: the unit the body pattern and its stamps are laid out in. */
export const PAGE_BYTES = 4096;
/** Bytes of the region header. */
export const HEADER_BYTES = 64;

const MAGIC = Buffer.from('ACTRMEM1', 'latin1');
const BLOCK_BYTES = 64 * 1024;
const BLOCK_PAGES = BLOCK_BYTES / PAGE_BYTES;
const SAMPLED_PAGES = 64;

/** Identity of the golden snapshot of a template; `/` keeps it apart from every actor id. */
export function goldenIdentity(template: string): string {
  return `golden/${template}`;
}

/** Region size for a template's memory: whole pages, at least a header page and one body page. */
export function regionBytesFor(memoryMiB: number): number {
  return Math.max(2 * PAGE_BYTES, Math.ceil((memoryMiB * 1024 * 1024) / PAGE_BYTES) * PAGE_BYTES);
}

/** What the header of a region says. */
export interface RegionHeader {
  readonly regionBytes: number;
  readonly counter: number;
  readonly actorHash: Buffer;
  readonly templateHash: Buffer;
  readonly bodySeed: Buffer;
}

/** Why a region is not the one asked for: `stale` is a valid snapshot at another counter, `corrupt` anything else. */
export interface RegionProblem {
  readonly kind: 'stale' | 'corrupt';
  readonly message: string;
}

/** What a region must be to be accepted on restore. */
export interface RegionExpectation {
  readonly actor: string;
  readonly template: string;
  readonly version: number;
  /** Identities whose body the region may carry (the actor itself, its template's golden snapshot). */
  readonly origins: readonly string[];
}

/**
 * Boots a fresh region for `identity` at counter 0: allocates it and writes
 * every page. 256 MiB take about 0.15 s, almost all of it page faults.
 */
export function bootRegion(regionBytes: number, identity: string, template: string): Buffer {
  const region = Buffer.alloc(regionBytes);
  const seed = digest('body', identity).subarray(0, 16);
  region.fill(bodyBlock(seed), PAGE_BYTES, regionBytes);
  const seedWord = seed.readUInt32LE(0);
  for (let page = 1, pages = regionBytes / PAGE_BYTES; page < pages; page++) {
    region.writeUInt32LE((seedWord ^ page) >>> 0, page * PAGE_BYTES);
  }
  MAGIC.copy(region, 0);
  region.writeBigUInt64LE(BigInt(regionBytes), 8);
  digest('template', template).copy(region, 40, 0, 8);
  seed.copy(region, 48);
  stampRegion(region, identity, 0);
  return region;
}

/** Writes who owns the region and its counter into the header and rewrites the first page to match. */
export function stampRegion(region: Buffer, actor: string, counter: number): void {
  region.writeBigUInt64LE(BigInt(counter), 16);
  digest('actor', actor).copy(region, 24, 0, 16);
  region.fill(firstPagePattern(actor, counter), HEADER_BYTES, PAGE_BYTES);
}

/** Parses the header of a region, or null if it does not start with the magic. */
export function readHeader(region: Buffer): RegionHeader | null {
  if (region.length < HEADER_BYTES || !region.subarray(0, 8).equals(MAGIC)) return null;
  return {
    regionBytes: Number(region.readBigUInt64LE(8)),
    counter: Number(region.readBigUInt64LE(16)),
    actorHash: region.subarray(24, 40),
    templateHash: region.subarray(40, 48),
    bodySeed: region.subarray(48, 64),
  };
}

/**
 * Checks that a region is the actor's state at `version`: header, owner,
 * template, counter, the first page for that counter, and a sample of body
 * pages against the pattern of the header's body seed. Identity is checked
 * before the counter, so another actor's snapshot is corrupt, not stale.
 */
export function checkRegion(region: Buffer, expect: RegionExpectation): RegionProblem | null {
  const header = readHeader(region);
  if (header === null) return corrupt('region header has no magic');
  if (header.regionBytes !== region.length) return corrupt(`header says ${header.regionBytes} bytes, region has ${region.length}`);
  if (!header.templateHash.equals(digest('template', expect.template).subarray(0, 8))) return corrupt(`not a region of template ${expect.template}`);
  if (!header.actorHash.equals(digest('actor', expect.actor).subarray(0, 16))) return corrupt(`not a region of ${expect.actor}`);
  if (header.counter !== expect.version) {
    return { kind: 'stale', message: `snapshot holds counter ${header.counter}, version ${expect.version} was asked` };
  }
  if (!expect.origins.some((o) => header.bodySeed.equals(digest('body', o).subarray(0, 16)))) return corrupt('body seed belongs to no accepted origin');
  if (!region.subarray(HEADER_BYTES, PAGE_BYTES).equals(Buffer.alloc(PAGE_BYTES - HEADER_BYTES, firstPagePattern(expect.actor, header.counter)))) {
    return corrupt(`first page does not match counter ${header.counter}`);
  }
  const pages = region.length / PAGE_BYTES;
  const block = bodyBlock(header.bodySeed);
  const seedWord = header.bodySeed.readUInt32LE(0);
  const step = Math.max(1, Math.floor((pages - 1) / SAMPLED_PAGES));
  for (let page = 1; page < pages; page = page === pages - 1 ? pages : Math.min(pages - 1, page + step)) {
    const at = page * PAGE_BYTES;
    const inBlock = ((page - 1) % BLOCK_PAGES) * PAGE_BYTES;
    if (region.readUInt32LE(at) !== (seedWord ^ page) >>> 0 || !region.subarray(at + 4, at + PAGE_BYTES).equals(block.subarray(inBlock + 4, inBlock + PAGE_BYTES))) {
      return corrupt(`body page ${page} does not match its pattern`);
    }
  }
  return null;
}

function corrupt(message: string): RegionProblem {
  return { kind: 'corrupt', message };
}

function digest(kind: string, name: string): Buffer {
  return createHash('sha256').update(`${kind}:${name}`).digest();
}

function firstPagePattern(actor: string, counter: number): Buffer {
  return digest('page', `${actor}:${counter}`);
}

function bodyBlock(seed: Buffer): Buffer {
  // xorshift128: cheap, and keyed by the seed so two actors' bodies differ.
  let x = seed.readUInt32LE(0) | 1;
  let y = seed.readUInt32LE(4);
  let z = seed.readUInt32LE(8);
  let w = seed.readUInt32LE(12);
  const block = Buffer.alloc(BLOCK_BYTES);
  const words = new Uint32Array(block.buffer, block.byteOffset, BLOCK_BYTES / 4);
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    words[i] = w;
  }
  return block;
}
