import type { AdmissionSpec, CoreConfig, IdlePolicySpec, ScalingSpec } from '../types.ts';
import { ADMISSION_POLICIES, admissionName, type AdmissionPolicy } from './admission.ts';
import { EVICTION_POLICIES, type EvictionPolicy } from './eviction.ts';
import { IDLE_POLICIES, type IdlePolicy } from './idle.ts';
import { PLACEMENT_POLICIES, type PlacementPolicy } from './placement.ts';
import { SCALING_POLICIES, type ScalingPolicy } from './scaling.ts';

/**
 * The one resolver table (DSLab FaaS style): every policy a scenario or a
 * sweep can name, by kind and then by name. Each kind's names are listed in
 * its own file, next to the implementations they name.
 */
export const POLICIES = {
  placement: PLACEMENT_POLICIES,
  idle: IDLE_POLICIES,
  eviction: EVICTION_POLICIES,
  scaling: SCALING_POLICIES,
  admission: ADMISSION_POLICIES,
} as const;

/** The kinds of policy a scheduler uses. */
export type PolicyKind = keyof typeof POLICIES;

/** The policy objects of one scheduler, resolved once when it is built. */
export interface Policies {
  readonly placement: PlacementPolicy;
  readonly idle: IdlePolicy;
  readonly eviction: EvictionPolicy;
  readonly scaling: ScalingPolicy;
  readonly admission: AdmissionPolicy;
}

/** The names a kind knows, in table order. */
export function policyNames(kind: PolicyKind): string[] {
  return Object.keys(POLICIES[kind]);
}

/** Thrown for a policy name the table does not know. */
export class UnknownPolicyError extends Error {
  constructor(kind: PolicyKind, name: string) {
    super(`unknown ${kind} policy "${name}" (known: ${policyNames(kind).join(', ')})`);
    this.name = 'UnknownPolicyError';
  }
}

/** The entry of `name` in the table of `kind`, or an UnknownPolicyError. */
export function policyEntry<K extends PolicyKind>(kind: K, name: string): (typeof POLICIES)[K][keyof (typeof POLICIES)[K]] {
  const table: Readonly<Record<string, unknown>> = POLICIES[kind];
  if (!Object.hasOwn(table, name)) throw new UnknownPolicyError(kind, name);
  return table[name] as (typeof POLICIES)[K][keyof (typeof POLICIES)[K]];
}

/** Resolves every policy `config` names, for a scheduler of `config.pools.length` pools. */
export function resolvePolicies(config: CoreConfig): Policies {
  const pools = config.pools.length;
  const scaling = config.scaling ?? { kind: 'static' };
  // An entry is built from the spec of its own kind, which the table's types cannot tie to a name looked up at run time.
  const idle = policyEntry('idle', config.idle.kind) as (spec: IdlePolicySpec) => IdlePolicy;
  const eviction = policyEntry('eviction', config.eviction) as (pools: number) => EvictionPolicy;
  const scale = policyEntry('scaling', scaling.kind) as (spec: ScalingSpec, pools: number) => ScalingPolicy;
  const admission = policyEntry('admission', admissionName(config.admission)) as (spec: AdmissionSpec) => AdmissionPolicy;
  return {
    placement: policyEntry('placement', config.placement) as PlacementPolicy,
    idle: idle(config.idle),
    eviction: eviction(pools),
    scaling: scale(scaling, pools),
    admission: admission(config.admission),
  };
}
