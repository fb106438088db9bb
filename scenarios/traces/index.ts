import type { DistributionSpec } from '../distributions.ts';
import { importAzure2019, type Azure2019Day } from './azure2019.ts';
import { importAzure2021 } from './azure2021.ts';
import { importNativeTrace } from './native.ts';
import type { AzureTraceOptions } from './options.ts';
import type { SpreadRule } from './spread.ts';
import type { TraceImport } from './trace-import.ts';

export { TraceError } from './errors.ts';
export type { TraceImport, TraceStats } from './trace-import.ts';
export type { ActorBy, TraceWindow } from './options.ts';
export type { SpreadRule } from './spread.ts';

/** Trace formats importTrace reads. */
export type TraceFormat = 'azure-2019' | 'azure-2021' | 'native';

/** What to import and how, for any format; options a format has no use for are ignored. */
export interface TraceOptions extends AzureTraceOptions {
  readonly format: TraceFormat;
  /** azure-2019: the invocations file of each day, day k of the list at k days; otherwise files on one clock, read in order. */
  readonly files: readonly string[];
  /** azure-2019: durations percentiles, entry k for day k (files[k]). */
  readonly durationFiles?: readonly string[];
  /** azure-2019: app memory percentiles, of any of the days (averaged over them). */
  readonly memoryFiles?: readonly string[];
  /** azure-2019: where a minute's invocations arrive within it; default 'uniform'. */
  readonly spread?: SpreadRule;
  /** azure-2019: work of functions without a durations row; required for that format. */
  readonly defaultWork?: DistributionSpec;
  /** azure-2019: memory of actors whose app has no memory row; NaN when absent. */
  readonly defaultMemoryMiB?: number;
  /** native: the templates a row's `template` column may name; absent, any. */
  readonly templates?: readonly string[];
}

/**
 * Imports a trace file by file, streaming (never holding a file's text whole), into a
 * workload sorted by arrival. Throws TraceError for anything wrong with a file (unreadable,
 * malformed, invalid value, too many invocations) and RangeError for invalid options.
 */
export async function importTrace(options: TraceOptions): Promise<TraceImport> {
  const { format, files, durationFiles = [], memoryFiles = [], spread, defaultWork, defaultMemoryMiB, templates, ...common } = options;
  switch (format) {
    case 'azure-2019': {
      if (defaultWork === undefined) throw new RangeError('trace options: azure-2019 needs defaultWork');
      if (durationFiles.length > files.length || memoryFiles.length > files.length) {
        throw new RangeError('trace options: more durationFiles or memoryFiles than days (files)');
      }
      const days: Azure2019Day[] = files.map((invocations, k) => ({
        invocations,
        ...(durationFiles[k] === undefined ? {} : { durations: durationFiles[k] }),
        ...(memoryFiles[k] === undefined ? {} : { memory: memoryFiles[k] }),
      }));
      return importAzure2019({
        ...common,
        days,
        defaultWork,
        ...(spread === undefined ? {} : { spread }),
        ...(defaultMemoryMiB === undefined ? {} : { defaultMemoryMiB }),
      });
    }
    case 'azure-2021':
      return importAzure2021({ ...common, files });
    case 'native':
      return importNativeTrace({ ...common, files, ...(templates === undefined ? {} : { templates }) });
    default:
      throw new RangeError(`trace options: unknown format ${JSON.stringify(format as unknown)}`);
  }
}
