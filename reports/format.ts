import type { Slo } from '../scenarios/scenario.ts';
import type { SummaryRow } from './summary.ts';

// Human units for the report. Fixed locale so the same run renders the same
// bytes on every machine.
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A summary.csv cell as a number: rows read back from CSV hold strings, and '' or NaN mean "no value". */
export function cell(row: SummaryRow, column: keyof SummaryRow): number {
  const v = row[column];
  if (typeof v === 'number') return v;
  if (v === undefined || v.trim() === '') return Number.NaN;
  return Number(v);
}

/**
 * A summary cell for the terminal: the number as written to summary.csv, or
 * "-" when there is none (NaN, infinite, an empty cell read back), so no
 * line ever says "p50 NaN ms". `unit` follows a value, not the "-".
 */
export function terminalCell(v: string | number | undefined, unit = ''): string {
  const x = typeof v === 'number' ? v : v === undefined || v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(x)) return '-';
  return `${String(v).trim()}${unit === '' ? '' : ` ${unit}`}`;
}

/** Milliseconds as "850 ms", "1.9 s", "2.5 min" or "1.2 h"; "–" when there is no value. */
export function formatMs(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a < 10) return `${trim(x.toFixed(1))} ms`;
  if (a < 1000) return `${x.toFixed(0)} ms`;
  if (a < 60_000) return `${sig(x / 1000)} s`;
  if (a < 3_600_000) return `${sig(x / 60_000)} min`;
  return `${sig(x / 3_600_000)} h`;
}

/** A count with thousands separators. */
export function formatCount(x: number): string {
  return Number.isFinite(x) ? INTEGER.format(x) : '–';
}

/** A ratio such as actors per pod: three significant digits at most (0.043, 0.99, 2.6, 41.7), separators from 1,000. */
export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return INTEGER.format(x);
  // Two significant digits under 1, so 0.043 actors per GiB is not shown as 0.04 or 0.
  return a > 0 && a < 1 ? trim(x.toPrecision(2)) : sig(x);
}

/** A fraction as a percentage, keeping one significant digit for small non-zero values so 0.04% is not shown as 0%. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const p = fraction * 100;
  if (p === 0) return '0%';
  if (Math.abs(p) < 0.1) return `${trim(p.toPrecision(1))}%`;
  if (Math.abs(p) < 10) return `${trim(p.toFixed(1))}%`;
  return `${p.toFixed(0)}%`;
}

/** Seconds of something (worker-seconds, GiB-seconds) as hours, with precision that fits the size. */
export function formatHours(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const h = seconds / 3600;
  const a = Math.abs(h);
  if (a >= 100) return INTEGER.format(h);
  if (a >= 10) return trim(h.toFixed(1));
  return trim(h.toFixed(2));
}

/** An SLO as one line: "p99 ≤ 1 s, overhead p99 ≤ 500 ms, rejected ≤ 1%". */
export function formatSlo(slo: Slo): string {
  const parts: string[] = [];
  if (slo.p50 !== undefined) parts.push(`p50 ≤ ${formatMs(slo.p50)}`);
  if (slo.p90 !== undefined) parts.push(`p90 ≤ ${formatMs(slo.p90)}`);
  if (slo.p99 !== undefined) parts.push(`p99 ≤ ${formatMs(slo.p99)}`);
  if (slo.overheadP99 !== undefined) parts.push(`overhead p99 ≤ ${formatMs(slo.overheadP99)}`);
  parts.push(slo.maxRejected === 0 ? 'no rejections' : `rejected ≤ ${formatPercent(slo.maxRejected)}`);
  return parts.join(', ');
}

/** Three significant digits at most, without trailing zeros: 1.9, 12.3, 250. */
function sig(x: number): string {
  const a = Math.abs(x);
  return trim(x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2));
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
