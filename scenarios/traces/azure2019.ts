import { Sampler, validateDistribution, type DistributionSpec } from '../distributions.ts';
import { makeRng } from '../rng.ts';
import { ActorSelection } from './actor-selection.ts';
import { assembleWorkload } from './assemble.ts';
import { readCsvRows } from './csv-reader.ts';
import type { CsvHeader, CsvRow } from './csv-row.ts';
import { float64Column, int32Column, uint32Column, uint8Column } from './growable.ts';
import { CellStream, hash53 } from './keyed-random.ts';
import { budgetExceeded, resolveOptions, type AzureTraceOptions, type ResolvedOptions } from './options.ts';
import { DURATION_PERCENTILE_POINTS, makeNonDecreasing, percentileQuantile } from './percentiles.ts';
import { spreadArrival, type SpreadRule } from './spread.ts';
import type { TraceImport } from './trace-import.ts';

/** The files of one day of the Azure Functions 2019 dataset (Shahrad et al., ATC'20). */
export interface Azure2019Day {
  /** `invocations_per_function_md.anon.dNN.csv`: invocations per function per minute. */
  readonly invocations: string;
  /** `function_durations_percentiles.anon.dNN.csv`: execution-time percentiles per function, in ms. */
  readonly durations?: string;
  /** `app_memory_percentiles.anon.dNN.csv`: allocated memory per app. */
  readonly memory?: string;
}

/** Options of the Azure Functions 2019 importer. */
export interface Azure2019Options extends AzureTraceOptions {
  /** The days to import, in order: day k of this list covers trace time [k, k+1) days. */
  readonly days: readonly Azure2019Day[];
  /** Where a minute's invocations arrive within it; default 'uniform'. */
  readonly spread?: SpreadRule;
  /** Work of invocations of a function with no durations row (on any imported day). */
  readonly defaultWork: DistributionSpec;
  /** Memory of an actor whose app has no memory row; NaN when absent. */
  readonly defaultMemoryMiB?: number;
}

const MINUTES_PER_DAY = 1440;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = MINUTES_PER_DAY * MS_PER_MINUTE;
const PERCENTILE_COLUMNS = [0, 1, 25, 50, 75, 99, 100].map((p) => `percentile_Average_${p}`);
const PROFILE_SIZE = DURATION_PERCENTILE_POINTS.length;
// Compaction after evictions waits for this many dead cells, so small imports never pay for it.
const MIN_DEAD_CELLS_TO_COMPACT = 1 << 16;
const SPREAD_RULES: readonly SpreadRule[] = ['uniform', 'poisson', 'even'];
// Duplicate rows of one function in one day beyond this share the last one's offsets (the
// cell column is a byte); real traces have none, and the count stays exact either way.
const MAX_OCCURRENCE = 255;

/**
 * Imports days of the Azure Functions 2019 trace. Only the per-minute counts of selected
 * functions are kept (as typed-array cells), never the text; arrivals are generated at the
 * end. Rules:
 * - minute column "j" (1..1440) of day k covers trace time [(k*1440 + j-1) min, +1 min), and
 *   its count is spread in it by `spread`; random offsets are keyed by (function, minute),
 *   so a function's arrivals do not depend on which other actors are sampled or merged;
 * - work: a function's `percentile_Average_*` row of the invocation's day (else of the first
 *   imported day that has one) gives an inverse CDF, piecewise linear between the points
 *   0, 1, 25, 50, 75, 99, 100 %, sampled with one uniform per invocation in workload order;
 *   without any row, `defaultWork`. These are percentiles of 30-second averages (dataset
 *   note 7), so they understate the tails of single invocations;
 * - memory: the app's `AverageAllocatedMb`, averaged over days weighted by `SampleCount`,
 *   taken as MiB; a per-function actor gets its app's;
 * - a function listed twice in one day file counts both rows.
 */
export async function importAzure2019(options: Azure2019Options): Promise<TraceImport> {
  const o = resolveOptions(options);
  if (!Array.isArray(options.days) || options.days.length === 0) {
    throw new RangeError('azure2019 options: days must list at least one day');
  }
  const spread = options.spread ?? 'uniform';
  if (!SPREAD_RULES.includes(spread)) throw new RangeError(`azure2019 options: unknown spread ${JSON.stringify(spread)}`);
  const actorBy = options.actorBy ?? 'function';
  if (actorBy !== 'function' && actorBy !== 'app') throw new RangeError(`azure2019 options: unknown actorBy ${JSON.stringify(actorBy)}`);
  validateDistribution(options.defaultWork, 'azure2019 options: defaultWork');
  const defaultMemoryMiB = options.defaultMemoryMiB ?? NaN;
  if (options.defaultMemoryMiB !== undefined && !(Number.isFinite(defaultMemoryMiB) && defaultMemoryMiB >= 0)) {
    throw new RangeError(`azure2019 options: defaultMemoryMiB must be a finite number >= 0, got ${String(defaultMemoryMiB)}`);
  }

  const counts = new MinuteCounts(o, actorBy, spread);
  let rows = 0;
  for (let day = 0; day < options.days.length; day++) {
    rows += await readCsvRows(options.days[day]!.invocations, (header) => counts.dayReader(header, day));
  }
  counts.compact();
  const skippedInvocationRows = rows - counts.keptRows;

  const profiles = new Profiles(counts, options.days.length);
  for (let day = 0; day < options.days.length; day++) {
    const file = options.days[day]!.durations;
    if (file !== undefined) rows += await readCsvRows(file, (header) => profiles.dayReader(header, day));
  }
  const resolved = profiles.resolve();

  const hasMemory = options.days.some((d) => d.memory !== undefined);
  const memory = new AppMemory(counts);
  for (const day of options.days) {
    if (day.memory !== undefined) rows += await readCsvRows(day.memory, (header) => memory.reader(header));
  }

  const generated = counts.generate(resolved);
  const workStream = makeRng(o.seed, 'trace-work');
  const fallback = new Sampler(options.defaultWork, makeRng(o.seed, 'trace-default-work'));
  const { workload, actorOfSlot } = assembleWorkload(
    counts.selection,
    generated.arrivalMs,
    generated.slot,
    () => o.template,
    (row) => {
      // One uniform per invocation whatever its source, so a function gaining or losing a
      // durations row does not shift the draws of the others.
      const u = workStream();
      const profile = generated.profile[row]!;
      return o.workMs(profile >= 0 ? percentileQuantile(profiles.values, profile * PROFILE_SIZE, u) : fallback.sample());
    },
  );

  let actorMemoryMiB: Float64Array | undefined;
  if (hasMemory) {
    actorMemoryMiB = new Float64Array(workload.actorNames.length);
    for (const slot of counts.selection.liveSlots()) {
      const mib = memory.mibOf(counts.appKeyOf(slot));
      actorMemoryMiB[actorOfSlot[slot]!] = Number.isNaN(mib) ? defaultMemoryMiB : mib;
    }
  }
  return {
    workload,
    ...(actorMemoryMiB !== undefined ? { actorMemoryMiB } : {}),
    stats: {
      rows,
      invocations: workload.arrivalMs.length,
      actors: workload.actorNames.length,
      skippedRows: skippedInvocationRows + profiles.skippedRows + memory.skippedRows,
    },
  };
}

/** The per-minute counts of the selected functions, as parallel typed-array columns of non-zero cells. */
class MinuteCounts {
  readonly selection: ActorSelection;

  private readonly o: ResolvedOptions;
  private readonly actorBy: 'function' | 'app';
  private readonly spread: SpreadRule;
  private readonly spreadSeed: number;
  private readonly stream = new CellStream();
  private readonly scratch = new Float64Array(MINUTES_PER_DAY);

  // Functions (owner/app/function) of live actors, by function slot.
  private fnIndex = new Map<string, number>();
  private fnName: string[] = [];
  private fnActor = int32Column();
  private fnKey = float64Column();

  // Non-zero minutes overlapping the window, in file order.
  private cellFn = int32Column();
  private cellMinute = int32Column();
  private cellOccurrence = uint8Column();
  private cellCount = uint32Column();

  // Per selection slot: invocations in the window, cells held and rows kept, to account for evictions.
  private readonly slotInvocations: number[] = [];
  private readonly slotCells: number[] = [];
  private readonly slotRows: number[] = [];
  // The app key ("owner/app") is a prefix of every actor name, so a length stands for it:
  // a second string per function would add a third to the importer's memory.
  private readonly slotAppKeyLength: number[] = [];
  private liveInvocations = 0;
  private deadCells = 0;

  constructor(o: ResolvedOptions, actorBy: 'function' | 'app', spread: SpreadRule) {
    this.o = o;
    this.actorBy = actorBy;
    this.spread = spread;
    this.spreadSeed = o.bits('trace-spread');
    this.selection = new ActorSelection(o.sample, o.bits('trace-sample'), (slot) => this.evicted(slot));
  }

  /** App key ("owner/app") of a live selection slot. */
  appKeyOf(slot: number): string {
    return this.selection.nameOf(slot).slice(0, this.slotAppKeyLength[slot]!);
  }

  /** Invocation rows that contributed to a live actor. */
  get keptRows(): number {
    let sum = 0;
    for (const slot of this.selection.liveSlots()) sum += this.slotRows[slot]!;
    return sum;
  }

  /** Function slots, for the durations table. */
  get functionCount(): number {
    return this.fnName.length;
  }

  /** Checks the header of day `day`'s invocations file and returns its row visitor. */
  dayReader(header: CsvHeader, day: number): (row: CsvRow) => void {
    const iOwner = header.index('HashOwner');
    const iApp = header.index('HashApp');
    const iFn = header.index('HashFunction');
    const minuteColumn = new Int32Array(MINUTES_PER_DAY);
    for (let j = 0; j < MINUTES_PER_DAY; j++) minuteColumn[j] = header.index(String(j + 1));
    const o = this.o;
    const dayStartMs = day * MS_PER_DAY;
    // Minutes of this day that overlap the window: [first, last).
    const first = clampMinute(Math.floor((o.startMs - dayStartMs) / MS_PER_MINUTE));
    const last = clampMinute(Math.ceil((o.endMs - dayStartMs) / MS_PER_MINUTE));
    const firstAbsMinute = day * MINUTES_PER_DAY;
    const counts = this.scratch;
    // Rows seen so far in this file per function key: a duplicate row gets its own offsets.
    // Keyed by hash so unkept functions cost a number, not their name, while the file is read.
    const rowsOfFunction = new Map<number, number>();
    return (row) => {
      const owner = row.text(iOwner);
      const app = row.text(iApp);
      const fn = row.text(iFn);
      // Every count is checked, in the window or not, so whether a file is valid never
      // depends on the window or the sample.
      for (let j = 0; j < MINUTES_PER_DAY; j++) counts[j] = row.count(minuteColumn[j]!);
      const fnName = `${owner}/${app}/${fn}`;
      const fnKey = hash53(fnName, this.spreadSeed);
      const seen = rowsOfFunction.get(fnKey) ?? 0;
      rowsOfFunction.set(fnKey, seen + 1);
      const occurrence = Math.min(seen, MAX_OCCURRENCE);
      let inWindow = 0;
      for (let j = first; j < last; j++) {
        const c = counts[j]!;
        if (c === 0) continue;
        if (c > o.maxInvocations) row.failColumn(minuteColumn[j]!, `a count of at most maxInvocations (${o.maxInvocations})`);
        const minute = firstAbsMinute + j;
        if (this.isPartial(minute)) {
          inWindow += this.countInWindow(fnKey, minute, occurrence, c);
        } else {
          inWindow += c;
        }
      }
      if (inWindow === 0) return;
      const appKey = fnName.slice(0, owner.length + 1 + app.length);
      const slot = this.selection.offer(this.actorBy === 'app' ? appKey : fnName);
      if (slot < 0) return;
      if (slot === this.slotRows.length) {
        this.slotAppKeyLength.push(appKey.length);
        this.slotInvocations.push(0);
        this.slotCells.push(0);
        this.slotRows.push(0);
      }
      const fnSlot = this.functionSlot(fnName, slot, fnKey);
      let cells = 0;
      for (let j = first; j < last; j++) {
        const c = counts[j]!;
        if (c === 0) continue;
        this.cellFn.push(fnSlot);
        this.cellMinute.push(firstAbsMinute + j);
        this.cellOccurrence.push(occurrence);
        this.cellCount.push(c);
        cells++;
      }
      this.slotInvocations[slot]! += inWindow;
      this.slotCells[slot]! += cells;
      this.slotRows[slot]!++;
      this.liveInvocations += inWindow;
      if (this.liveInvocations > o.maxInvocations) row.fail(budgetExceeded(o.maxInvocations));
    };
  }

  /** Drops the cells and functions of evicted actors. */
  compact(): void {
    if (this.deadCells === 0) return;
    const fnCount = this.fnName.length;
    const newFn = new Int32Array(fnCount).fill(-1);
    const fnIndex = new Map<string, number>();
    const fnName: string[] = [];
    let kept = 0;
    for (let f = 0; f < fnCount; f++) {
      if (!this.selection.isLive(this.fnActor.at(f))) continue;
      newFn[f] = kept;
      fnName.push(this.fnName[f]!);
      fnIndex.set(this.fnName[f]!, kept);
      this.fnActor.data[kept] = this.fnActor.at(f);
      this.fnKey.data[kept] = this.fnKey.at(f);
      kept++;
    }
    for (const column of [this.fnActor, this.fnKey]) column.truncate(kept);
    this.fnName = fnName;
    this.fnIndex = fnIndex;
    let w = 0;
    for (let c = 0; c < this.cellFn.length; c++) {
      const f = newFn[this.cellFn.at(c)]!;
      if (f < 0) continue;
      this.cellFn.data[w] = f;
      this.cellMinute.data[w] = this.cellMinute.at(c);
      this.cellOccurrence.data[w] = this.cellOccurrence.at(c);
      this.cellCount.data[w] = this.cellCount.at(c);
      w++;
    }
    for (const column of [this.cellFn, this.cellMinute, this.cellOccurrence, this.cellCount]) column.truncate(w);
    this.deadCells = 0;
  }

  /** Function slot of a kept function named `fnName`, or -1. */
  functionOf(fnName: string): number {
    return this.fnIndex.get(fnName) ?? -1;
  }

  /**
   * Spreads every kept cell into arrivals (trace time windowed, then mapped by the options),
   * in file order. `profileOf[fnSlot * days + day]` is the durations profile of each arrival.
   * Call after the last compact(): function slots must not move once profiles index them.
   */
  generate(profileOf: { readonly days: number; readonly index: Int32Array }): { arrivalMs: Float64Array; slot: Int32Array; profile: Int32Array } {
    const n = this.liveInvocations;
    const arrivalMs = new Float64Array(n);
    const slot = new Int32Array(n);
    const profile = new Int32Array(n);
    const o = this.o;
    const stream = this.stream;
    let k = 0;
    for (let c = 0; c < this.cellFn.length; c++) {
      const fn = this.cellFn.at(c);
      const minute = this.cellMinute.at(c);
      const count = this.cellCount.at(c);
      const actor = this.fnActor.at(fn);
      const p = profileOf.index[fn * profileOf.days + Math.floor(minute / MINUTES_PER_DAY)]!;
      const startMs = minute * MS_PER_MINUTE;
      const partial = this.isPartial(minute);
      stream.reset(this.fnKey.at(fn), minute, this.cellOccurrence.at(c));
      for (let i = 0; i < count; i++) {
        const t = spreadArrival(this.spread, i, count, startMs, MS_PER_MINUTE, stream);
        if (partial && !o.inWindow(t)) continue;
        arrivalMs[k] = o.arrivalMs(t);
        slot[k] = actor;
        profile[k] = p;
        k++;
      }
    }
    if (k !== n) throw new Error(`azure2019: generated ${k} arrivals, counted ${n}`); // an internal bug, not a trace problem
    return { arrivalMs, slot, profile };
  }

  private isPartial(minute: number): boolean {
    const startMs = minute * MS_PER_MINUTE;
    return startMs < this.o.startMs || startMs + MS_PER_MINUTE > this.o.endMs;
  }

  private countInWindow(fnKey: number, minute: number, occurrence: number, count: number): number {
    const startMs = minute * MS_PER_MINUTE;
    this.stream.reset(fnKey, minute, occurrence);
    let inside = 0;
    for (let i = 0; i < count; i++) {
      if (this.o.inWindow(spreadArrival(this.spread, i, count, startMs, MS_PER_MINUTE, this.stream))) inside++;
    }
    return inside;
  }

  private functionSlot(fnName: string, actor: number, key: number): number {
    const known = this.fnIndex.get(fnName);
    if (known !== undefined) return known;
    const f = this.fnName.length;
    this.fnIndex.set(fnName, f);
    this.fnName.push(fnName);
    this.fnActor.push(actor);
    this.fnKey.push(key);
    return f;
  }

  private evicted(slot: number): void {
    this.liveInvocations -= this.slotInvocations[slot]!;
    this.deadCells += this.slotCells[slot]!;
    this.slotInvocations[slot] = 0;
    this.slotCells[slot] = 0;
    this.slotRows[slot] = 0;
    if (this.deadCells > Math.max(MIN_DEAD_CELLS_TO_COMPACT, this.cellFn.length - this.deadCells)) this.compact();
  }
}

function clampMinute(j: number): number {
  return Math.min(MINUTES_PER_DAY, Math.max(0, j));
}

/** Durations percentiles of the kept functions, per function and day. */
class Profiles {
  /** PROFILE_SIZE values per (function slot, day); NaN where the day has no row. */
  readonly values: Float64Array;
  skippedRows = 0;
  private readonly counts: MinuteCounts;
  private readonly days: number;

  constructor(counts: MinuteCounts, days: number) {
    this.counts = counts;
    this.days = days;
    this.values = new Float64Array(counts.functionCount * days * PROFILE_SIZE).fill(NaN);
  }

  dayReader(header: CsvHeader, day: number): (row: CsvRow) => void {
    const iOwner = header.index('HashOwner');
    const iApp = header.index('HashApp');
    const iFn = header.index('HashFunction');
    const columns = PERCENTILE_COLUMNS.map((name) => header.index(name));
    const parsed = new Float64Array(PROFILE_SIZE);
    return (row) => {
      const fnName = `${row.text(iOwner)}/${row.text(iApp)}/${row.text(iFn)}`;
      // Only the columns used are checked: the dataset notes that Minimum and Maximum were
      // sometimes not recorded.
      for (let i = 0; i < PROFILE_SIZE; i++) parsed[i] = row.nonNegative(columns[i]!);
      const fn = this.counts.functionOf(fnName);
      const offset = (fn * this.days + day) * PROFILE_SIZE;
      // A function not kept, or a second row for the same function and day (the first wins).
      if (fn < 0 || !Number.isNaN(this.values[offset]!)) {
        this.skippedRows++;
        return;
      }
      this.values.set(parsed, offset);
      makeNonDecreasing(this.values, offset);
    };
  }

  /** For each (function, day): the profile to use, that day's or else the first day's that has one; -1 for none. */
  resolve(): { days: number; index: Int32Array } {
    const fnCount = this.counts.functionCount;
    const index = new Int32Array(fnCount * this.days).fill(-1);
    for (let fn = 0; fn < fnCount; fn++) {
      let firstDay = -1;
      for (let day = 0; day < this.days && firstDay < 0; day++) {
        if (!Number.isNaN(this.values[(fn * this.days + day) * PROFILE_SIZE]!)) firstDay = day;
      }
      if (firstDay < 0) continue;
      for (let day = 0; day < this.days; day++) {
        const own = fn * this.days + day;
        index[own] = Number.isNaN(this.values[own * PROFILE_SIZE]!) ? fn * this.days + firstDay : own;
      }
    }
    return { days: this.days, index };
  }
}

/** Average allocated memory of the kept actors' apps, over the days given. */
class AppMemory {
  skippedRows = 0;
  // Per app key: sums for the SampleCount-weighted mean, and for the plain mean when all weights are 0.
  private readonly apps = new Map<string, { weighted: number; weight: number; sum: number; rows: number }>();

  constructor(counts: MinuteCounts) {
    for (const slot of counts.selection.liveSlots()) {
      this.apps.set(counts.appKeyOf(slot), { weighted: 0, weight: 0, sum: 0, rows: 0 });
    }
  }

  reader(header: CsvHeader): (row: CsvRow) => void {
    const iOwner = header.index('HashOwner');
    const iApp = header.index('HashApp');
    const iSamples = header.index('SampleCount');
    const iAverage = header.index('AverageAllocatedMb');
    return (row) => {
      const appKey = `${row.text(iOwner)}/${row.text(iApp)}`;
      const samples = row.nonNegative(iSamples);
      const average = row.nonNegative(iAverage);
      const app = this.apps.get(appKey);
      if (app === undefined) {
        this.skippedRows++;
        return;
      }
      app.weighted += average * samples;
      app.weight += samples;
      app.sum += average;
      app.rows++;
    };
  }

  /** Memory of an app in MiB, or NaN if no row named it. */
  mibOf(appKey: string): number {
    const app = this.apps.get(appKey);
    if (app === undefined || app.rows === 0) return NaN;
    return app.weight > 0 ? app.weighted / app.weight : app.sum / app.rows;
  }
}
