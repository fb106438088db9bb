import { createHmac, timingSafeEqual } from 'node:crypto';
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
 *   grant = "g1." base64url("<ops>|<key>|<expiresAtEpochMs>") "." base64url(HMAC-SHA256(k, payload))
 *   k     = HMAC-SHA256(storeSecret, "actorsim store grant v1")
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
}

/** Default lifetime of a grant: long enough for a 4 GiB transfer on a loaded node, short enough to die with the request. */
export const DEFAULT_GRANT_TTL_MS = 5 * 60_000;
/** Clock skew between the driver's and the store's clocks the store tolerates past a grant's expiry. */
export const DEFAULT_GRANT_SKEW_MS = 60_000;

const PREFIX = 'g1.';
const CONTEXT = 'actorsim store grant v1';

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

  /** A grant of `ops` on `key`, expiring `ttlMs` from now by the minter's clock. */
  mint(ops: GrantOps, key: string): string {
    if (!isStoreKey(key)) throw new Error(`grant minter: invalid store key ${JSON.stringify(key)}`);
    const payload = `${ops}|${key}|${Math.ceil(this.now() + this.ttlMs)}`;
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
    const [ops, key, expires, ...more] = payload.split('|');
    const expiresAtMs = Number(expires);
    if ((ops !== 'r' && ops !== 'w' && ops !== 'rw') || key === undefined || !isStoreKey(key) || !Number.isSafeInteger(expiresAtMs) || more.length > 0) {
      return 'bad-grant';
    }
    if (this.now() > expiresAtMs + this.skewMs) return 'expired';
    return { ops, key, expiresAtMs };
  }
}

/** Whether `grant` allows `method` on `key`. */
export function grantAllows(grant: StoreGrant, method: string, key: string): boolean {
  if (grant.key !== key) return false;
  if (method === 'GET' || method === 'HEAD') return grant.ops.includes('r');
  if (method === 'PUT') return grant.ops.includes('w');
  return false;
}
