/** Throws unless `value` is a finite number >= 0: specs built in TypeScript bypass the schema, and a NaN rate would silently emit nothing. */
export function requireNonNegative(where: string, field: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${where}: ${field} must be a finite number >= 0, got ${String(value)}`);
}

/** Throws unless `value` is a finite number > 0. */
export function requirePositive(where: string, field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${where}: ${field} must be a finite number > 0, got ${String(value)}`);
}
