import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { repoFile } from '../../cli/repo.ts';
import type { DistributionSpec } from '../../scenarios/distributions.ts';
import type { PolicySet, Scenario } from '../../scenarios/scenario.ts';
import type { Workload } from '../../scenarios/workload.ts';
import type { SummaryRow } from '../../reports/summary.ts';

/**
 * The optional SimPy peer of issue 15 (sim/peer/fleet_simpy.py): an
 * independent model of scenarios/fleet-scaling.yaml's fleet, fed the same
 * traffic as the simulator, so that `npm run bench:sim` can time both on the
 * same machine in the same run and check that they describe the same system.
 */

/** The Python script of the peer. */
export const PEER_SCRIPT = repoFile('sim', 'peer', 'fleet_simpy.py');

/** The parameters the peer models, taken from the scenario rather than repeated. */
export interface PeerParams {
  readonly actors: number;
  readonly workers: number;
  readonly resumeMs: number;
  readonly checkpointMs: number;
  readonly ttlMs: number;
  readonly parkTimeoutMs: number;
  readonly maxParked: number;
}

/** What the peer prints (sim/peer/fleet_simpy.py). */
export interface PeerFigures {
  readonly simpy: string;
  readonly python: string;
  readonly invocations: number;
  readonly served: number;
  readonly rejected: number;
  readonly warm: number;
  /** The first resume of an actor (the template's golden snapshot). */
  readonly firstResume: number;
  /** Every later resume (the copy the actor's node kept). */
  readonly laterResume: number;
  readonly evictions: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly overheadP99Ms: number;
  readonly endMs: number;
  /** The simulation alone, without reading the trace or starting Python: the median over `runs`. */
  readonly wallMs: number;
  /** Runs of the model, each from a fresh environment (the outcomes are the same every time). */
  readonly runs: number;
}

/** One figure of both models side by side. */
export interface Agreement {
  readonly figure: string;
  readonly simulator: number;
  readonly peer: number;
  /** |simulator - peer| / max(|simulator|, 1). */
  readonly relative: number;
  readonly ok: boolean;
}

/**
 * How far the two models may differ on any compared figure. They see the same
 * arrivals and work and constant costs; what they may still do differently is
 * break ties between events at the same instant, which with continuous
 * arrival and work times is rare (issue 15 saw 0.03%).
 */
export const PEER_TOLERANCE = 0.005;

function constantMs(d: DistributionSpec, what: string): number {
  if (d.kind !== 'constant') throw new Error(`the SimPy peer models constant costs only; ${what} is ${d.kind}`);
  return d.valueMs;
}

/**
 * The peer's parameters for one policy set of a fleet-scaling-like scenario,
 * or an error naming what the peer does not model (it models one shared pool
 * of one-slot workers on one node, a TTL that suspends, LRU eviction,
 * constant costs and zero-byte snapshots).
 */
export function peerParams(scenario: Scenario, policy: PolicySet, actors: number): PeerParams {
  const problems: string[] = [];
  if (scenario.pools.length !== 1) problems.push('one pool');
  const pool = scenario.pools[0]!;
  const spec = policy.pools[pool.name];
  if (spec === undefined || spec.mode !== 'shared' || spec.actorSlots !== 1) problems.push('one-slot shared workers');
  if (scenario.templates.some((t) => t.snapshotMiB !== 0 || !t.golden)) problems.push('zero-byte golden snapshots');
  if (policy.idle.kind !== 'ttl' || policy.idle.action !== 'suspend') problems.push('a TTL that suspends');
  if (policy.eviction !== 'lru') problems.push('LRU eviction');
  if (policy.scaling !== undefined && policy.scaling.kind !== 'static') problems.push('static replicas');
  const c = scenario.costs;
  const resumeMs = constantMs(c.restore.local.base, 'restore.local');
  for (const [what, d] of [['coldBoot', c.coldBoot], ['restore.golden', c.restore.golden.base], ['restore.external', c.restore.external.base]] as const) {
    if (constantMs(d, what) !== resumeMs) problems.push(`${what} equal to restore.local`);
  }
  if (constantMs(c.workerStart, 'workerStart') !== 0 || constantMs(c.dispatch, 'dispatch') !== 0) problems.push('no worker start or dispatch delay');
  const checkpointMs = constantMs(c.checkpoint.external.base, 'checkpoint.external');
  if (problems.length > 0) throw new Error(`${scenario.name} / ${policy.name}: the SimPy peer models ${problems.join(', ')}`);
  return {
    actors,
    workers: spec!.mode === 'shared' ? spec!.replicas : 0,
    resumeMs,
    checkpointMs,
    ttlMs: policy.idle.kind === 'ttl' ? policy.idle.ttlMs : 0,
    parkTimeoutMs: policy.admission.parkTimeoutMs,
    maxParked: policy.admission.maxParked,
  };
}

/**
 * The traffic as the peer reads it: n float64 arrival times, n int32 actor
 * indexes, n float64 work times (ms), little-endian.
 */
export function traceBytes(w: Workload): Buffer {
  const n = w.arrivalMs.length;
  const out = Buffer.alloc(20 * n);
  for (let i = 0; i < n; i++) {
    out.writeDoubleLE(w.arrivalMs[i]!, 8 * i);
    out.writeInt32LE(w.actor[i]!, 8 * n + 4 * i);
    out.writeDoubleLE(w.workMs[i]!, 12 * n + 8 * i);
  }
  return out;
}

export function writeTrace(w: Workload, file: string): void {
  writeFileSync(file, traceBytes(w));
}

/**
 * A Python that imports simpy, or null. ACTORSIM_PYTHON first when set
 * ("none" turns the peer off); then python3 on PATH (often a pyenv shim with
 * its own packages) and Debian's /usr/bin/python3, where python3-simpy3 goes.
 */
export function simpyPython(env: NodeJS.ProcessEnv = process.env): string | null {
  const forced = env.ACTORSIM_PYTHON;
  if (forced === 'none') return null;
  const candidates = forced !== undefined && forced !== '' ? [forced] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import simpy'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return python;
  }
  return null;
}

/** Runs the peer on a trace file; throws with its stderr when it fails. */
export function runSimpyPeer(python: string, traceFile: string, p: PeerParams, runs = 1): PeerFigures {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runSimpyPeer: runs must be a positive integer, got ${runs}`);
  const args = [
    PEER_SCRIPT,
    traceFile,
    `--actors=${p.actors}`,
    `--workers=${p.workers}`,
    `--resume-ms=${p.resumeMs}`,
    `--checkpoint-ms=${p.checkpointMs}`,
    `--ttl-ms=${p.ttlMs}`,
    `--park-timeout-ms=${Number.isFinite(p.parkTimeoutMs) ? p.parkTimeoutMs : 1e300}`,
    `--max-parked=${p.maxParked}`,
    `--runs=${runs}`,
  ];
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`SimPy peer (${python}) exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as PeerFigures;
}

/** The figures both models give, compared within PEER_TOLERANCE. */
export function agreement(sim: SummaryRow, peer: PeerFigures, tolerance = PEER_TOLERANCE): Agreement[] {
  const pairs: [string, number, number][] = [
    ['served', Number(sim.served), peer.served],
    ['rejected', Number(sim.rejected), peer.rejected],
    ['warm', Number(sim.warm), peer.warm],
    ['first resume (golden)', Number(sim.golden), peer.firstResume],
    ['later resume (resume-local)', Number(sim.resume_local), peer.laterResume],
    ['evictions', Number(sim.evictions), peer.evictions],
    ['p50 ms', Number(sim.p50_ms), peer.p50Ms],
    ['p99 ms', Number(sim.p99_ms), peer.p99Ms],
    ['overhead p99 ms', Number(sim.overhead_p99_ms), peer.overheadP99Ms],
  ];
  return pairs.map(([figure, s, q]) => {
    const relative = Math.abs(s - q) / Math.max(Math.abs(s), 1);
    return { figure, simulator: s, peer: q, relative, ok: relative <= tolerance };
  });
}
