import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are
 * hashed first so the comparison runs on equal-length buffers in constant
 * time and leaks neither the token's content nor its length.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  // Evaluate the comparison even for a missing header so every refusal costs the same.
  return timingSafeEqual(a, b) && given.length > 0;
}
