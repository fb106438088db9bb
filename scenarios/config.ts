import type { CoreConfig, PoolSpec, TemplateSpec } from '../core/types.ts';
import type { PolicySet, Scenario } from './scenario.ts';

const MIB = 1024 * 1024;

/** The core's configuration for one policy set of a scenario: pools set up as the policy set says. */
export function coreConfigFor(scenario: Scenario, policy: PolicySet): CoreConfig {
  const poolNames = [...new Set(scenario.templates.map((t) => t.pool))];
  const pools: PoolSpec[] = poolNames.map((name) => {
    const setup = policy.pools[name];
    if (setup === undefined) throw new Error(`policies[${policy.name}].pools: no set-up for pool "${name}"`);
    return {
      name,
      mode: setup.mode,
      replicas: setup.replicas,
      actorSlots: setup.actorSlots,
      workerMemoryMiB: setup.workerMemoryMiB,
      ...(setup.dedicated === undefined ? {} : { dedicated: setup.dedicated }),
    };
  });
  const templates: TemplateSpec[] = scenario.templates.map((t) => ({
    name: t.name,
    pool: t.pool,
    memoryMiB: t.memoryMiB,
    snapshotBytes: t.snapshotMiB * MIB,
    golden: t.golden,
  }));
  return {
    nodes: scenario.nodes,
    pools,
    templates,
    placement: policy.placement,
    idle: policy.idle,
    admission: policy.admission,
    eviction: policy.eviction,
    ...(policy.scaling === undefined ? {} : { scaling: policy.scaling }),
    maxAttempts: policy.maxAttempts,
  };
}
