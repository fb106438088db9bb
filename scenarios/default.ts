import type { CostModel, PolicySet, Scenario } from './scenario.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Cost profile "substrate-kind-small-agent": a small agent (64 MiB snapshot)
 * on Agent Substrate with gVisor. Public figures it is fitted to:
 * - restore of a small agent about 0.2-0.3 s, about 0.8 s end to end on kind,
 *   5-6 s end to end on small cloud nodes (Agent Substrate's published
 *   measurements, summarised in shared/DESIGN.md; the kind walkthrough
 *   "Suspend & Resume Stateful Agents: kagent on Agent Substrate with kind"
 *   reports sub-second resume);
 * - a PAUSED actor keeps its snapshot on the node and resumes faster than a
 *   SUSPENDED one whose snapshot crosses the NIC to object storage
 *   (agent-substrate/substrate issue #119, the actor state machine);
 * - a gVisor worker pod takes a few seconds from creation to Ready (image
 *   present, runsc sandbox set-up), so median 3 s with a tail to 8 s.
 * The split of a restore into a fixed part and a bandwidth part is ours:
 * 150 ms + 64 MiB at 640 MiB/s = 250 ms median for an external resume.
 */
export const SUBSTRATE_KIND_SMALL_AGENT: CostModel = {
  name: 'substrate-kind-small-agent',
  source: 'Agent Substrate published restore figures (0.2-0.3 s small agents, ~0.8 s on kind); substrate issue #119; gVisor pod start of a few seconds',
  workerStart: { kind: 'lognormal', medianMs: 3000, p99Ms: 8000 },
  // A cold boot starts the agent process and its framework from nothing.
  coldBoot: { kind: 'lognormal', medianMs: 1500, p99Ms: 5000 },
  restore: {
    external: { base: { kind: 'lognormal', medianMs: 150, p99Ms: 500 }, mibPerSec: 640 },
    local: { base: { kind: 'lognormal', medianMs: 60, p99Ms: 200 }, mibPerSec: 2000 },
    golden: { base: { kind: 'lognormal', medianMs: 80, p99Ms: 250 }, mibPerSec: 2000 },
  },
  checkpoint: {
    external: { base: { kind: 'lognormal', medianMs: 100, p99Ms: 400 }, mibPerSec: 400 },
    local: { base: { kind: 'lognormal', medianMs: 40, p99Ms: 150 }, mibPerSec: 1500 },
  },
  dispatch: { kind: 'constant', valueMs: 5 },
};

const ADMISSION = { parkTimeoutMs: 5_000, maxParked: 2_048 } as const; // Substrate's later router: park up to 5 s, at most 2,048

// Worker memory = actors it hosts x 256 MiB + 256 MiB for the sandbox and its agent runtime, in both pool modes.
const SHARED_POOL = { mode: 'shared', replicas: 24, actorSlots: 4, workerMemoryMiB: 4 * 256 + 256 } as const;
const DEDICATED_MEMORY_MIB = 256 + 256;

const POLICIES: readonly PolicySet[] = [
  {
    name: 'dedicated-always-on',
    pools: { agents: { mode: 'dedicated', replicas: 0, actorSlots: 1, workerMemoryMiB: DEDICATED_MEMORY_MIB, dedicated: { variant: 'always-on', idleStopMs: 0 } } },
    placement: 'random',
    idle: { kind: 'never' },
    admission: ADMISSION,
    eviction: 'none',
    maxAttempts: 3,
  },
  {
    name: 'dedicated-scale-to-zero',
    pools: {
      agents: { mode: 'dedicated', replicas: 0, actorSlots: 1, workerMemoryMiB: DEDICATED_MEMORY_MIB, dedicated: { variant: 'scale-to-zero', idleStopMs: 5 * MINUTE_MS } },
    },
    placement: 'random',
    idle: { kind: 'never' },
    admission: { parkTimeoutMs: 60_000, maxParked: 2_048 },
    eviction: 'none',
    maxAttempts: 3,
  },
  {
    name: 'shared-random-ttl-suspend',
    pools: { agents: SHARED_POOL },
    placement: 'random',
    idle: { kind: 'ttl', ttlMs: 2 * MINUTE_MS, action: 'suspend' },
    admission: ADMISSION,
    eviction: 'lru',
    maxAttempts: 3,
  },
  {
    name: 'shared-p2c-ttl-pause',
    pools: { agents: SHARED_POOL },
    placement: 'p2c',
    idle: { kind: 'ttl', ttlMs: 2 * MINUTE_MS, action: 'pause' },
    admission: ADMISSION,
    eviction: 'lru',
    maxAttempts: 3,
  },
];

/**
 * The built-in scenario `npm run simulate` runs with no arguments: 2,000
 * mostly idle agents over a simulated day, arriving as agent sessions with a
 * day/night swing, on one pod per agent (always on, or scale to zero) and on
 * a shared pool of 24 workers with suspend or pause.
 */
export const DEFAULT_SCENARIO: Scenario = {
  name: 'default-fleet-2000',
  description: '2,000 mostly idle agents for 24 h: one pod per agent vs a shared pool with suspend/resume',
  seed: 1,
  durationMs: DAY_MS,
  // 48 nodes of 32 GiB: enough for 2,000 dedicated 512 MiB pods (1,000 GiB) so the baseline is not capacity-bound.
  nodes: Array.from({ length: 48 }, (_, i) => ({ name: `node-${String(i).padStart(2, '0')}`, memoryMiB: 32 * 1024 })),
  templates: [
    {
      name: 'agent',
      pool: 'agents',
      memoryMiB: 256,
      snapshotMiB: 64,
      golden: true,
      // One turn of an agent: a tool call or model round-trip, median 2 s with a long tail.
      work: { kind: 'lognormal', medianMs: 2_000, p99Ms: 20_000 },
    },
  ],
  workload: {
    kind: 'sessions',
    actors: 2_000,
    template: 'agent',
    // Median agent opens 3 sessions a day; sigma 1 spreads it from well under one to a few dozen.
    sessionsPerDay: { median: 3, sigma: 1 },
    peakToTrough: 4,
    periodMs: DAY_MS,
    peakAtMs: 14 * HOUR_MS,
    meanExtraTurns: 4,
    think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
  },
  costs: SUBSTRATE_KIND_SMALL_AGENT,
  policies: POLICIES,
};
