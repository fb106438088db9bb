import { z } from 'zod';
import { parseDuration } from './units.ts';
import { parseCpuMilli, parseMemoryMiB } from './quantity.ts';
import { MAX_NAME_CHARS, MAX_WORKERS_PER_POOL } from './limits.ts';

/**
 * Field types of user-facing scenario files, as zod schemas that parse the
 * text forms users write (Go durations, Kubernetes quantities) into numbers
 * in the units the code uses (milliseconds, MiB, millicores).
 */

function textField(kind: string, parse: (s: string) => number, example: string) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    if (typeof v === 'number') {
      // A bare number has no unit; only 0 is unambiguous.
      if (v === 0) return 0;
      ctx.addIssue({ code: 'custom', message: `expected a ${kind} with a unit (e.g. ${example}), got ${v}` });
      return z.NEVER;
    }
    try {
      const n = parse(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`must be >= 0`);
      return n;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `expected a ${kind} (e.g. ${example}): ${(err as Error).message}` });
      return z.NEVER;
    }
  });
}

/** A duration such as `250ms`, `5m`, `1h30m`; parsed to milliseconds. */
export const durationMs = textField('duration', parseDuration, '250ms, 5m, 24h');

/** A memory or storage quantity such as `512Mi`, `2Gi`; parsed to MiB. */
export const memoryMiB = textField('memory quantity', (s) => parseMemoryMiB(s), '512Mi, 2Gi');

/** A cpu quantity such as `500m` or `2`; parsed to millicores. Bare numbers are cores, as in Kubernetes. */
export const cpuMilli = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const n = typeof v === 'number' ? v * 1000 : parseCpuMilli(v);
    if (!Number.isFinite(n) || n < 0) throw new Error('must be >= 0');
    return n;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a cpu quantity (e.g. 500m, 2): ${(err as Error).message}` });
    return z.NEVER;
  }
});

/** A positive integer, with a message that quotes what was given. */
export const positiveInt = z.number({ error: (i) => `expected a positive integer, got ${JSON.stringify(i.input)}` }).int().positive();

/** A count of workers (replicas, scaling bounds): a non-negative integer up to the per-pool limit. */
export const workerCount = z
  .number({ error: (i) => `expected a non-negative integer, got ${JSON.stringify(i.input)}` })
  .int()
  .nonnegative()
  .max(MAX_WORKERS_PER_POOL, { error: (i) => `at most ${MAX_WORKERS_PER_POOL.toLocaleString('en-US')} workers per pool, got ${JSON.stringify(i.input)}` });

/** A positive count of workers (a scaling maximum). */
export const positiveWorkerCount = workerCount.refine((n) => n > 0, { error: (i) => `expected a positive integer, got ${JSON.stringify(i.input)}` });

/** A memory that must be more than zero (an actor's: a real worker refuses 0). */
export const positiveMemoryMiB = memoryMiB.refine((n) => n > 0, { error: 'must be more than 0 (a real worker refuses an actor without memory)' });

/**
 * Whether `s` is a name as scenarios and manifests use them (Kubernetes-like):
 * lowercase letters, digits, "-" and ".", starting and ending with a letter
 * or digit, at most MAX_NAME_CHARS long, and without ".." (real workers and
 * the store refuse ".." in an actor id or a key, and actor ids start with
 * their template's name).
 */
export function isName(s: string): boolean {
  return s.length <= MAX_NAME_CHARS && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s) && !s.includes('..');
}

/** A name: see isName. */
export const nameField = z.string().refine(isName, {
  error: `expected a lowercase name of letters, digits, "-" and "." (as Kubernetes names), at most ${MAX_NAME_CHARS} characters, without ".."`,
});

/** A non-negative integer. */
export const nonNegativeInt = z.number({ error: (i) => `expected a non-negative integer, got ${JSON.stringify(i.input)}` }).int().nonnegative();

/** A probability in [0, 1]. */
export const probability = z.number().min(0).max(1);

/**
 * A distribution of durations, written with text durations:
 * `{kind: lognormal, median: 2s, p99: 20s}`, `{kind: exponential, mean: 30s}`,
 * `{kind: constant, value: 100ms}`, `{kind: uniform, min: 1s, max: 3s}`,
 * `{kind: empirical, samples: [1s, 2s]}`; parsed to the simulator's
 * DistributionSpec in milliseconds.
 */
export const durationDistribution = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant'), value: durationMs }),
    z.strictObject({ kind: z.literal('exponential'), mean: durationMs }),
    z.strictObject({ kind: z.literal('lognormal'), median: durationMs, p99: durationMs.optional(), sigma: z.number().nonnegative().optional() }),
    z.strictObject({ kind: z.literal('uniform'), min: durationMs, max: durationMs }),
    z.strictObject({ kind: z.literal('empirical'), samples: z.array(durationMs).min(1) }),
  ])
  .superRefine((d, ctx) => {
    if (d.kind === 'lognormal') {
      if ((d.p99 === undefined) === (d.sigma === undefined)) ctx.addIssue({ code: 'custom', message: 'lognormal needs exactly one of p99 or sigma' });
      if (d.median <= 0) ctx.addIssue({ code: 'custom', path: ['median'], message: 'must be > 0' });
      if (d.p99 !== undefined && d.p99 < d.median) ctx.addIssue({ code: 'custom', path: ['p99'], message: 'must be >= median' });
    }
    if (d.kind === 'uniform' && d.min > d.max) ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be <= max' });
  })
  .transform((d) => {
    switch (d.kind) {
      case 'constant':
        return { kind: 'constant' as const, valueMs: d.value };
      case 'exponential':
        return { kind: 'exponential' as const, meanMs: d.mean };
      case 'lognormal':
        return d.p99 !== undefined
          ? { kind: 'lognormal' as const, medianMs: d.median, p99Ms: d.p99 }
          : { kind: 'lognormal' as const, medianMs: d.median, sigma: d.sigma! };
      case 'uniform':
        return { kind: 'uniform' as const, minMs: d.min, maxMs: d.max };
      case 'empirical':
        return { kind: 'empirical' as const, samplesMs: d.samples };
    }
  });
