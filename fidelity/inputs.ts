import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { stringify as csvStringify } from 'csv-stringify/sync';
import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { loadScenarioFile } from '../scenarios/load.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { parseDuration } from '../scenarios/units.ts';
import { generateWorkload } from '../scenarios/workload.ts';
import { driverDrainMs } from '../session/session.ts';

/** What to run both ways. */
export interface FidelityInputOptions {
  /** The scenario file as the user gave it. */
  readonly scenarioFile: string;
  /** --allow-outside: the scenario may read files outside its folder (the copies read only their own folder). */
  readonly allowOutside?: boolean;
  /** The cost profile the simulation uses (and the real run ignores): a path to a .yaml file. */
  readonly profile: string;
  /** Folder the copies and the workload trace are written to. */
  readonly dir: string;
  readonly seed: number;
  /** The real run's --speedup; the simulation's copy is compressed by the same factor. */
  readonly speedup: number;
  /** Scenario time at which the replayed span starts (default 0). */
  readonly startMs?: number;
  /** Length of the replayed span (default: the scenario's duration less startMs). */
  readonly durationMs?: number;
  /** Warm-up in scenario time, before compression (default: the scenario's). */
  readonly warmupMs?: number;
  /**
   * Give every template a snapshot the size of its memory, as the local
   * runtime does (its worker checkpoints the whole region of `memory`, not
   * `snapshot` bytes), so the simulation moves the bytes the real run moves.
   */
  readonly snapshotAsMemory?: boolean;
  /**
   * Wall time (after compression) before the span starts; one extra actor
   * per golden template is invoked once halfway into it; 0: none.
   * The local runtime has no golden snapshot until a first golden restore
   * boots and publishes one, and every restore that starts before it lands
   * does the same; a cluster where the template was applied has it ready.
   * Priming publishes it alone, so the span measures steady golden reads
   * rather than a herd of concurrent publishes that the simulator (golden
   * snapshot cached on every node) does not model.
   */
  readonly primeMs?: number;
}

/** The files written, and what they hold. */
export interface FidelityInputs {
  /** The copy the simulator runs: durations divided by the speedup, the trace compressed by it. */
  readonly simScenario: string;
  /** The copy bench:cluster runs with --speedup: uncompressed, as a user would write it. */
  readonly realScenario: string;
  /** The workload, one row per invocation in scenario time (native trace format). */
  readonly trace: string;
  readonly invocations: number;
  readonly actors: number;
  /** Replayed span and warm-up in scenario time (before compression). */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Scenario time before the span in the copies (the priming gap; 0 without priming). */
  readonly primeGapMs: number;
  /** Extra actors invoked once at time 0 to publish the golden snapshots. */
  readonly primeActors: readonly string[];
  /** How long both runs go on after the span, in their (compressed) time, before what still waits ends as run-ended: the copies' `drain`. */
  readonly drainMs: number;
  /** Snapshot MiB of each template as the simulation sees it. */
  readonly snapshotMiB: Readonly<Record<string, number>>;
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A duration the loader reads back to the same number of milliseconds. */
function msText(ms: number): string {
  if (ms === 0) return '0';
  // String() of a finite number in [1e-6, 1e21) has no exponent; smaller durations are nil here.
  return ms < 1e-6 ? '0' : `${String(ms)}ms`;
}

/** A trace number with no exponent, which the native importer's number parser would refuse. */
function numText(x: number): string {
  return x < 1e-6 ? '0' : String(x);
}

/** Divides an idle policy's TTL (what compress.ts divides; other idle kinds keep their times there too). */
function compressIdle(idle: unknown, k: number): void {
  if (isObject(idle) && idle.kind === 'ttl' && idle.ttl !== undefined) idle.ttl = msText(parseMsOf(idle.ttl) * k);
}

function compressPools(pools: unknown, k: number): void {
  const list = Array.isArray(pools) ? pools : isObject(pools) ? Object.values(pools) : [];
  for (const p of list) {
    if (isObject(p) && isObject(p.dedicated) && p.dedicated.idleStop !== undefined) p.dedicated.idleStop = msText(parseMsOf(p.dedicated.idleStop) * k);
  }
}

/** A duration field as written (text, or the bare 0) in milliseconds. */
function parseMsOf(v: unknown): number {
  return typeof v === 'number' ? v : parseDuration(String(v));
}

/**
 * Writes the inputs of a fidelity run into `dir`: the workload of the
 * scenario (generated once, with its seed, over the replayed span) as a
 * native trace, and two copies of the scenario that replay it with the
 * calibrated profile. The real copy keeps the scenario's times; bench:cluster
 * compresses it by --speedup (real/compress.ts: arrivals, work, duration,
 * warm-up, TTLs and idle stops; not the parking budget). The simulation's
 * copy carries those same times already divided, and the trace with
 * `compression: speedup`, because simulate has no --speedup of its own. A
 * trace rather than the arrival model keeps the two workloads identical
 * invocation for invocation whatever the model, and lets the span start
 * anywhere in the scenario (the peak hour, say). Includes and the profile
 * are copied next to the copies, so they load from their own folder.
 */
/** Copies `file` into `dir` as `<tag>-<its name>` (once per run: the same name gives the same copy) and returns that name. */
function copyInto(dir: string, tag: string, file: string): string {
  const name = `${tag}-${basename(file)}`;
  writeFileSync(join(dir, name), readFileSync(file));
  return name;
}

export async function writeFidelityInputs(o: FidelityInputOptions): Promise<FidelityInputs> {
  const original: Scenario = loadScenarioFile(o.scenarioFile, { allowOutside: o.allowOutside === true });
  const startMs = o.startMs ?? 0;
  const durationMs = o.durationMs ?? original.durationMs - startMs;
  if (!(durationMs > 0)) throw new Error(`the replayed span is empty: start ${startMs} ms, scenario duration ${original.durationMs} ms`);
  const warmupMs = o.warmupMs ?? original.warmupMs;
  if (warmupMs >= durationMs) throw new Error(`warm-up (${warmupMs} ms) must be shorter than the replayed span (${durationMs} ms); pass --warmup`);
  const endMs = startMs + durationMs;
  // As bench:cluster --duration does: the workload is generated over the scenario's time up to the span's end.
  const workload = await generateWorkload({ ...original, durationMs: endMs }, o.seed);
  const rows: string[][] = [];
  const used = new Set<number>();
  const spanRows: { actor: number; at: number; work: number }[] = [];
  for (let i = 0; i < workload.arrivalMs.length; i++) {
    const at = workload.arrivalMs[i]!;
    if (at < startMs || at >= endMs) continue;
    used.add(workload.actor[i]!);
    spanRows.push({ actor: workload.actor[i]!, at: at - startMs, work: workload.workMs[i]! });
  }
  if (spanRows.length === 0) throw new Error('the replayed span holds no invocation');
  const primeGapMs = (o.primeMs ?? 0) * o.speedup;
  const goldenTemplates = new Set(original.templates.filter((t) => t.golden).map((t) => t.name));
  const primeActors: string[] = [];
  if (primeGapMs > 0) {
    for (const t of new Set([...used].map((a) => workload.actorTemplates[a]!))) {
      if (!goldenTemplates.has(t)) continue;
      const actor = `fidelity-prime-${t}`;
      primeActors.push(actor);
      // Halfway into the gap: the first half lets the workers start (slow when many spawn at once on
      // a few cores; a prime parked longer than the parking budget would be rejected), the second
      // lets the golden snapshot be published before the span's first restores read it.
      rows.push([actor, numText(primeGapMs / 2), '0', t]);
    }
  }
  for (const r of spanRows) rows.push([workload.actorNames[r.actor]!, numText(r.at + primeGapMs), numText(r.work), workload.actorTemplates[r.actor]!]);
  // The copies replay the priming gap, then the span; a warm-up is of the span, so it starts after the gap.
  const copyDurationMs = primeGapMs + durationMs;
  const copyWarmupMs = warmupMs > 0 ? primeGapMs + warmupMs : 0;
  // Both copies end the same wall time after the span: the driver's drain of the compressed copy
  // (the scenario's own, else max(10 s, its duration)), written into both, so the simulation ends
  // what is still pending then as run-ended, as the real run does, rather than serving it later.
  const drainMs = driverDrainMs({ durationMs: copyDurationMs / o.speedup, ...(original.drainMs === undefined ? {} : { drainMs: original.drainMs / o.speedup }) }) * o.speedup;
  const trace = join(o.dir, 'workload.csv');
  writeFileSync(trace, csvStringify(rows, { header: true, columns: ['actor', 'arrival_ms', 'work_ms', 'template'] }));

  const baseDir = dirname(resolve(o.scenarioFile));
  const docs = parseAllDocuments(readFileSync(o.scenarioFile, 'utf8'));
  const js = docs.map((d) => d.toJS() as unknown);
  const scenarioIndex = js.findIndex((d) => !(isObject(d) && typeof d.apiVersion === 'string' && d.apiVersion.startsWith('ate.dev/')));
  const manifests = js.filter((_, i) => i !== scenarioIndex);
  const firstTemplate = workload.actorTemplates[[...used][0]!]!;
  const build = (compressed: boolean): string => {
    const k = compressed ? 1 / o.speedup : 1;
    const s = structuredClone(js[scenarioIndex]) as Json;
    // The profile and the includes are copied next to the copies, so they load from their own
    // folder: a scenario reads nothing outside its folder unless allowed explicitly.
    s.costs = copyInto(o.dir, 'profile', resolve(o.profile));
    if (Array.isArray(s.include)) s.include = s.include.map((f, k) => copyInto(o.dir, `include-${k}`, isAbsolute(String(f)) ? String(f) : resolve(baseDir, String(f))));
    s.duration = msText(copyDurationMs * k);
    s.warmup = msText(copyWarmupMs * k);
    s.drain = msText(drainMs * k);
    s.workload = [{ trace: { format: 'native', files: ['workload.csv'], template: firstTemplate, compression: compressed ? o.speedup : 1 } }];
    if (o.snapshotAsMemory === true && Array.isArray(s.templates)) for (const t of s.templates) if (isObject(t)) delete t.snapshot;
    if (compressed) {
      compressPools(s.pools, k);
      for (const p of Array.isArray(s.policies) ? s.policies : []) {
        if (!isObject(p)) continue;
        compressIdle(p.idle, k);
        compressPools(p.pools, k);
      }
      if (isObject(s.study)) {
        if (isObject(s.study.base)) {
          compressIdle(s.study.base.idle, k);
          compressPools(s.study.base.pools, k);
        }
        if (isObject(s.study.matrix) && Array.isArray(s.study.matrix.idle)) for (const i of s.study.matrix.idle) compressIdle(i, k);
      }
    }
    const mans = manifests.map((m) => {
      const c = structuredClone(m) as Json;
      if (o.snapshotAsMemory === true && c.kind === 'ActorTemplate' && isObject(c.metadata) && isObject(c.metadata.annotations)) delete c.metadata.annotations['sim.actorsim.dev/snapshot'];
      return c;
    });
    const header = `# Written by npm run fidelity from ${resolve(o.scenarioFile)}: ${compressed ? `compressed ${o.speedup}x for the simulator` : 'for bench:cluster --speedup'}.\n`;
    return header + [s, ...mans].map((d) => yamlStringify(d, { lineWidth: 0 })).join('---\n');
  };
  const name = String((js[scenarioIndex] as Json | undefined)?.name ?? 'scenario');
  const simScenario = join(o.dir, `${name}.sim.yaml`);
  const realScenario = join(o.dir, `${name}.real.yaml`);
  writeFileSync(simScenario, build(true));
  writeFileSync(realScenario, build(false));
  const sim = loadScenarioFile(simScenario);
  const real = loadScenarioFile(realScenario);
  checkCompressed(sim, real, o.speedup);
  const snapshotMiB = Object.fromEntries(sim.templates.map((t) => [t.name, t.snapshotMiB]));
  if (o.snapshotAsMemory === true) {
    const off = sim.templates.filter((t) => t.snapshotMiB !== t.memoryMiB).map((t) => t.name);
    if (off.length > 0) throw new Error(`templates ${off.join(', ')} keep a snapshot size unlike their memory (set in an included manifest?); pass --keep-snapshot-size or edit the scenario`);
  }
  return { simScenario, realScenario, trace, invocations: spanRows.length, actors: used.size, durationMs, warmupMs, primeGapMs, primeActors, snapshotMiB, drainMs: drainMs / o.speedup };
}

/**
 * Checks the simulation's copy is the real copy compressed as
 * real/compress.ts compresses it, on the loaded scenarios (so a field the
 * YAML edit missed, e.g. a TTL in an included manifest, is caught here).
 */
function checkCompressed(sim: Scenario, real: Scenario, speedup: number): void {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const problems: string[] = [];
  if (!close(sim.durationMs, real.durationMs / speedup)) problems.push('duration');
  if (!close(sim.warmupMs, real.warmupMs / speedup)) problems.push('warmup');
  if (sim.drainMs === undefined || real.drainMs === undefined || !close(sim.drainMs, real.drainMs / speedup)) problems.push('drain');
  if (sim.policies.length !== real.policies.length) problems.push('policy sets');
  sim.policies.forEach((p, i) => {
    const r = real.policies[i];
    if (r === undefined) return;
    if (p.idle.kind === 'ttl' && r.idle.kind === 'ttl' && !close(p.idle.ttlMs, r.idle.ttlMs / speedup)) problems.push(`${p.name} ttl`);
    if (p.admission.parkTimeoutMs !== r.admission.parkTimeoutMs) problems.push(`${p.name} parkTimeout`);
    for (const [pool, setup] of Object.entries(p.pools)) {
      const rs = r.pools[pool]?.dedicated;
      if (setup.dedicated !== undefined && rs !== undefined && !close(setup.dedicated.idleStopMs, rs.idleStopMs / speedup)) problems.push(`${p.name} ${pool} idleStop`);
    }
  });
  if (problems.length > 0) throw new Error(`the simulation's copy is not the real copy compressed ${speedup}x: ${problems.join(', ')}`);
}
