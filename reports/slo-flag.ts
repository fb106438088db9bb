import type { Slo } from '../scenarios/scenario.ts';
import { parseDuration } from '../scenarios/units.ts';

type LatencyKey = 'p50' | 'p90' | 'p99' | 'overheadP99';

const LATENCY_KEYS: readonly LatencyKey[] = ['p50', 'p90', 'p99', 'overheadP99'];
// `maxRejected` is the scenario file's spelling; both are accepted so a goal can be copied either way.
const REJECTED_KEYS = ['rejected', 'maxRejected'] as const;
const KNOWN = [...LATENCY_KEYS, ...REJECTED_KEYS].join(', ');

/**
 * Parses the value of `--slo`, e.g. `p99=1s,overheadP99=500ms,rejected=0.01`:
 * comma-separated `key=value` pairs; latencies in Go duration form
 * (`250ms`, `1.5s`), the rejected share as a fraction (`0.01`) or a
 * percentage (`1%`). As in a scenario file, an SLO that does not mention
 * rejections allows none. Throws an Error saying what is wrong and what is
 * expected; callers prefix it with the flag's name.
 */
export function parseSloFlag(text: string): Slo {
  const pairs = text.split(',').map((s) => s.trim());
  if (pairs.every((p) => p.length === 0)) throw new Error(`empty SLO (expected key=value pairs such as p99=1s,rejected=1%; keys: ${KNOWN})`);
  const latency: Partial<Record<LatencyKey, number>> = {};
  let maxRejected: number | undefined;
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (pair.length === 0) throw new Error(`empty entry in "${text}" (stray comma?)`);
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error(`"${pair}" is not key=value (e.g. p99=1s)`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const canonical = (REJECTED_KEYS as readonly string[]).includes(key) ? 'rejected' : key;
    if (seen.has(canonical)) throw new Error(`"${key}" is given more than once`);
    seen.add(canonical);
    if (value.length === 0) throw new Error(`"${key}" has no value`);
    if ((LATENCY_KEYS as readonly string[]).includes(key)) {
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch (err) {
        throw new Error(`${key}: ${(err as Error).message}`);
      }
      // A zero latency goal can never be met; it is almost certainly a missing unit or a typo.
      if (!(ms > 0)) throw new Error(`${key}: must be a positive duration, got "${value}"`);
      latency[key as LatencyKey] = ms;
    } else if (canonical === 'rejected') {
      maxRejected = parseFraction(key, value);
    } else {
      throw new Error(`unknown key "${key}" (known: ${KNOWN})`);
    }
  }
  return { ...latency, maxRejected: maxRejected ?? 0 };
}

function parseFraction(key: string, value: string): number {
  const percent = value.endsWith('%');
  const body = percent ? value.slice(0, -1).trim() : value;
  // Number('') is 0 and Number('0x1') is 1: accept plain decimals only.
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(body)) throw new Error(`${key}: expected a fraction such as 0.01 or a percentage such as 1%, got "${value}"`);
  const x = Number(body) / (percent ? 100 : 1);
  if (x > 1) throw new Error(`${key}: must be at most ${percent ? '100%' : '1'} (a share of invocations), got "${value}"${percent ? '' : '; for a percentage add %'}`);
  return x;
}
