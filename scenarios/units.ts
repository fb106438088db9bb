const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y;

/**
 * Parses a duration in Go's form (`250ms`, `1.5s`, `5m`, `1h30m`), plus `d`
 * for days, into milliseconds. A bare number has no unit and is refused:
 * "30" could mean seconds or milliseconds, and guessing is worse than asking.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s.length === 0) throw new Error('empty duration');
  PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (m === null) {
      throw new Error(`"${text}" is not a duration (use a number with a unit: ns, us, ms, s, m, h, d, e.g. 250ms, 1h30m)`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (!Number.isFinite(total)) throw new Error(`"${text}" is too large`);
  return total;
}

/** Formats milliseconds back as a short Go-style duration, for messages and reports. */
export function formatDuration(msTotal: number): string {
  if (msTotal === 0) return '0s';
  if (msTotal < 1000) return `${msTotal}ms`;
  const parts: string[] = [];
  let rest = msTotal;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      const k = Math.floor(rest / size);
      parts.push(`${k}${unit}`);
      rest -= k * size;
    }
  }
  if (rest > 0) parts.push(`${Math.round(rest) / 1000}s`);
  return parts.join('');
}
