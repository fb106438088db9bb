import type { PolicyFile, StudyFile } from './file-schema.ts';
import { formatDuration } from './units.ts';

type Idle = PolicyFile['idle'];
type Scaling = PolicyFile['scaling'];

function idleName(i: Idle): string {
  switch (i.kind) {
    case 'never':
      return 'never';
    case 'ttl':
      return `ttl-${formatDuration(i.ttl)}-${i.action}`;
    case 'immediate':
      return `immediate-${i.action}`;
    case 'hybrid-histogram':
      return `hybrid-${i.action}`;
  }
}

function scalingName(s: Scaling): string {
  switch (s.kind) {
    case 'static':
      return 'static';
    case 'target-utilization':
      return `util-${Math.round(s.target * 100)}`;
    case 'parking':
      return 'parking';
    case 'scale-to-zero':
      return 'to-zero';
  }
}

const DEFAULTS: Omit<PolicyFile, 'name'> = {
  pools: {},
  placement: 'random',
  idle: { kind: 'never' },
  admission: { parkTimeout: 5000, maxParked: 2048 },
  eviction: 'lru',
  scaling: { kind: 'static' },
  maxAttempts: 3,
};

/**
 * Expands a study into policy sets: the cross product of the matrix's lists,
 * each on top of `base`, named by its choices (`r16.p2c.ttl-2m-suspend`) in
 * the order replicas, placement, idle, eviction, scaling. `replicas` sets
 * every pool listed in `sharedPools`.
 */
export function expandStudy(study: StudyFile, sharedPools: readonly string[]): PolicyFile[] {
  const base: Omit<PolicyFile, 'name'> = { ...DEFAULTS, ...study.base };
  let sets: { name: string[]; policy: Omit<PolicyFile, 'name'> }[] = [{ name: [], policy: base }];
  const m = study.matrix;
  const axis = <T>(values: readonly T[] | undefined, label: (v: T) => string, apply: (p: Omit<PolicyFile, 'name'>, v: T) => Omit<PolicyFile, 'name'>): void => {
    if (values === undefined) return;
    sets = sets.flatMap((s) => values.map((v) => ({ name: [...s.name, label(v)], policy: apply(s.policy, v) })));
  };
  axis(m.replicas, (n) => `r${n}`, (p, n) => ({
    ...p,
    pools: { ...p.pools, ...Object.fromEntries(sharedPools.map((pool) => [pool, { ...p.pools[pool], replicas: n }])) },
  }));
  axis(m.placement, (x) => x, (p, placement) => ({ ...p, placement }));
  axis(m.idle, idleName, (p, idle) => ({ ...p, idle }));
  axis(m.eviction, (x) => x, (p, eviction) => ({ ...p, eviction }));
  axis(m.scaling, scalingName, (p, scaling) => ({ ...p, scaling }));
  return sets.map((s) => ({ name: s.name.length === 0 ? 'study' : s.name.join('.'), ...s.policy }));
}
