// Helpers that write small trace files in the published column layouts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MINUTES = 1440;
export const PERCENTILE_HEADER = [0, 1, 25, 50, 75, 99, 100].map((p) => `percentile_Average_${p}`);

/** A scratch directory, removed by the returned cleanup. */
export async function scratchDir(): Promise<{ dir: string; path: (name: string) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'traces-test-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One function row of an invocations file: counts by minute column (1..1440). */
export interface FunctionCounts {
  owner: string;
  app: string;
  fn: string;
  trigger?: string;
  counts: Record<number, number>;
}

export function invocationsHeader(): string {
  return ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: MINUTES }, (_, i) => String(i + 1))].join(',');
}

export function invocationsRow(r: FunctionCounts): string {
  const cells = new Array<number>(MINUTES).fill(0);
  for (const [col, c] of Object.entries(r.counts)) cells[Number(col) - 1] = c;
  return [r.owner, r.app, r.fn, r.trigger ?? 'http', ...cells].join(',');
}

export async function writeInvocations(file: string, rows: readonly FunctionCounts[]): Promise<void> {
  await writeFile(file, [invocationsHeader(), ...rows.map(invocationsRow)].join('\n') + '\n');
}

/** Durations row: the seven percentile_Average values (0, 1, 25, 50, 75, 99, 100). */
export interface FunctionDurations {
  owner: string;
  app: string;
  fn: string;
  percentiles: readonly number[];
}

export async function writeDurations(file: string, rows: readonly FunctionDurations[]): Promise<void> {
  const header = ['HashOwner', 'HashApp', 'HashFunction', 'Average', 'Count', 'Minimum', 'Maximum', ...PERCENTILE_HEADER].join(',');
  const lines = rows.map((r) => {
    const p = r.percentiles;
    const avg = p.reduce((a, b) => a + b, 0) / p.length;
    return [r.owner, r.app, r.fn, avg, 100, p[0], p[6], ...p].join(',');
  });
  await writeFile(file, [header, ...lines].join('\n') + '\n');
}

export interface AppMemoryRow {
  owner: string;
  app: string;
  samples: number;
  averageMb: number;
}

export async function writeMemory(file: string, rows: readonly AppMemoryRow[]): Promise<void> {
  const pct = [1, 5, 25, 50, 75, 95, 99, 100].map((p) => `AverageAllocatedMb_pct${p}`);
  const header = ['HashOwner', 'HashApp', 'SampleCount', 'AverageAllocatedMb', ...pct].join(',');
  const lines = rows.map((r) => [r.owner, r.app, r.samples, r.averageMb, ...pct.map(() => r.averageMb)].join(','));
  await writeFile(file, [header, ...lines].join('\n') + '\n');
}

/** Azure 2021 rows: [app, func, end_timestamp s, duration s]. */
export async function write2021(file: string, rows: ReadonlyArray<readonly [string, string, number | string, number | string]>): Promise<void> {
  await writeFile(file, ['app,func,end_timestamp,duration', ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

/** Native rows: [actor, arrival_ms, work_ms] or with a template. */
export async function writeNative(file: string, rows: ReadonlyArray<readonly (string | number)[]>, withTemplate = false): Promise<void> {
  const header = withTemplate ? 'actor,arrival_ms,work_ms,template' : 'actor,arrival_ms,work_ms';
  await writeFile(file, [header, ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

/** Invocations per actor name. */
export function countsByActor(w: { actorNames: readonly string[]; actor: Int32Array }): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of w.actor) {
    const name = w.actorNames[a]!;
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** Arrivals of one actor, in workload order. */
export function arrivalsOf(w: { actorNames: readonly string[]; actor: Int32Array; arrivalMs: Float64Array }, name: string): number[] {
  const a = w.actorNames.indexOf(name);
  const out: number[] = [];
  for (let k = 0; k < w.actor.length; k++) if (w.actor[k] === a) out.push(w.arrivalMs[k]!);
  return out;
}

/** Whether arrivals are sorted and ties are ordered by actor index. */
export function isSorted(w: { arrivalMs: Float64Array; actor: Int32Array }): boolean {
  for (let k = 1; k < w.arrivalMs.length; k++) {
    const dt = w.arrivalMs[k]! - w.arrivalMs[k - 1]!;
    if (dt < 0 || (dt === 0 && w.actor[k]! < w.actor[k - 1]!)) return false;
  }
  return true;
}
