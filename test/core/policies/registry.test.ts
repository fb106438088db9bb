import { describe, expect, it } from 'vitest';
import { admissionName } from '../../../core/policies/admission.ts';
import { POLICIES, UnknownPolicyError, policyEntry, policyNames, resolvePolicies, type PolicyKind } from '../../../core/policies/registry.ts';
import type { CoreConfig, IdlePolicySpec, ScalingSpec } from '../../../core/types.ts';

const base: CoreConfig = {
  nodes: [{ name: 'n1', memoryMiB: 8192 }],
  pools: [{ name: 'p', mode: 'shared', replicas: 2, actorSlots: 4, workerMemoryMiB: 4096 }],
  templates: [],
  placement: 'random',
  idle: { kind: 'never' },
  admission: { parkTimeoutMs: 5_000, maxParked: 2_048 },
  eviction: 'lru',
  maxAttempts: 1,
};

// One spec per idle and scaling name, so every entry of the table is built, not only looked up.
const IDLE: Record<string, IdlePolicySpec> = {
  never: { kind: 'never' },
  ttl: { kind: 'ttl', ttlMs: 1_000, action: 'pause' },
  immediate: { kind: 'immediate', action: 'suspend' },
  'hybrid-histogram': {
    kind: 'hybrid-histogram', action: 'suspend', binMs: 60_000, rangeMs: 14_400_000, headPercentile: 5, tailPercentile: 99,
    margin: 0.1, cvThreshold: 2, minSamples: 5, fallbackTtlMs: 14_400_000,
  },
};
const SCALING: Record<string, ScalingSpec> = {
  static: { kind: 'static' },
  'target-utilization': { kind: 'target-utilization', target: 0.7, minReplicas: 1, maxReplicas: 8, stabilizationMs: 60_000, intervalMs: 15_000 },
  parking: { kind: 'parking', step: 1, minReplicas: 1, maxReplicas: 8, quietMs: 60_000, intervalMs: 15_000 },
  'scale-to-zero': { kind: 'scale-to-zero', maxReplicas: 8, idleMs: 60_000, intervalMs: 15_000 },
};

describe('policy registry', () => {
  it('has the five kinds, each with the names scenarios use', () => {
    expect(Object.keys(POLICIES)).toEqual(['placement', 'idle', 'eviction', 'scaling', 'admission']);
    expect(policyNames('placement')).toEqual(['random', 'p2c', 'least-loaded', 'binpack', 'locality']);
    expect(policyNames('idle')).toEqual(Object.keys(IDLE));
    expect(policyNames('eviction')).toEqual(['none', 'lru', 'greedy-dual']);
    expect(policyNames('scaling')).toEqual(Object.keys(SCALING));
    expect(policyNames('admission')).toEqual(['reject', 'park']);
  });

  it('resolves every name to a policy object that carries that name', () => {
    for (const placement of policyNames('placement')) {
      expect(resolvePolicies({ ...base, placement } as CoreConfig).placement.name).toBe(placement);
    }
    for (const [kind, idle] of Object.entries(IDLE)) {
      expect(resolvePolicies({ ...base, idle }).idle.name.startsWith(kind)).toBe(true);
    }
    for (const eviction of policyNames('eviction')) {
      expect(resolvePolicies({ ...base, eviction } as CoreConfig).eviction.name).toBe(eviction);
    }
    for (const [kind, scaling] of Object.entries(SCALING)) {
      expect(resolvePolicies({ ...base, scaling }).scaling.name).toBe(kind);
    }
    expect(resolvePolicies(base).admission.name).toBe('park');
    expect(resolvePolicies({ ...base, admission: { parkTimeoutMs: 0, maxParked: 10 } }).admission.name).toBe('reject');
    expect(admissionName({ parkTimeoutMs: 5_000, maxParked: 0 })).toBe('reject');
  });

  it('builds stateful policies afresh for each scheduler', () => {
    const config = { ...base, eviction: 'greedy-dual', idle: IDLE['hybrid-histogram']! } as CoreConfig;
    const a = resolvePolicies(config);
    const b = resolvePolicies(config);
    expect(a.eviction).not.toBe(b.eviction);
    expect(a.idle).not.toBe(b.idle);
  });

  it('rejects an unknown name with an error naming the kind and the known names', () => {
    const cases: [PolicyKind, string][] = [['placement', 'round-robin'], ['idle', 'forever'], ['eviction', 'lfu'], ['scaling', 'vpa'], ['admission', 'queue']];
    for (const [kind, name] of cases) {
      expect(() => policyEntry(kind, name)).toThrow(UnknownPolicyError);
      expect(() => policyEntry(kind, name)).toThrow(`unknown ${kind} policy "${name}" (known: ${policyNames(kind).join(', ')})`);
    }
    // Names inherited from Object.prototype are not policies.
    expect(() => policyEntry('placement', 'toString')).toThrow(UnknownPolicyError);
    expect(() => resolvePolicies({ ...base, eviction: 'lfu' } as unknown as CoreConfig)).toThrow('unknown eviction policy "lfu" (known: none, lru, greedy-dual)');
  });
});
