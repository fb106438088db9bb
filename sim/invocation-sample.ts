/** Which invocations get a row in invocations.csv: `--invocations none | sample=N | all`. */
export type InvocationsOption = { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'sample'; readonly rows: number };

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
