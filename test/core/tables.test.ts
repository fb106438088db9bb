import { describe, expect, it } from 'vitest';
import { NONE, QUEUED, SUSPENDED } from '../../core/codes.ts';
import { ActorTable, R16, R32, R64, R8 } from '../../core/tables.ts';

// The fields of an actor are views into one record per actor: a wrong offset
// or stride would make two fields (or two actors) share bytes, silently.
const F64 = ['op', 'version', 'snapVersion', 'lastUsedMs'] as const;
const I32 = ['worker', 'startingWorker', 'evictedFor', 'pendingEvictions', 'queued', 'running', 'head', 'tail', 'snapNode', 'idleStamp', 'retryStamp', 'prewarmStamp', 'frequency'] as const;
const U8 = ['state', 'phase', 'flags', 'snapKind'] as const;

/** A value for field k of actor a, distinct across fields and actors and within each field's range. */
const value = (a: number, k: number): number => (a * 31 + k * 7 + 1) % 251;

function fill(A: ActorTable, a: number): void {
  let k = 0;
  for (const f of F64) A[f][a * R64] = value(a, k++) + 0.5;
  for (const f of I32) A[f][a * R32] = -1 - value(a, k++);
  A.template[a * R16] = value(a, k++);
  for (const f of U8) A[f][a * R8] = value(a, k++);
}

function check(A: ActorTable, a: number): void {
  let k = 0;
  for (const f of F64) expect(A[f][a * R64], `${f} of ${a}`).toBe(value(a, k++) + 0.5);
  for (const f of I32) expect(A[f][a * R32], `${f} of ${a}`).toBe(-1 - value(a, k++));
  expect(A.template[a * R16], `template of ${a}`).toBe(value(a, k++));
  for (const f of U8) expect(A[f][a * R8], `${f} of ${a}`).toBe(value(a, k++));
}

describe('ActorTable', () => {
  it('keeps every field of every actor apart, through growth', () => {
    const A = new ActorTable(2);
    const n = 37; // grows 2 -> 4 -> ... -> 64
    for (let a = 0; a < n; a++) {
      expect(A.add(`actor-${a}`, 0, 0)).toBe(a);
      fill(A, a);
    }
    for (let a = 0; a < n; a++) check(A, a);
  });

  it('starts an actor SUSPENDED, queued, with no worker, invocation or snapshot node', () => {
    const A = new ActorTable(1);
    A.add('x', 0, 0);
    const a = A.add('y', 3, 2);
    expect(A.template[a * R16]).toBe(3);
    expect(A.snapKind[a * R8]).toBe(2);
    expect(A.state[a * R8]).toBe(SUSPENDED);
    expect(A.phase[a * R8]).toBe(QUEUED);
    for (const f of ['worker', 'startingWorker', 'evictedFor', 'running', 'head', 'tail', 'snapNode'] as const) expect(A[f][a * R32], f).toBe(NONE);
    for (const f of ['queued', 'pendingEvictions', 'idleStamp', 'retryStamp', 'prewarmStamp', 'frequency'] as const) expect(A[f][a * R32], f).toBe(0);
  });
});

// Every read or write of an actor field must step by its own width (a[ * R32] for an Int32Array field):
// one written with another step reads another field of another actor, and nothing would fail loudly.
describe('actor fields are indexed with their own step everywhere in core/', () => {
  it('finds no field of the record indexed without its step, or with another width\'s', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const core = fileURLToPath(new URL('../../core/', import.meta.url));
    const files = readdirSync(core, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const step = new Map<string, string>([...F64.map((f) => [f, 'R64'] as const), ...I32.map((f) => [f, 'R32'] as const), ['template', 'R16'], ...U8.map((f) => [f, 'R8'] as const)]);
    const wrong: string[] = [];
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(join(core, file), 'utf8');
      // An actor table's field: A.<field>[ or actors.<field>[ (the names the scheduler gives its ActorTable).
      // In tables.ts itself the ActorTable's methods name their fields through this (InvTable's fields have other names).
      const access = file === 'tables.ts' ? /\b(?:A|this)\.([a-zA-Z]+)\[/g : /\b(?:A|actors|this\.actors)\.([a-zA-Z]+)\[/g;
      for (const m of text.matchAll(access)) {
        const want = step.get(m[1]!);
        if (want === undefined) continue;
        // The index expression: up to the bracket that closes this one.
        let depth = 1;
        let i = m.index + m[0].length;
        const from = i;
        while (i < text.length && depth > 0) {
          if (text[i] === '[') depth += 1;
          else if (text[i] === ']') depth -= 1;
          i += 1;
        }
        const index = text.slice(from, i - 1);
        seen += 1;
        // The outermost product must be by the field's own step.
        if (!new RegExp(`\\* ${want}$`).test(index.trim())) wrong.push(`${file}: ${m[0]}${index}]`);
      }
    }
    // 226 when this was written.
    expect(seen).toBeGreaterThan(220);
    expect(wrong).toEqual([]);
  });
});
