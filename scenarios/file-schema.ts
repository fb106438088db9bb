import { z } from 'zod';
import { arrivalSpecSchema } from './arrivals/index.ts';
import { cpuMilli, durationDistribution, durationMs, memoryMiB, nonNegativeInt, positiveInt, probability } from './fields.ts';

/**
 * The schema of a scenario file as users write it (YAML, or JSON which is
 * YAML too): text durations and Kubernetes quantities, defaults filled in,
 * misspelt fields refused. `scenarios/README.md` documents every field; keep
 * the two in step.
 */

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a lowercase name of letters, digits, "-" and "." (as Kubernetes names)');

const sizeCost = z.strictObject({ base: durationDistribution, bandwidth: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi)\/s$/, 'expected a bandwidth such as 640Mi/s') });

/** A cost profile: the latency of each primitive of the runtime. */
export const costProfileSchema = z.strictObject({
  name: z.string().min(1),
  source: z.string().default(''),
  workerStart: durationDistribution,
  coldBoot: durationDistribution,
  restore: z.strictObject({ local: sizeCost, external: sizeCost, golden: sizeCost }),
  checkpoint: z.strictObject({ local: sizeCost, external: sizeCost }),
  dispatch: durationDistribution.default({ kind: 'constant', valueMs: 0 }),
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
  replicas: nonNegativeInt.default(1),
  actorSlots: positiveInt.default(1),
  worker: workerSchema,
  runtimeClass: z.string().default('gvisor'),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  dedicated: dedicatedSchema.optional(),
});

/** Per-policy-set overrides of a pool. */
const poolOverrideSchema = z.strictObject({
  mode: z.enum(['shared', 'dedicated']).optional(),
  replicas: nonNegativeInt.optional(),
  actorSlots: positiveInt.optional(),
  worker: workerSchema.partial().optional(),
  dedicated: dedicatedSchema.optional(),
});

const templateSchema = z.strictObject({
  name,
  pool: name,
  memory: memoryMiB,
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

const workloadGroupSchema = z.union([
  z.strictObject({ template: name, actors: positiveInt, arrivals: arrivalSpecSchema }),
  z.strictObject({ trace: traceSchema }),
]);

const idleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('never') }),
  z.strictObject({ kind: z.literal('ttl'), ttl: durationMs, action: z.enum(['suspend', 'pause']).default('suspend') }),
  z.strictObject({ kind: z.literal('immediate'), action: z.enum(['suspend', 'pause']).default('suspend') }),
]);

const policySchema = z.strictObject({
  name,
  pools: z.record(z.string(), poolOverrideSchema).default({}),
  placement: z.enum(['random', 'p2c', 'least-loaded', 'binpack', 'locality']).default('random'),
  idle: idleSchema.default({ kind: 'never' }),
  admission: z
    .strictObject({ parkTimeout: durationMs.default(5000), maxParked: nonNegativeInt.default(2048) })
    .default({ parkTimeout: 5000, maxParked: 2048 }),
  eviction: z.enum(['lru', 'none']).default('lru'),
  maxAttempts: positiveInt.default(3),
});

const nodeGroupSchema = z.strictObject({
  name,
  count: positiveInt.default(1),
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
  include: z.array(z.string().min(1)).default([]),
  cluster: z.strictObject({ nodes: z.array(nodeGroupSchema).min(1) }),
  pools: z.array(poolSchema).default([]),
  templates: z.array(templateSchema).default([]),
  workload: z.array(workloadGroupSchema).min(1),
  costs: z.union([z.string().min(1), costProfileSchema]),
  faults: z
    .strictObject({ restoreFailureRate: probability.default(0), checkpointFailureRate: probability.default(0), workerMtbf: durationMs.default(0) })
    .optional(),
  policies: z.array(policySchema).min(1),
});

/** A parsed scenario document, before manifests, profiles and cross-references are resolved. */
export type ScenarioFile = z.output<typeof scenarioFileSchema>;
/** A parsed pool entry. */
export type PoolFile = z.output<typeof poolSchema>;
/** A parsed template entry. */
export type TemplateFile = z.output<typeof templateSchema>;
/** A parsed trace entry. */
export type TraceFile = z.output<typeof traceSchema>;
