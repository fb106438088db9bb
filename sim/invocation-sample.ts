/** Which invocations get a row in invocations.csv: `--invocations none | sample=N | all`. */
/**
 * `primitives` (simulate --primitives, with all only): every primitive kept
 * whole too, for primitives.csv, as a real run records them.
 */
export type InvocationsOption = { readonly kind: 'all'; readonly primitives?: boolean } | { readonly kind: 'none' } | { readonly kind: 'sample'; readonly rows: number };

/** Parses the value of `--invocations`; throws an Error whose message fits after the flag's name. */
export function parseInvocationsOption(text: string): InvocationsOption {
  if (text === 'all' || text === 'none') return { kind: text };
  const m = /^sample=(\d+)$/.exec(text);
  if (m !== null) {
    const rows = Number(m[1]);
    if (Number.isSafeInteger(rows) && rows >= 1) return { kind: 'sample', rows };
  }
  throw new Error(`expected all, none or sample=N with N a positive integer, got "${text}"`);
}

/**
 * Which invocation ids to keep for `option` in a run of `total` invocations
 * (ids 0 .. total-1, in arrival order, as the simulator numbers them). A
 * sample is every k-th invocation, k = ceil(total / rows): at most `rows`
 * rows, spread evenly over the run, and the same invocations in every policy
 * set and seed of the workload, so their rows compare one to one.
 */
export function invocationFilter(option: InvocationsOption, total: number): (invocation: number) => boolean {
  switch (option.kind) {
    case 'all':
      return () => true;
    case 'none':
      return () => false;
    case 'sample': {
      const every = Math.max(1, Math.ceil(total / option.rows));
      return (invocation) => invocation % every === 0;
    }
  }
}

/**
 * `option` held to `maxRows` rows of invocations.csv over the whole study
 * (`expectedPerRun` invocations in each of `runs` runs, from the arrival
 * models): every kept row is a reply held in memory until the report is
 * written (scenarios/limits.ts MAX_KEPT_INVOCATIONS). The default (`all`, not
 * given) becomes an even sample of `maxRows / runs` rows per run, with a note
 * saying so; an explicit `all` over the budget throws, naming the way out.
 * The choice depends on the scenario and flags alone, never on the machine,
 * so the same run gives the same report everywhere.
 */
export function boundedInvocations(
  option: InvocationsOption,
  given: boolean,
  expectedPerRun: number,
  runs: number,
  maxRows: number,
): { readonly option: InvocationsOption; readonly note?: string } {
  const rows = expectedPerRun * runs;
  if (option.kind !== 'all' || !(rows > maxRows)) return { option };
  const perRun = Math.max(1, Math.floor(maxRows / runs));
  const count = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'infinitely many');
  const why = `about ${count(rows)} rows (${count(expectedPerRun)} invocations x ${count(runs)} run(s)), more than the ${count(maxRows)} a study keeps in memory`;
  if (given) throw new Error(`all: ${why}; give sample=${perRun} (rows per run) or none`);
  return {
    option: { kind: 'sample', rows: perRun },
    note: `invocations.csv: ${why}, so an even sample of ${count(perRun)} per run (--invocations sample=N or none to choose)`,
  };
}
