import { ActorSelection } from './actor-selection.ts';
import { assembleWorkload } from './assemble.ts';
import { readCsvRows } from './csv-reader.ts';
import { InvocationRows } from './invocation-rows.ts';
import { budgetExceeded, resolveOptions, type AzureTraceOptions } from './options.ts';
import type { TraceImport } from './trace-import.ts';

/** Options of the Azure Functions 2021 importer. */
export interface Azure2021Options extends AzureTraceOptions {
  /**
   * `AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt` (Zhang et al., SOSP'21), or parts
   * of it on one clock, read in order.
   */
  readonly files: readonly string[];
}

/**
 * Imports the Azure Functions 2021 invocation trace: columns `app,func,end_timestamp,duration`
 * in seconds from the trace start, one row per invocation. The arrival is the start,
 * end_timestamp - duration, so an invocation already running when the trace began starts
 * before 0 and is outside the default window; work is the duration.
 */
export async function importAzure2021(options: Azure2021Options): Promise<TraceImport> {
  const o = resolveOptions(options);
  if (!Array.isArray(options.files) || options.files.length === 0) {
    throw new RangeError('azure2021 options: files must list at least one file');
  }
  const actorBy = options.actorBy ?? 'function';
  if (actorBy !== 'function' && actorBy !== 'app') throw new RangeError(`azure2021 options: unknown actorBy ${JSON.stringify(actorBy)}`);
  const rows = new InvocationRows(() => selection);
  const selection = new ActorSelection(o.sample, o.bits('trace-sample'), (slot) => rows.evicted(slot));
  let read = 0;
  for (const file of options.files) {
    read += await readCsvRows(file, (header) => {
      const iApp = header.index('app');
      const iFunc = header.index('func');
      const iEnd = header.index('end_timestamp');
      const iDuration = header.index('duration');
      return (row) => {
        const app = row.text(iApp);
        const func = row.text(iFunc);
        const endS = row.finite(iEnd);
        const durationS = row.nonNegative(iDuration);
        const startMs = (endS - durationS) * 1000;
        if (!o.inWindow(startMs)) return;
        const slot = selection.offer(actorBy === 'app' ? app : `${app}/${func}`);
        if (slot < 0) return;
        rows.push(slot, startMs, durationS * 1000);
        if (rows.liveCount > o.maxInvocations) row.fail(budgetExceeded(o.maxInvocations));
      };
    });
  }
  rows.compact();
  const arrivalMs = rows.arrivalMs.toArray().map(o.arrivalMs);
  const workMs = rows.workMs.data;
  const { workload } = assembleWorkload(selection, arrivalMs, rows.slot.toArray(), () => o.template, (row) => o.workMs(workMs[row]!));
  return {
    workload,
    // One row per invocation: every row not in the workload was skipped.
    stats: { rows: read, invocations: workload.arrivalMs.length, actors: workload.actorNames.length, skippedRows: read - workload.arrivalMs.length },
  };
}
