import type { PolicySet } from '../scenarios/scenario.ts';
import { MAX_WORKERS_PER_POOL } from '../scenarios/limits.ts';
import { UsageError } from '../cli/usage-error.ts';

/** Probes per policy set by default: 1..256 takes at most 17, 1..1,000,000 at most 41. */
export const DEFAULT_MAX_PROBES = 24;

/**
 * One integer knob of a policy set that `simulate --size` can search, named
 * by its path in a policy set of the scenario file (`policies[].pools.<pool>
 * .replicas` is written `pools.<pool>.replicas`). Every knob here is expected
 * to make latency no worse as it grows (more workers, more slots, a longer
 * keep-alive), which is what the monotone search assumes and then checks.
 */
export interface SizingKnob {
  /** As given: `pools.shared.replicas`. */
  readonly path: string;
  /** What one unit is, for the terminal and the report: "replicas", "seconds". */
  readonly unit: string;
  /** The smallest value the knob takes. */
  readonly min: number;
  readonly max: number;
  /** The policy set with the knob set to `value`, or why this policy set has no such knob. */
  apply(policy: PolicySet, value: number): PolicySet | { readonly skip: string };
}

/** A knob and the range to search, from `--size PATH=LO..HI`. */
export interface SizeSpec {
  readonly knob: SizingKnob;
  readonly lo: number;
  readonly hi: number;
}

/** The knob paths --size takes, for help and errors. */
export const SIZING_PATHS = ['pools.<pool>.replicas', 'pools.<pool>.actorSlots', 'scaling.minReplicas', 'scaling.maxReplicas', 'idle.ttl'] as const;

function poolKnob(pool: string, field: 'replicas' | 'actorSlots', knownPools: readonly string[]): SizingKnob {
  if (!knownPools.includes(pool)) throw new UsageError(`--size: no pool "${pool}" in the scenario (pools: ${knownPools.join(', ')})`);
  return {
    path: `pools.${pool}.${field}`,
    unit: field === 'replicas' ? 'replicas' : 'actor slots',
    min: field === 'replicas' ? 0 : 1,
    max: MAX_WORKERS_PER_POOL,
    apply(policy, value) {
      const setup = policy.pools[pool];
      if (setup === undefined) return { skip: `no set-up for pool ${pool}` };
      // A dedicated pool has one worker per actor: its replicas are not a size.
      if (field === 'replicas' && setup.mode === 'dedicated') return { skip: `pool ${pool} is dedicated (one worker per actor)` };
      return { ...policy, pools: { ...policy.pools, [pool]: { ...setup, [field]: value } } };
    },
  };
}

function scalingKnob(field: 'minReplicas' | 'maxReplicas'): SizingKnob {
  return {
    path: `scaling.${field}`,
    unit: 'replicas',
    min: field === 'maxReplicas' ? 1 : 0,
    max: MAX_WORKERS_PER_POOL,
    apply(policy, value) {
      const s = policy.scaling;
      if (s === undefined || !(field in s)) return { skip: `scaling ${s?.kind ?? 'static'} has no ${field}` };
      const scaled = { ...s, [field]: value } as NonNullable<PolicySet['scaling']> & { minReplicas?: number; maxReplicas: number };
      // Keep min <= max, so a probe never asks the core for an impossible pool.
      if (scaled.minReplicas !== undefined && scaled.minReplicas > scaled.maxReplicas) {
        if (field === 'maxReplicas') scaled.minReplicas = value;
        else scaled.maxReplicas = value;
      }
      return { ...policy, scaling: scaled };
    },
  };
}

const TTL_KNOB: SizingKnob = {
  path: 'idle.ttl',
  unit: 'seconds',
  min: 0,
  // A week of seconds: longer is "never" in any scenario this runs.
  max: 7 * 24 * 3600,
  apply(policy, value) {
    if (policy.idle.kind !== 'ttl') return { skip: `idle ${policy.idle.kind} has no ttl` };
    return { ...policy, idle: { ...policy.idle, ttlMs: value * 1000 } };
  },
};

/** The knob at `path`, or a usage error naming the paths there are. */
export function sizingKnob(path: string, knownPools: readonly string[]): SizingKnob {
  const pool = /^pools\.([^.]+)\.(replicas|actorSlots)$/.exec(path);
  if (pool !== null) return poolKnob(pool[1]!, pool[2] as 'replicas' | 'actorSlots', knownPools);
  if (path === 'scaling.minReplicas' || path === 'scaling.maxReplicas') return scalingKnob(path === 'scaling.minReplicas' ? 'minReplicas' : 'maxReplicas');
  if (path === 'idle.ttl') return TTL_KNOB;
  throw new UsageError(`--size: cannot size "${path}"; knobs are ${SIZING_PATHS.join(', ')} (a policy set's fields, as in the scenario file)`);
}

function bound(text: string, which: string, given: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--size: ${which} of "${given}" must be a non-negative integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--size: ${which} of "${given}" is too large: "${text}"`);
  return n;
}

/** Parses `--size PATH=LO..HI` (whole numbers; idle.ttl in seconds). */
export function parseSizeFlag(text: string, knownPools: readonly string[]): SizeSpec {
  const m = /^([^=]+)=(.*)$/.exec(text.trim());
  if (m === null) throw new UsageError(`--size: expected PATH=LO..HI, e.g. pools.shared.replicas=1..256, got "${text}"`);
  const path = m[1]!.trim();
  const range = m[2]!.split('..').map((x) => x.trim());
  if (range.length !== 2) throw new UsageError(`--size: expected a range LO..HI after "${path}=", e.g. 1..256, got "${m[2]}"`);
  const knob = sizingKnob(path, knownPools);
  const lo = bound(range[0]!, 'the low end', text);
  const hi = bound(range[1]!, 'the high end', text);
  if (hi < lo) throw new UsageError(`--size: empty range ${lo}..${hi} (the low end is above the high end)`);
  if (lo < knob.min) throw new UsageError(`--size: ${path} starts at ${knob.min}, got ${lo}..${hi}`);
  if (hi > knob.max) throw new UsageError(`--size: ${path} goes up to ${knob.max.toLocaleString('en-US')}, got ${lo}..${hi}`);
  return { knob, lo, hi };
}

/** The name of a policy set probed at `value`: "shared-p2c replicas=12". */
export function probeName(policy: string, knob: SizingKnob, value: number): string {
  return `${policy} ${knob.path.slice(knob.path.lastIndexOf('.') + 1)}=${value}`;
}

/** Probes of one study round: each policy set (by name) at one value of the knob at `path`. */
export interface SizingProbes {
  readonly path: string;
  readonly points: readonly { readonly policy: string; readonly value: number }[];
}

/**
 * The scenario's policy sets replaced by the probes of one round, in the
 * probes' order: plain data in, so a study worker thread builds the same.
 */
export function applySizingProbes<S extends { readonly pools: readonly { readonly name: string }[]; readonly policies: readonly PolicySet[] }>(scenario: S, probes: SizingProbes): S {
  const knob = sizingKnob(probes.path, scenario.pools.map((p) => p.name));
  const byName = new Map(scenario.policies.map((p) => [p.name, p]));
  const policies = probes.points.map(({ policy, value }) => {
    const base = byName.get(policy);
    if (base === undefined) throw new Error(`--size: no policy set "${policy}" to probe`);
    const set = knob.apply(base, value);
    if ('skip' in set) throw new Error(`--size: ${policy} cannot be sized: ${set.skip}`);
    return { ...set, name: probeName(policy, knob, value) };
  });
  return { ...scenario, policies };
}
