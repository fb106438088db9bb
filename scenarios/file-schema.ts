import { z } from 'zod';
import { arrivalSpecSchema } from './arrivals/index.ts';
import { cpuMilli, durationDistribution, durationMs, memoryMiB, nameField, nonNegativeInt, positiveInt, positiveMemoryMiB, positiveWorkerCount, probability, workerCount } from './fields.ts';
import { MAX_ACTORS, MAX_NODES, MAX_SEEDS } from './limits.ts';

/**
 * The schema of a scenario file as users write it (YAML, or JSON which is
 * YAML too): text durations and Kubernetes quantities, defaults filled in,
 * misspelt fields refused. `scenarios/README.md` documents every field; keep
 * the two in step.
 */

const name = nameField;

const sizeCost = z.strictObject({ base: durationDistribution, bandwidth: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi)\/s$/, 'expected a bandwidth such as 640Mi/s') });

/** A positive finite number (a capacity), with a message that quotes what was given. */
const positiveNumberMessage = (i: { input: unknown }): string => `expected a positive number, got ${JSON.stringify(i.input)}`;
const positiveNumber = z.number({ error: positiveNumberMessage }).positive({ error: positiveNumberMessage }).finite({ error: positiveNumberMessage });
const shareMessage = (i: { input: unknown }): string => `expected a share above 0 and at most 10, got ${JSON.stringify(i.input)}`;
const share = z.number({ error: shareMessage }).positive({ error: shareMessage }).max(10, { error: shareMessage });
// Above 1 (2: the limit shared equally): 1 would be a primitive that never waits on the limit, which the sim's bound refuses.
const pairMessage = (i: { input: unknown }): string => `expected a ratio above 1 and at most 2 (two at once under one limit against one alone), got ${JSON.stringify(i.input)}`;
const pairRatioSchema = z.number({ error: pairMessage }).gt(1, { error: pairMessage }).max(2, { error: pairMessage });

/**
 * How concurrent primitives share a machine or node (processor sharing):
 * snapshot transfers share `transfers.streams` solo transfers' worth of
 * bandwidth, worker starts share `cpu.cpus` cpus of which one start alone
 * takes `cpu.workerStart`.
 */
const contentionSchema = z
  .strictObject({
    scope: z.enum(['machine', 'node']),
    transfers: z.strictObject({ streams: positiveNumber, local: positiveNumber.optional() }).optional(),
    cpu: z.strictObject({ cpus: positiveNumber, workerStart: positiveNumber }).optional(),
    host: z
      .strictObject({
        cpus: positiveNumber,
        restore: positiveNumber,
        checkpoint: positiveNumber,
        restoreLocal: positiveNumber.optional(),
        checkpointLocal: positiveNumber.optional(),
        workerStart: positiveNumber,
        dispatch: positiveNumber.optional(),
        exec: positiveNumber.optional(),
        driver: z.number().min(0).finite().optional(),
        workerLimits: z.boolean().optional(),
        inWorker: z
          .strictObject({ restore: share.optional(), checkpoint: share.optional(), workerStart: share.optional() })
          .optional(),
        pairUnderLimit: z
          .strictObject({ restore: pairRatioSchema.optional(), checkpoint: pairRatioSchema.optional(), workerStart: pairRatioSchema.optional() })
          .optional(),
        store: z.strictObject({ threads: positiveNumber, restore: positiveNumber, checkpoint: positiveNumber }).optional(),
        share: z.enum(['job', 'process']).optional(),
        localApart: z.boolean().optional(),
      })
      .refine((h) => h.localApart !== true || h.share === 'process', { message: 'host.localApart sets a local transfer apart from its worker\'s process: it needs share: process' })
      .refine((h) => h.localApart !== true || h.workerLimits !== true, { message: 'host.localApart and host.workerLimits: a worker\'s limit caps its local transfers with the rest; give one or the other' })
      .refine((h) => h.inWorker === undefined || h.workerLimits === true, { message: 'host.inWorker says how much of each demand a worker\'s limit caps: it needs workerLimits: true' })
      .refine((h) => h.pairUnderLimit === undefined || h.workerLimits === true, { message: 'host.pairUnderLimit says how primitives share a worker\'s limit: it needs workerLimits: true' })
      .refine((h) => (h.driver ?? 0) < h.cpus, { message: 'host.driver must leave some of host.cpus to the rest' })
      .refine((h) => h.store === undefined || h.workerLimits !== true, {
        message: 'host.store and host.workerLimits: a transfer under both the store\'s threads and its worker\'s limit is not modelled yet; give one or the other',
      })
      .optional(),
  })
  .refine((c) => c.transfers !== undefined || c.cpu !== undefined || c.host !== undefined, { message: 'contention needs transfers, cpu or both, or host' })
  .refine((c) => c.host === undefined || (c.transfers === undefined && c.cpu === undefined), { message: 'contention.host replaces transfers and cpu: give one or the other' });

/** A cost profile: the latency of each primitive of the runtime. */
export const costProfileSchema = z.strictObject({
  name: z.string().min(1),
  source: z.string().default(''),
  workerStart: durationDistribution,
  coldBoot: durationDistribution,
  restore: z.strictObject({ local: sizeCost, external: sizeCost, golden: sizeCost }),
  checkpoint: z.strictObject({ local: sizeCost, external: sizeCost }),
  dispatch: durationDistribution.default({ kind: 'constant', valueMs: 0 }),
  contention: contentionSchema.optional(),
  requestTimeout: durationMs.refine((ms) => ms > 0, { message: 'requestTimeout must be more than 0' }).optional(),
});

/** The parsed (unresolved) cost profile type. */
export type CostProfileFile = z.output<typeof costProfileSchema>;

const dedicatedSchema = z.strictObject({
  variant: z.enum(['always-on', 'scale-to-zero']),
  idleStop: durationMs.default(0),
});

const workerSchema = z.strictObject({ memory: memoryMiB, cpu: cpuMilli.optional() });

const poolSchema = z.strictObject({
  name,
  mode: z.enum(['shared', 'dedicated']).default('shared'),
  replicas: workerCount.default(1),
  actorSlots: positiveInt.default(1),
  worker: workerSchema,
  runtimeClass: z.string().default('gvisor'),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  dedicated: dedicatedSchema.optional(),
});

/** Per-policy-set overrides of a pool. */
const poolOverrideSchema = z.strictObject({
  mode: z.enum(['shared', 'dedicated']).optional(),
  replicas: workerCount.optional(),
  actorSlots: positiveInt.optional(),
  worker: workerSchema.partial().optional(),
  dedicated: dedicatedSchema.optional(),
});

const templateSchema = z.strictObject({
  name,
  pool: name,
  memory: positiveMemoryMiB,
  snapshot: memoryMiB.optional(),
  golden: z.boolean().default(true),
  work: durationDistribution,
});

const traceSchema = z.strictObject({
  format: z.enum(['azure-2019', 'azure-2021', 'native']),
  files: z.array(z.string().min(1)).min(1),
  durations: z.array(z.string().min(1)).optional(),
  memory: z.array(z.string().min(1)).optional(),
  template: name,
  actorBy: z.enum(['function', 'app']).default('function'),
  spread: z.enum(['uniform', 'poisson', 'even']).default('uniform'),
  sample: positiveInt.optional(),
  window: z.strictObject({ start: durationMs, end: durationMs }).optional(),
  compression: z.number().positive().default(1),
});

/** A workload group driven by an arrival model. */
export const modelGroupSchema = z.strictObject({
  template: name,
  actors: positiveInt.max(MAX_ACTORS, { error: (i) => `at most ${MAX_ACTORS.toLocaleString('en-US')} actors, got ${JSON.stringify(i.input)}` }),
  arrivals: arrivalSpecSchema,
});
/** A workload group replayed from a trace. */
export const traceGroupSchema = z.strictObject({ trace: traceSchema });

const percentile = z.number().min(0).max(100);

const idleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('never') }),
  z.strictObject({ kind: z.literal('ttl'), ttl: durationMs, action: z.enum(['suspend', 'pause']).default('suspend') }),
  z.strictObject({ kind: z.literal('immediate'), action: z.enum(['suspend', 'pause']).default('suspend') }),
  // Defaults are the paper's (Shahrad et al., ATC'20): 1-minute bins over 4 h,
  // pre-warm at the 5th percentile, keep alive to the 99th, 10% margins, CV 2.
  z.strictObject({
    kind: z.literal('hybrid-histogram'),
    action: z.enum(['suspend', 'pause']).default('suspend'),
    bin: durationMs.default(60_000),
    range: durationMs.default(4 * 3_600_000),
    headPercentile: percentile.default(5),
    tailPercentile: percentile.default(99),
    margin: z.number().min(0).max(1).default(0.1),
    cvThreshold: z.number().nonnegative().default(2),
    minSamples: positiveInt.default(5),
    fallbackTtl: durationMs.default(4 * 3_600_000),
  }),
]);

const scalingSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('static') }),
  z.strictObject({
    kind: z.literal('target-utilization'),
    target: z.number().gt(0).max(1).default(0.7),
    minReplicas: workerCount.default(1),
    maxReplicas: positiveWorkerCount,
    // The HPA's default downscale stabilization window is 5 minutes.
    stabilization: durationMs.default(300_000),
    interval: durationMs.default(15_000),
  }),
  z.strictObject({
    kind: z.literal('parking'),
    step: positiveInt.default(1),
    minReplicas: workerCount.default(1),
    maxReplicas: positiveWorkerCount,
    quiet: durationMs.default(300_000),
    interval: durationMs.default(5_000),
  }),
  z.strictObject({
    kind: z.literal('scale-to-zero'),
    maxReplicas: positiveWorkerCount,
    idle: durationMs.default(300_000),
    interval: durationMs.default(5_000),
  }),
]);

const policySchema = z.strictObject({
  name,
  pools: z.record(z.string(), poolOverrideSchema).default({}),
  placement: z.enum(['random', 'p2c', 'least-loaded', 'binpack', 'locality']).default('random'),
  idle: idleSchema.default({ kind: 'never' }),
  admission: z
    .strictObject({ parkTimeout: durationMs.default(5000), maxParked: nonNegativeInt.default(2048) })
    .default({ parkTimeout: 5000, maxParked: 2048 }),
  eviction: z.enum(['lru', 'greedy-dual', 'none']).default('lru'),
  scaling: scalingSchema.default({ kind: 'static' }),
  maxAttempts: positiveInt.default(3),
});

/**
 * A study: the cross product of the listed choices, each a policy set built
 * on `base` (the pools' replicas override every shared pool), each run with
 * every seed. Names are generated from the choices.
 */
const studySchema = z.strictObject({
  base: policySchema.omit({ name: true }).partial().default({}),
  matrix: z
    .strictObject({
      replicas: z.array(workerCount).min(1).optional(),
      placement: z.array(z.enum(['random', 'p2c', 'least-loaded', 'binpack', 'locality'])).min(1).optional(),
      idle: z.array(idleSchema).min(1).optional(),
      eviction: z.array(z.enum(['lru', 'greedy-dual', 'none'])).min(1).optional(),
      scaling: z.array(scalingSchema).min(1).optional(),
    })
    .default({}),
  seeds: z
    .array(nonNegativeInt)
    .min(1)
    .max(MAX_SEEDS, { error: (i) => `at most ${MAX_SEEDS.toLocaleString('en-US')} seeds, got ${(i.input as unknown[]).length.toLocaleString('en-US')}` })
    .optional(),
});

/** Service-level objective: the latency a policy set must meet to be recommended. */
const sloSchema = z.strictObject({
  p50: durationMs.optional(),
  p90: durationMs.optional(),
  p99: durationMs.optional(),
  /** Latency minus execution (what the platform adds), at p99. */
  overheadP99: durationMs.optional(),
  /** Largest fraction of invocations that may be rejected. */
  maxRejected: z.number().min(0).max(1).default(0),
});

/**
 * Prices of the two resources a run uses, in any one currency: a worker pod
 * for an hour and a GiB of worker memory for an hour. They weigh worker-hours
 * against GiB-hours in the recommendation and the Pareto front.
 */
const pricesSchema = z
  .strictObject({ workerHour: z.number().nonnegative().finite().default(0), gibHour: z.number().nonnegative().finite().default(0) })
  .refine((p) => p.workerHour > 0 || p.gibHour > 0, { message: 'prices needs workerHour, gibHour or both above 0' });

const nodeGroupSchema = z.strictObject({
  name,
  // Bounded so a typo cannot ask for more nodes than memory holds.
  count: positiveInt.max(MAX_NODES, { error: (i) => `at most ${MAX_NODES.toLocaleString('en-US')} nodes, got ${JSON.stringify(i.input)}` }).default(1),
  memory: memoryMiB,
  cpu: cpuMilli.optional(),
});

/** The whole scenario document. Cross-references are checked after parsing, with paths. */
export const scenarioFileSchema = z.strictObject({
  kind: z.literal('Scenario').optional(),
  name,
  description: z.string().default(''),
  seed: nonNegativeInt.default(1),
  duration: durationMs,
  warmup: durationMs.default(0),
  drain: durationMs.optional(),
  include: z.array(z.string().min(1)).default([]),
  cluster: z.strictObject({ nodes: z.array(nodeGroupSchema).min(1) }),
  pools: z.array(poolSchema).default([]),
  templates: z.array(templateSchema).default([]),
  // Groups and inline profiles are validated one by one by the loader, so a
  // mistake inside one is reported at its field rather than as "no union matched".
  workload: z.array(z.unknown()).min(1),
  costs: z.unknown().refine((v) => v !== undefined, { message: 'required' }),
  faults: z
    .strictObject({ restoreFailureRate: probability.default(0), checkpointFailureRate: probability.default(0), workerMtbf: durationMs.default(0) })
    .optional(),
  policies: z.array(policySchema).default([]),
  study: studySchema.optional(),
  slo: sloSchema.optional(),
  prices: pricesSchema.optional(),
});

/** A parsed scenario document, before manifests, profiles and cross-references are resolved. */
export type ScenarioFile = z.output<typeof scenarioFileSchema>;
/** A parsed pool entry. */
export type PoolFile = z.output<typeof poolSchema>;
/** A parsed template entry. */
export type TemplateFile = z.output<typeof templateSchema>;
/** A parsed study. */
export type StudyFile = z.output<typeof studySchema>;
/** A parsed policy set. */
export type PolicyFile = z.output<typeof policySchema>;
/** A parsed trace entry. */
export type TraceFile = z.output<typeof traceSchema>;
/** A parsed model group. */
export type ModelGroupFile = z.output<typeof modelGroupSchema>;
