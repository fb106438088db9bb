import { z } from 'zod';
import type { Scenario } from './scenario.ts';

/**
 * The schema of a scenario as JSON. Everything a user writes passes through
 * it, so that a mistake is reported with its field path instead of surfacing
 * as a NaN deep inside a run.
 */

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const distribution = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), valueMs: nonNeg }),
  z.strictObject({ kind: z.literal('exponential'), meanMs: nonNeg }),
  z
    .strictObject({ kind: z.literal('lognormal'), medianMs: pos, p99Ms: pos.optional(), sigma: nonNeg.optional() })
    .refine((d) => (d.p99Ms === undefined) !== (d.sigma === undefined), { message: 'lognormal needs exactly one of p99Ms or sigma' })
    .refine((d) => d.p99Ms === undefined || d.p99Ms >= d.medianMs, { message: 'p99Ms must be >= medianMs', path: ['p99Ms'] }),
  z
    .strictObject({ kind: z.literal('uniform'), minMs: nonNeg, maxMs: nonNeg })
    .refine((d) => d.minMs <= d.maxMs, { message: 'minMs must be <= maxMs', path: ['minMs'] }),
  z.strictObject({ kind: z.literal('empirical'), samplesMs: z.array(nonNeg).min(1) }),
]);

const sizeCost = z.strictObject({ base: distribution, mibPerSec: pos });

const costs = z.strictObject({
  name: z.string().min(1),
  source: z.string(),
  workerStart: distribution,
  coldBoot: distribution,
  restore: z.strictObject({ local: sizeCost, external: sizeCost, golden: sizeCost }),
  checkpoint: z.strictObject({ local: sizeCost, external: sizeCost }),
  dispatch: distribution,
});

const workload = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sessions'),
    actors: posInt,
    template: z.string().min(1),
    sessionsPerDay: z.strictObject({ median: nonNeg, sigma: nonNeg }),
    peakToTrough: z.number().finite().min(1),
    periodMs: pos,
    peakAtMs: nonNeg,
    meanExtraTurns: nonNeg,
    think: distribution,
  }),
  z.strictObject({ kind: z.literal('poisson'), actors: posInt, template: z.string().min(1), ratePerSec: pos }),
]);

const poolSetup = z.strictObject({
  mode: z.enum(['shared', 'dedicated']),
  replicas: nonNegInt,
  actorSlots: posInt,
  workerMemoryMiB: pos,
  dedicated: z.strictObject({ variant: z.enum(['always-on', 'scale-to-zero']), idleStopMs: nonNeg }).optional(),
});

const idle = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('never') }),
  z.strictObject({ kind: z.literal('ttl'), ttlMs: nonNeg, action: z.enum(['suspend', 'pause']) }),
  z.strictObject({ kind: z.literal('immediate'), action: z.enum(['suspend', 'pause']) }),
]);

const policy = z.strictObject({
  name: z.string().min(1),
  pools: z.record(z.string(), poolSetup),
  placement: z.enum(['random', 'p2c', 'least-loaded', 'binpack', 'locality']),
  idle,
  admission: z.strictObject({ parkTimeoutMs: nonNeg, maxParked: nonNegInt }),
  eviction: z.enum(['lru', 'none']),
  maxAttempts: posInt,
});

/** The scenario schema. Cross-references (template → pool, workload → template) are checked after parsing. */
export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: nonNegInt,
    durationMs: pos,
    nodes: z.array(z.strictObject({ name: z.string().min(1), memoryMiB: pos })).min(1),
    templates: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          pool: z.string().min(1),
          memoryMiB: pos,
          snapshotMiB: nonNeg,
          golden: z.boolean(),
          work: distribution,
        }),
      )
      .min(1),
    workload,
    costs,
    faults: z
      .strictObject({ restoreFailureRate: z.number().min(0).max(1), checkpointFailureRate: z.number().min(0).max(1), workerMtbfMs: nonNeg })
      .optional(),
    policies: z.array(policy).min(1),
  })
  .superRefine((s, ctx) => {
    const templates = new Set(s.templates.map((t) => t.name));
    const pools = new Set(s.templates.map((t) => t.pool));
    if (!templates.has(s.workload.template)) {
      ctx.addIssue({ code: 'custom', path: ['workload', 'template'], message: `unknown template "${s.workload.template}" (known: ${[...templates].join(', ')})` });
    }
    const names = new Set<string>();
    s.policies.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `duplicate policy name "${p.name}"` });
      names.add(p.name);
      for (const pool of pools) {
        if (p.pools[pool] === undefined) ctx.addIssue({ code: 'custom', path: ['policies', i, 'pools'], message: `no set-up for pool "${pool}"` });
      }
      for (const [name, setup] of Object.entries(p.pools)) {
        if (setup.mode === 'dedicated' && setup.dedicated === undefined) {
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'pools', name, 'dedicated'], message: 'a dedicated pool needs dedicated.variant and dedicated.idleStopMs' });
        }
        for (const t of s.templates) {
          if (t.pool === name && t.memoryMiB > setup.workerMemoryMiB) {
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'pools', name, 'workerMemoryMiB'],
              message: `${setup.workerMemoryMiB} MiB cannot hold template "${t.name}" (${t.memoryMiB} MiB)`,
            });
          }
        }
      }
    });
  });

/** A problem found in a scenario, with where it is. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(problems.map((p) => `${file} ${p}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

/** Validates parsed JSON as a scenario; throws ScenarioError with one line per problem. */
export function parseScenario(data: unknown, file: string): Scenario {
  const r = scenarioSchema.safeParse(data);
  if (!r.success) {
    throw new ScenarioError(
      file,
      r.error.issues.map((i) => `${pathString(i.path)}: ${i.message}`),
    );
  }
  return r.data as Scenario;
}
