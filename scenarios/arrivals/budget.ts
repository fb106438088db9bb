/**
 * Steps (random draws of a candidate arrival, sojourn or wake-up) one group
 * may take before generation is abandoned. Every model loops until virtual
 * time passes the duration, so a rate that rounds to no progress (a gap
 * smaller than the float spacing at t), a huge rate or a huge duration
 * would otherwise hang. Streaming holds no rows, so the bound is not about
 * memory: two billion steps are about a minute of generation.
 */
export const ARRIVAL_STEP_LIMIT = 2_000_000_000;

/** Counts a group's generation steps and throws a RangeError naming the group once they exceed the limit. */
export class StepBudget {
  private left: number;

  constructor(
    readonly limit: number,
    private readonly what: string,
  ) {
    this.left = limit;
  }

  /** Spends one step; throws once the limit is exceeded. */
  spend(): void {
    if (--this.left < 0) {
      throw new RangeError(
        `${this.what}: more than ${this.limit.toLocaleString('en-US')} generation steps; lower its rates or the duration, or split the group`,
      );
    }
  }
}
