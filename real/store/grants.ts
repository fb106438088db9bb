import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isStoreKey } from './keys.ts';

/**
 * Store grants: short-lived, key-scoped bearer tokens. The driver holds the
 * store's secret and mints one per restore or checkpoint it orders, bound to
 * the one store key that request touches (`actors/<id>` or
 * `golden/<template>`), the operations it needs and an expiry; the worker
 * presents it to the store, which verifies it with the same secret. So a
 * worker never holds the store's secret, and the grants it was given let it
 * touch only the snapshots of the actors it was asked to move.
 *
 *   grant = "g2." base64url("<ops>|<key>|<expiresAtEpochMs>|<id>") "." base64url(HMAC-SHA256(k, payload))
 *   k     = HMAC-SHA256(storeSecret, "actorsim store grant v2")
 *
 * `<id>` is 96 random bits, fresh for every grant: the store remembers the
 * ids it has seen used until they expire, so a grant serves one request and
 * a replay of it is refused (see grant-ledger.ts). Grants of the first
 * format carry no id and are refused as malformed: driver and store always
 * come from the same build.
 *
 * The expiry is wall-clock epoch milliseconds (driver and store may be
 * different pods, so no shared monotonic clock exists); the store allows a
 * bounded clock skew on top.
 */

/** What a grant allows on its key: read is GET and HEAD, write is PUT; DELETE and other keys need the store's secret. */
export type GrantOps = 'r' | 'w' | 'rw';

/** A verified grant's claims. */
export interface StoreGrant {
  readonly ops: GrantOps;
  readonly key: string;
  readonly expiresAtMs: number;
  /** Random and unique to the grant: what the store records once the grant is used. */
  readonly id: string;
}

/** Default lifetime of a grant: long enough for a 4 GiB transfer on a loaded node, short enough to die with the request. */
export const DEFAULT_GRANT_TTL_MS = 5 * 60_000;
/** Clock skew between the driver's and the store's clocks the store tolerates past a grant's expiry. */
export const DEFAULT_GRANT_SKEW_MS = 60_000;

const PREFIX = 'g2.';
// v2 with the id in the payload: a MAC of the first format never verifies as one of this.
const CONTEXT = 'actorsim store grant v2';
/** 12 random bytes in base64url. */
const GRANT_ID = /^[A-Za-z0-9_-]{16}$/;

function grantKey(secret: string): Buffer {
  // A derived key, so a grant's MAC never doubles as anything signed with the secret itself.
  return createHmac('sha256', secret).update(CONTEXT).digest();
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** Whether a bearer token has the shape of a grant (it may still be forged or expired). */
export function looksLikeGrant(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** Mints grants with the store's secret; held by the driver only. */
export class GrantMinter {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(secret: string, options: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    if (secret.length === 0) throw new Error('grant minter: empty secret');
    this.key = grantKey(secret);
    this.ttlMs = options.ttlMs ?? DEFAULT_GRANT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** A fresh grant of `ops` on `key`, expiring `ttlMs` from now by the minter's clock; one per request, never reused. */
  mint(ops: GrantOps, key: string): string {
    if (!isStoreKey(key)) throw new Error(`grant minter: invalid store key ${JSON.stringify(key)}`);
    const payload = `${ops}|${key}|${Math.ceil(this.now() + this.ttlMs)}|${randomBytes(12).toString('base64url')}`;
    return `${PREFIX}${Buffer.from(payload).toString('base64url')}.${mac(this.key, payload).toString('base64url')}`;
  }
}

/** Why a grant was refused: forged or malformed (401), expired (401). */
export type GrantRefusal = 'bad-grant' | 'expired';

/** Verifies grants with the store's secret; held by the store. */
export class GrantVerifier {
  private readonly key: Buffer;
  private readonly skewMs: number;
  private readonly now: () => number;

  constructor(secret: string, options: { readonly skewMs?: number; readonly now?: () => number } = {}) {
    if (secret.length === 0) throw new Error('grant verifier: empty secret');
    this.key = grantKey(secret);
    this.skewMs = options.skewMs ?? DEFAULT_GRANT_SKEW_MS;
    this.now = options.now ?? Date.now;
  }

  /** The grant's claims if its MAC holds and it has not expired, else why not. */
  verify(token: string): StoreGrant | GrantRefusal {
    if (!looksLikeGrant(token)) return 'bad-grant';
    const [payloadPart, macPart, ...rest] = token.slice(PREFIX.length).split('.');
    if (payloadPart === undefined || macPart === undefined || rest.length > 0) return 'bad-grant';
    const payload = Buffer.from(payloadPart, 'base64url').toString();
    const given = Buffer.from(macPart, 'base64url');
    const expected = mac(this.key, payload);
    // Compare equal lengths only (timingSafeEqual throws otherwise); the length of a MAC is public.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-grant';
    const [ops, key, expires, id, ...more] = payload.split('|');
    const expiresAtMs = Number(expires);
    if (
      (ops !== 'r' && ops !== 'w' && ops !== 'rw') ||
      key === undefined ||
      !isStoreKey(key) ||
      !Number.isSafeInteger(expiresAtMs) ||
      id === undefined ||
      !GRANT_ID.test(id) ||
      more.length > 0
    ) {
      return 'bad-grant';
    }
    if (this.now() > this.lastValidMs({ expiresAtMs })) return 'expired';
    return { ops, key, expiresAtMs, id };
  }

  /** The last instant, by the store's clock, at which `grant` still verifies: its expiry plus the skew allowance. */
  lastValidMs(grant: Pick<StoreGrant, 'expiresAtMs'>): number {
    return grant.expiresAtMs + this.skewMs;
  }
}

/** The operation class of a method a grant may allow: `r` for GET and HEAD, `w` for PUT, null for anything else. */
export function grantOpOf(method: string): 'r' | 'w' | null {
  if (method === 'GET' || method === 'HEAD') return 'r';
  if (method === 'PUT') return 'w';
  return null;
}

/** Whether `grant` allows `method` on `key`. */
export function grantAllows(grant: StoreGrant, method: string, key: string): boolean {
  const op = grantOpOf(method);
  return grant.key === key && op !== null && grant.ops.includes(op);
}
