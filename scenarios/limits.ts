/**
 * Upper bounds on what a scenario and a run may ask for, each checked before
 * any work, so a typo (`actors: 2000000000`, `ratePerSec: 1e12`,
 * `--sample-every 1ns`) is a located error up front instead of an
 * out-of-memory crash or a RangeError minutes into generation. Every number
 * here is in scenarios/README.md ("Limits"); keep the two in step.
 */

/** Largest scenario, profile or included manifest file read, in bytes. Traces are streamed and not bounded by size. */
export const MAX_SCENARIO_FILE_BYTES = 16 * 2 ** 20;
/** Actors of all workload groups together: million.yaml has 1,000,000; each costs a name and a row of state. */
export const MAX_ACTORS = 10_000_000;
/** Nodes of the cluster, all node groups together. */
export const MAX_NODES = 100_000;
/** Workers one pool may have: replicas, scaling bounds, and a dedicated pool's actors (one worker each). */
export const MAX_WORKERS_PER_POOL = 1_000_000;
/**
 * Invocations the model groups of one workload are expected to generate, from
 * their rates, actors and the duration (million.yaml: 58 million, 1.4 GiB
 * per policy set). Traces have their own budget (maxInvocations, 50 million).
 */
export const MAX_INVOCATIONS = 100_000_000;
/**
 * Rows of invocations.csv a study keeps whole, all runs together (expected
 * invocations of the model groups x runs): each is a reply held in memory
 * until the report is written, about 900 bytes with its CSV row (fleet-2000:
 * 10 runs x 51,765 rows took 462 MiB more than --invocations none). Beyond it
 * the default becomes an even sample of this many rows in all; an explicit
 * `--invocations all` is refused. fleet-2000-study's 200 runs of a day (10.4
 * million rows) ran out of Node's 4 GiB heap without it.
 */
export const MAX_KEPT_INVOCATIONS = 2_000_000;
/** Policy sets times seeds: the runs of one simulate. */
export const MAX_RUNS = 10_000;
/** Seeds of one study or one --seeds list. */
export const MAX_SEEDS = 1_000;
/** Ticks of one periodic timer over one run (timeseries samples, scaling intervals): 10 million samples are about 1 GiB of timeseries.csv. */
export const MAX_TICKS_PER_RUN = 10_000_000;
/** Threads of a simulate (--jobs): this many, or the machine's cpus when it has more. */
export const MAX_JOBS_FLOOR = 64;
/** Longest name (scenario, pool, template, policy set, node): a Kubernetes label value's 63 characters. */
export const MAX_NAME_CHARS = 63;
