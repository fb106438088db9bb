import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are
 * hashed first so the comparison runs on equal-length buffers in constant
 * time and leaks neither the token's content nor its length.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = bearerOf(header);
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  // Evaluate the comparison even for a missing header so every refusal costs the same.
  return timingSafeEqual(a, b) && given.length > 0;
}

/** The token of an `Authorization: Bearer <token>` header, or '' if there is none. */
export function bearerOf(header: string | undefined): string {
  return /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '')?.[1] ?? '';
}
