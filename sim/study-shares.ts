import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeSimResult, encodeSimResult, type EncodedSimResult } from './study-codec.ts';
import type { StudyExecutor, StudyTask } from './study-executor.ts';
import type { StudyRun } from './study-runner.ts';

// A study cut into shares, one per completion index of a Kubernetes Indexed
// Job, and how a share's results travel back through its pod's log: each run
// is the thread runner's codec (study-codec.ts) packed into bytes, gzipped,
// base64'd into short lines, with the sha256 of the bytes; the share ends with
// a DONE line naming its index and run count, so a log cut short, a line
// damaged or a run missing is detected, never written into a report.
//
//   @@actorsim-study BEGIN <index> <policyIndex> <seed> <bytes> <sha256> <wallMs> <workloadMs>
//   @@actorsim-study D <base64 chunk>
//   @@actorsim-study END <policyIndex> <seed>
//   @@actorsim-study DONE <index> <runs>

/** Prefix of every framed line. */
export const STUDY_PREFIX = '@@actorsim-study ';

// Well under the 16 KiB at which container runtimes split log lines.
const CHUNK_CHARS = 76 * 16;

/** One run of the study with its place in the report (policy-major slot). */
export interface ShareTask extends StudyTask {
  readonly slot: number;
}

/** Every run of a study in hand-out order (seed-major, as the thread runner hands them out), with its report slot. */
export function studyTasks(policies: number, seeds: readonly number[]): ShareTask[] {
  const tasks: ShareTask[] = [];
  seeds.forEach((seed, si) => {
    for (let p = 0; p < policies; p++) tasks.push({ policyIndex: p, seed, slot: p * seeds.length + si });
  });
  return tasks;
}

/** The runs of share `index` when the hand-out order is cut into shares of `runsPerShare` consecutive runs. */
export function shareTasks(tasks: readonly ShareTask[], runsPerShare: number, index: number): ShareTask[] {
  return tasks.slice(index * runsPerShare, (index + 1) * runsPerShare);
}

/** Shares a study of `total` runs needs with `runsPerShare` runs each. */
export function shareCount(total: number, runsPerShare: number): number {
  return Math.ceil(total / runsPerShare);
}

// ---- one encoded result as bytes ----

// JSON keeps neither NaN, Infinity nor -0; the header's numbers (counters, a summary row) may be any of them.
const replacer = (_k: string, v: unknown): unknown => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { $num: Object.is(v, -0) ? '-0' : String(v) } : v);
const reviver = (_k: string, v: unknown): unknown => {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $num?: unknown }).$num === 'string') {
    return Number((v as { $num: string }).$num);
  }
  return v;
};

/** The codec's message as one buffer: a length, a JSON header, then the typed arrays' own bytes (every bit kept). */
export function packEncoded(m: EncodedSimResult): Buffer {
  const { replyNumbers, replyStrings, samples, ...rest } = m;
  const header = Buffer.from(JSON.stringify({ ...rest, lengths: [replyNumbers.length, replyStrings.length, samples.length] }, replacer), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(header.length, 0);
  const bytes = (a: Float64Array | Int32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([head, header, bytes(replyNumbers), bytes(replyStrings), bytes(samples)]);
}

/** Reads {@link packEncoded}'s buffer back. */
export function unpackEncoded(buf: Buffer): EncodedSimResult {
  const headerBytes = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headerBytes).toString('utf8'), reviver) as Omit<EncodedSimResult, 'replyNumbers' | 'replyStrings' | 'samples'> & { lengths: [number, number, number] };
  const { lengths, ...rest } = header;
  let at = 4 + headerBytes;
  // Copied into fresh buffers: typed arrays need aligned offsets.
  const take = (bytes: number): ArrayBuffer => {
    const out = new ArrayBuffer(bytes);
    new Uint8Array(out).set(buf.subarray(at, at + bytes));
    at += bytes;
    return out;
  };
  const replyNumbers = new Float64Array(take(lengths[0] * 8));
  const replyStrings = new Int32Array(take(lengths[1] * 4));
  const samples = new Float64Array(take(lengths[2] * 8));
  if (at !== buf.length) throw new Error(`encoded run: ${buf.length - at} bytes past its end`);
  return { ...rest, replyNumbers, replyStrings, samples };
}

// ---- a share, run and framed ----

/** Runs a share's tasks one after the other and writes each result framed as soon as it is done; resolves when the DONE line is written. */
export async function runShare(executor: StudyExecutor, index: number, tasks: readonly StudyTask[], writeLine: (line: string) => Promise<void> | void): Promise<void> {
  for (const task of tasks) {
    const out = await executor.run(task);
    for (const line of frameRun(index, task, encodeSimResult(out.result).message, out.wallMs, out.workloadMs)) await writeLine(line);
  }
  await writeLine(`${STUDY_PREFIX}DONE ${index} ${tasks.length}`);
}

/** The framed lines of one run. */
export function frameRun(index: number, task: StudyTask, message: EncodedSimResult, wallMs: number, workloadMs: number): string[] {
  const body = packEncoded(message);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const lines = [`${STUDY_PREFIX}BEGIN ${index} ${task.policyIndex} ${task.seed} ${body.length} ${sha256} ${Math.round(wallMs)} ${Math.round(workloadMs)}`];
  const packed = gzipSync(body).toString('base64');
  for (let at = 0; at < packed.length; at += CHUNK_CHARS) lines.push(`${STUDY_PREFIX}D ${packed.slice(at, at + CHUNK_CHARS)}`);
  lines.push(`${STUDY_PREFIX}END ${task.policyIndex} ${task.seed}`);
  return lines;
}

/** A share's log that does not hold exactly its runs, intact. */
export class ShareLogError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`index ${index}: ${message}`);
    this.name = 'ShareLogError';
  }
}

/** A run read back from a share's log, checked. */
export interface GatheredRun extends ShareTask {
  readonly message: EncodedSimResult;
  readonly wallMs: number;
  readonly workloadMs: number;
}

/**
 * Reads share `index`'s log (its whole text; other lines, the pod's own
 * messages, are skipped) and returns its runs, each checked against its
 * sha256 and byte count, in the share's order. Throws a {@link ShareLogError}
 * naming the index when a line is damaged or out of order, a run is missing,
 * foreign or doubled, or the DONE line is absent (a log cut short).
 */
export function readShareLog(index: number, log: string, expected: readonly ShareTask[]): GatheredRun[] {
  const fail = (why: string): never => {
    throw new ShareLogError(index, why);
  };
  const runs: GatheredRun[] = [];
  let cur: { task: ShareTask; bytes: number; sha256: string; wallMs: number; workloadMs: number; chunks: string[] } | null = null;
  let done = false;
  for (const [n, raw] of log.split('\n').entries()) {
    const at = raw.indexOf(STUDY_PREFIX);
    if (at < 0) continue;
    const where = `log line ${n + 1}`;
    if (done) fail(`${where}: a framed line after DONE`);
    const [verb, ...rest] = raw.slice(at + STUDY_PREFIX.length).trimEnd().split(' ');
    switch (verb) {
      case 'BEGIN': {
        if (cur !== null) fail(`${where}: BEGIN inside the run of policy set #${cur.task.policyIndex} seed ${cur.task.seed} (its END is missing)`);
        const nums = rest.map(Number);
        if (rest.length !== 7 || nums[0] !== index || rest[4]!.length !== 64 || [0, 1, 2, 3, 5, 6].some((k) => !Number.isSafeInteger(nums[k]))) fail(`${where}: bad BEGIN line: ${raw.slice(at, at + 200)}`);
        const task = expected[runs.length];
        if (task === undefined || task.policyIndex !== nums[1] || task.seed !== nums[2]) fail(`${where}: run policy set #${nums[1]} seed ${nums[2]} where ${task === undefined ? 'no more runs' : `policy set #${task.policyIndex} seed ${task.seed}`} was expected`);
        cur = { task: task!, bytes: nums[3]!, sha256: rest[4]!, wallMs: nums[5]!, workloadMs: nums[6]!, chunks: [] };
        break;
      }
      case 'D':
        if (cur === null || rest.length !== 1 || !/^[A-Za-z0-9+/=]+$/.test(rest[0]!)) fail(`${where}: data line outside a run or not base64`);
        cur!.chunks.push(rest[0]!);
        break;
      case 'END': {
        if (cur === null || Number(rest[0]) !== cur.task.policyIndex || Number(rest[1]) !== cur.task.seed) fail(`${where}: END without its BEGIN`);
        const c = cur!;
        let body: Buffer;
        try {
          body = gunzipSync(Buffer.from(c.chunks.join(''), 'base64'));
        } catch (err) {
          return fail(`run of policy set #${c.task.policyIndex} seed ${c.task.seed} is damaged (${(err as Error).message})`);
        }
        const sha256 = createHash('sha256').update(body).digest('hex');
        if (body.length !== c.bytes || sha256 !== c.sha256) fail(`run of policy set #${c.task.policyIndex} seed ${c.task.seed} arrived corrupt (${body.length} bytes, sha256 ${sha256}; expected ${c.bytes}, ${c.sha256})`);
        runs.push({ ...c.task, message: unpackEncoded(body), wallMs: c.wallMs, workloadMs: c.workloadMs });
        cur = null;
        break;
      }
      case 'DONE':
        if (cur !== null) fail(`${where}: DONE inside a run`);
        if (Number(rest[0]) !== index || Number(rest[1]) !== expected.length || runs.length !== expected.length) fail(`${where}: DONE ${rest.join(' ')} after ${runs.length} of ${expected.length} runs`);
        done = true;
        break;
      default:
        fail(`${where}: unknown framed line: ${raw.slice(at, at + 200)}`);
    }
  }
  if (!done) fail(`the log ends after ${runs.length} of ${expected.length} runs without its DONE line (cut short, or rotated by the kubelet: see containerLogMaxSize)`);
  return runs;
}

/** A gathered run as the thread runner's StudyRun (thread: 1 + the index that ran it). */
export function studyRunOf(run: GatheredRun, index: number): StudyRun {
  return { policyIndex: run.policyIndex, seed: run.seed, result: decodeSimResult(run.message), wallMs: run.wallMs, workloadMs: run.workloadMs, thread: index + 1 };
}
