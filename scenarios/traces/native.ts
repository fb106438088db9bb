import { ActorSelection } from './actor-selection.ts';
import { assembleWorkload } from './assemble.ts';
import { readCsvRows } from './csv-reader.ts';
import { InvocationRows } from './invocation-rows.ts';
import { budgetExceeded, resolveOptions, type CommonTraceOptions } from './options.ts';
import type { TraceImport } from './trace-import.ts';

/** Options of the native trace importer. */
export interface NativeTraceOptions extends CommonTraceOptions {
  /** CSV files with header `actor,arrival_ms,work_ms[,template]`, on one clock, read in order. */
  readonly files: readonly string[];
  /**
   * Templates a row's `template` may name (the scenario's); absent, any. A
   * row naming another is an error located at its field (file:line:col).
   */
  readonly templates?: readonly string[];
}

/**
 * Imports this project's own trace format: one row per invocation, columns `actor`,
 * `arrival_ms`, `work_ms` and optionally `template`, in any order (rows need not be sorted;
 * other columns are ignored). An actor takes the first template given among its imported
 * rows (else the `template` option); a different one on a later row is an error, and so is
 * one not among `templates` when that is given.
 */
export async function importNativeTrace(options: NativeTraceOptions): Promise<TraceImport> {
  const o = resolveOptions(options);
  if (!Array.isArray(options.files) || options.files.length === 0) {
    throw new RangeError('native trace options: files must list at least one file');
  }
  const known = options.templates === undefined ? undefined : new Set(options.templates);
  const knownList = options.templates?.join(', ');
  const rows = new InvocationRows(() => selection);
  const templates: string[] = [];
  const selection = new ActorSelection(o.sample, o.bits('trace-sample'), (slot) => {
    templates[slot] = '';
    rows.evicted(slot);
  });
  let read = 0;
  for (const file of options.files) {
    read += await readCsvRows(file, (header) => {
      const iActor = header.index('actor');
      const iArrival = header.index('arrival_ms');
      const iWork = header.index('work_ms');
      const iTemplate = header.optionalIndex('template');
      return (row) => {
        const actor = row.text(iActor);
        const arrivalMs = row.nonNegative(iArrival);
        const workMs = row.nonNegative(iWork);
        const template = iTemplate < 0 ? '' : (row.fields[iTemplate] ?? '');
        // Checked on every row, sampled or not: a typo should not hide behind the sample.
        if (template !== '' && known !== undefined && !known.has(template)) {
          row.failAt(iTemplate, `column ${iTemplate + 1} ("template"): unknown template ${JSON.stringify(template)} (known: ${knownList || 'none'})`);
        }
        if (!o.inWindow(arrivalMs)) return;
        const slot = selection.offer(actor);
        if (slot < 0) return;
        while (templates.length <= slot) templates.push('');
        if (template !== '') {
          const earlier = templates[slot]!;
          if (earlier === '') templates[slot] = template;
          else if (earlier !== template) {
            row.failColumn(iTemplate, `the template ${JSON.stringify(earlier)} given to actor ${JSON.stringify(actor)} on an earlier row`);
          }
        }
        rows.push(slot, arrivalMs, workMs);
        if (rows.liveCount > o.maxInvocations) row.fail(budgetExceeded(o.maxInvocations));
      };
    });
  }
  rows.compact();
  const arrivalMs = rows.arrivalMs.toArray().map(o.arrivalMs);
  const workMs = rows.workMs.data;
  const { workload } = assembleWorkload(
    selection,
    arrivalMs,
    rows.slot.toArray(),
    (slot) => (templates[slot] === '' || templates[slot] === undefined ? o.template : templates[slot]!),
    (row) => o.workMs(workMs[row]!),
  );
  return {
    workload,
    // One row per invocation: every row not in the workload was skipped.
    stats: { rows: read, invocations: workload.arrivalMs.length, actors: workload.actorNames.length, skippedRows: read - workload.arrivalMs.length },
  };
}
