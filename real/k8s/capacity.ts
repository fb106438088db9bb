import type { V1Node, V1PodSpec } from '@kubernetes/client-node';
import type { PolicySet, Scenario } from '../../scenarios/scenario.ts';
import { parseQuantity } from '../../scenarios/quantity.ts';
import { driverJob, storePod, STORE_SERVICE } from './manifests.ts';
import { storeUrl, type RunPlan } from './plan.ts';
import { poolShape, workerPod } from './worker-pod.ts';

// Whether a run's pods can be scheduled at all, asked before anything is
// applied: a policy set whose worker pods ask for more cpu or memory than
// the cluster's nodes offer leaves them Pending, and the run fails minutes
// later with workers that never became ready. The launcher asks with the
// user's credentials (listing nodes is cluster-scoped; the driver's Role
// is namespaced and cannot), from the nodes' allocatable, which is what the
// scheduler fits requests into.
//
// It is a necessary condition, not a guarantee: requests are summed over
// the schedulable nodes (a pod cannot straddle two, so only "bigger than
// any node" is checked per pod), and what other pods already request on
// those nodes is not subtracted. What it refuses cannot run.

/** What a pod asks the scheduler for. */
export interface PodRequests {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
}

/** Pods of one kind that may run at the same time. */
export interface PodGroup {
  /** What they are, for the message: "worker pods of pool agents (one per actor)", "store". */
  readonly what: string;
  readonly count: number;
  readonly requests: PodRequests;
  /** Worker pods: the ones --worker-cpu sizes. */
  readonly worker: boolean;
}

/** Everything that may run at the same time: a policy set's worker pods at their peak, with the store and the driver. */
export interface CapacityNeed {
  /** The policy set (or calibration phase) it is. */
  readonly name: string;
  readonly groups: readonly PodGroup[];
}

/** The schedulable nodes' allocatable, summed; a resource is null where a node does not report it. */
export interface ClusterCapacity {
  readonly nodes: number;
  readonly cpuMilli: number | null;
  readonly memoryMiB: number | null;
  readonly pods: number | null;
  /** The most one node offers: a pod asking for more fits nowhere. */
  readonly nodeCpuMilli: number | null;
  readonly nodeMemoryMiB: number | null;
}

/** A node the run's pods may land on: not cordoned, no NoSchedule or NoExecute taint (the run's pods tolerate none). */
export function isSchedulable(n: V1Node): boolean {
  return n.spec?.unschedulable !== true && !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

function quantity(text: string | undefined): number | null {
  if (text === undefined) return null;
  try {
    return parseQuantity(text);
  } catch {
    return null;
  }
}

/** The allocatable cpu, memory and pod count of the schedulable nodes. */
export function clusterCapacity(nodes: readonly V1Node[]): ClusterCapacity {
  const usable = nodes.filter(isSchedulable);
  const per = (key: string, scale: number): number[] | null => {
    const values = usable.map((n) => quantity(n.status?.allocatable?.[key]));
    return values.some((v) => v === null) ? null : values.map((v) => tidy(v! * scale));
  };
  const cpu = per('cpu', 1000);
  const memory = per('memory', 1 / 2 ** 20);
  const pods = per('pods', 1);
  const sum = (xs: number[] | null): number | null => (xs === null ? null : xs.reduce((a, b) => a + b, 0));
  const max = (xs: number[] | null): number | null => (xs === null ? null : Math.max(0, ...xs));
  return { nodes: usable.length, cpuMilli: sum(cpu), memoryMiB: sum(memory), pods: sum(pods), nodeCpuMilli: max(cpu), nodeMemoryMiB: max(memory) };
}

/** A pod's requests: its containers' summed (a request left out defaults to the limit, as Kubernetes does; neither is 0). */
export function podRequests(spec: V1PodSpec | undefined): PodRequests {
  let cpuMilli = 0;
  let memoryMiB = 0;
  for (const c of spec?.containers ?? []) {
    const r = c.resources;
    cpuMilli += (quantity(r?.requests?.cpu ?? r?.limits?.cpu) ?? 0) * 1000;
    memoryMiB += (quantity(r?.requests?.memory ?? r?.limits?.memory) ?? 0) / 2 ** 20;
  }
  return { cpuMilli: tidy(cpuMilli), memoryMiB: tidy(memoryMiB) };
}

/** Off by no more than floating point: 9m read as 0.009 cpu and multiplied back is 9, not 9.000000000000002. */
function tidy(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The pods every run and calibration has beside its workers: the store and the driver Job's pod. */
export function runPodGroups(plan: RunPlan): PodGroup[] {
  return [
    { what: 'store', count: 1, requests: podRequests(storePod(plan).spec), worker: false },
    { what: 'driver', count: 1, requests: podRequests(driverJob(plan, 1).spec?.template.spec), worker: false },
  ];
}

/**
 * The most worker pods of one pool a policy set may run at once: one per
 * actor of the pool's templates in a dedicated pool (always-on starts them
 * all at once; scale-to-zero may, when every actor is active together), the
 * replicas of a shared pool, or the scaling policy's maxReplicas; never more
 * than the scenario's nodes hold, as the core places workers by their memory.
 */
export function peakWorkers(scenario: Pick<Scenario, 'nodes' | 'templates'>, policy: PolicySet, pool: string, actorTemplates: readonly string[]): { count: number; why: string } {
  const setup = policy.pools[pool]!;
  let count: number;
  let why: string;
  if (setup.mode === 'dedicated') {
    const templates = new Set(scenario.templates.filter((t) => t.pool === pool).map((t) => t.name));
    count = actorTemplates.filter((t) => templates.has(t)).length;
    why = setup.dedicated?.variant === 'scale-to-zero' ? 'dedicated, one per active actor, all active at once at most' : 'dedicated, one per actor';
  } else if (policy.scaling !== undefined && policy.scaling.kind !== 'static' && Number.isFinite(policy.scaling.maxReplicas)) {
    count = policy.scaling.maxReplicas;
    why = `${policy.scaling.kind} scaling up to maxReplicas`;
  } else {
    count = setup.replicas;
    why = 'replicas';
  }
  const held = setup.workerMemoryMiB > 0 ? scenario.nodes.reduce((n, node) => n + Math.floor(node.memoryMiB / setup.workerMemoryMiB), 0) : count;
  if (held < count) return { count: held, why: `${why}, as many as the scenario's nodes hold` };
  return { count, why };
}

/** A policy set's pods at their peak: each pool's worker pods as the driver would create them, then the store and the driver. */
export function policySetNeed(scenario: Pick<Scenario, 'nodes' | 'templates' | 'pools'>, policy: PolicySet, actorTemplates: readonly string[], plan: RunPlan): CapacityNeed {
  const defs = new Map(scenario.pools.map((p) => [p.name, p]));
  const node = scenario.nodes[0]?.name ?? '';
  const groups: PodGroup[] = [];
  for (const [pool, setup] of Object.entries(policy.pools)) {
    const peak = peakWorkers(scenario, policy, pool, actorTemplates);
    if (peak.count === 0) continue;
    const def = defs.get(pool);
    const pod = workerPod({
      plan,
      policyIndex: 0,
      policyName: policy.name,
      worker: 0,
      pool,
      node,
      ...poolShape(setup, def),
      memoryMiB: setup.workerMemoryMiB,
      storeUrl: storeUrl(plan, STORE_SERVICE),
    });
    groups.push({ what: `worker pods of pool ${pool} (${peak.why})`, count: peak.count, requests: podRequests(pod.spec), worker: true });
  }
  return { name: policy.name, groups: [...groups, ...runPodGroups(plan)] };
}

const cpuText = (milli: number): string => `${Number(milli.toFixed(3))}m`;
const memoryText = (mib: number): string => `${Math.ceil(mib)}Mi`;

/** The totals of a need: cpu, memory and pods requested at once. */
export function needTotals(need: CapacityNeed): { cpuMilli: number; memoryMiB: number; pods: number } {
  return {
    cpuMilli: need.groups.reduce((s, g) => s + g.count * g.requests.cpuMilli, 0),
    memoryMiB: need.groups.reduce((s, g) => s + g.count * g.requests.memoryMiB, 0),
    pods: need.groups.reduce((s, g) => s + g.count, 0),
  };
}

/** "20 worker pods of pool agents (dedicated, one per actor) x 500m + store 100m + driver 250m = 10350m". */
function sumText(need: CapacityNeed, of: (r: PodRequests) => number, text: (x: number) => string): string {
  const parts = need.groups.map((g) => (g.count === 1 && !g.worker ? `${g.what} ${text(of(g.requests))}` : `${g.count} ${g.what} x ${text(of(g.requests))}`));
  return `${parts.join(' + ')} = ${text(need.groups.reduce((s, g) => s + g.count * of(g.requests), 0))}`;
}

/** Where a need cannot fit, one line per resource that falls short; empty when it may fit. */
export function shortfalls(need: CapacityNeed, cap: ClusterCapacity): string[] {
  const out: string[] = [];
  const totals = needTotals(need);
  const nodes = `${cap.nodes} schedulable node(s)`;
  if (cap.nodes === 0) return [`the cluster has no schedulable node (every node is cordoned or tainted NoSchedule/NoExecute)`];
  if (cap.cpuMilli !== null && totals.cpuMilli > cap.cpuMilli) out.push(`cpu: ${sumText(need, (r) => r.cpuMilli, cpuText)} requested, ${cpuText(cap.cpuMilli)} allocatable on ${nodes}`);
  if (cap.memoryMiB !== null && totals.memoryMiB > cap.memoryMiB) out.push(`memory: ${sumText(need, (r) => r.memoryMiB, memoryText)} requested, ${memoryText(cap.memoryMiB)} allocatable on ${nodes}`);
  if (cap.pods !== null && totals.pods > cap.pods) out.push(`pods: ${totals.pods} pods at once, ${cap.pods} allocatable on ${nodes}`);
  for (const g of need.groups) {
    if (cap.nodeCpuMilli !== null && g.requests.cpuMilli > cap.nodeCpuMilli) out.push(`cpu: one of the ${g.what} asks for ${cpuText(g.requests.cpuMilli)}, more than any node's ${cpuText(cap.nodeCpuMilli)}`);
    if (cap.nodeMemoryMiB !== null && g.requests.memoryMiB > cap.nodeMemoryMiB) out.push(`memory: one of the ${g.what} asks for ${memoryText(g.requests.memoryMiB)}, more than any node's ${memoryText(cap.nodeMemoryMiB)}`);
  }
  return out;
}

/**
 * The largest --worker-cpu (whole millicores) with which a need's cpu fits:
 * what is left of the allocatable after the other pods, shared by the worker
 * pods; null when no value would do (or cpu is not known).
 */
export function fittingWorkerCpuMilli(need: CapacityNeed, cap: ClusterCapacity): number | null {
  if (cap.cpuMilli === null) return null;
  const workers = need.groups.filter((g) => g.worker).reduce((s, g) => s + g.count, 0);
  const others = need.groups.filter((g) => !g.worker).reduce((s, g) => s + g.count * g.requests.cpuMilli, 0);
  if (workers === 0) return null;
  const each = Math.floor((cap.cpuMilli - others) / workers);
  const perNode = cap.nodeCpuMilli ?? Number.POSITIVE_INFINITY;
  const m = Math.min(each, Math.floor(perNode));
  return m >= 1 ? m : null;
}

/** One line saying what the cluster offers, for the launcher's log. */
export function capacityText(cap: ClusterCapacity): string {
  const parts = [cap.cpuMilli === null ? null : `${cpuText(cap.cpuMilli)} cpu`, cap.memoryMiB === null ? null : `${memoryText(cap.memoryMiB)} memory`, cap.pods === null ? null : `${cap.pods} pods`].filter((p) => p !== null);
  return `${cap.nodes} schedulable node(s), ${parts.length === 0 ? 'allocatable not reported' : `${parts.join(', ')} allocatable`}`;
}

/**
 * The most worker pods a need could run at once with its worker pods'
 * requests (its first worker group's) beside its other pods, by every known
 * resource: the largest k a calibration sweep may ask for; null when the
 * need has no worker pods or nothing is known.
 */
export function fittingWorkerCount(need: CapacityNeed, cap: ClusterCapacity): number | null {
  const worker = need.groups.find((g) => g.worker);
  if (worker === undefined) return null;
  const others = need.groups.filter((g) => !g.worker);
  const limits: number[] = [];
  const room = (total: number | null, of: (r: PodRequests) => number): void => {
    if (total === null || !(of(worker.requests) > 0)) return;
    limits.push(Math.floor((total - others.reduce((s, g) => s + g.count * of(g.requests), 0)) / of(worker.requests)));
  };
  room(cap.cpuMilli, (r) => r.cpuMilli);
  room(cap.memoryMiB, (r) => r.memoryMiB);
  if (cap.pods !== null) limits.push(cap.pods - others.reduce((s, g) => s + g.count, 0));
  if (cap.nodeCpuMilli !== null && worker.requests.cpuMilli > cap.nodeCpuMilli) limits.push(0);
  if (cap.nodeMemoryMiB !== null && worker.requests.memoryMiB > cap.nodeMemoryMiB) limits.push(0);
  return limits.length === 0 ? null : Math.max(0, Math.min(...limits));
}
