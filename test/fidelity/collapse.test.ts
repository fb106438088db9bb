import { describe, expect, it } from 'vitest';
import { cleanCollapse } from '../../fidelity/main.ts';

// A real run that served none of a policy set's invocations exits 1 (bench:cluster), but when that is
// all that went wrong it measured a collapse, which fidelity compares (2026-12-07 22:53: gVisor pods
// limited to 200m served 0 of fleet-2000's 258 peak invocations, and so did the simulation).
const policy = (over: Record<string, unknown> = {}) => ({
  name: 'shared-8',
  partial: false,
  invocations: { planned: 258, arrived: 258, served: 0, rejected: 258 },
  workers: { lost: 0, neverReady: 0, lostWorkers: [] },
  storeLost: null,
  counterCheck: { rolledBack: 0, actorsRolledBack: 0, residentChecked: 0, mismatchCount: 0, mismatches: [] },
  ...over,
});
const run = (policies: unknown[], over: Record<string, unknown> = {}): unknown => ({ kind: 'bench', partial: false, failed: true, failures: ['shared-8: served none of its 258 invocations (...)'], policies, ...over });

describe('cleanCollapse', () => {
  it('names the policy sets a whole, clean run served none of', () => {
    expect(cleanCollapse(run([policy()]))).toEqual(['shared-8']);
    const served = policy({ name: 'shared-16', invocations: { planned: 258, served: 200 } });
    expect(cleanCollapse(run([policy(), served]))).toEqual(['shared-8']);
  });

  it('refuses any other failure: partial, a lost store, a worker never ready, counters that disagree, a failure line of another kind', () => {
    expect(cleanCollapse(run([policy()], { partial: true }))).toBeNull();
    expect(cleanCollapse(run([policy({ partial: true })]))).toBeNull();
    expect(cleanCollapse(run([policy({ storeLost: 'ECONNREFUSED' })]))).toBeNull();
    expect(cleanCollapse(run([policy({ workers: { lost: 2, neverReady: 2, lostWorkers: [] } })]))).toBeNull();
    expect(cleanCollapse(run([policy({ counterCheck: { mismatchCount: 1, mismatches: ['x'] } })]))).toBeNull();
    expect(cleanCollapse(run([policy()], { failures: ['shared-8: served none ...', 'shared-8: 1 actor(s) whose counters disagree'] }))).toBeNull();
    // Nothing failed, or nothing to read.
    expect(cleanCollapse(run([policy({ invocations: { planned: 258, served: 10 } })], { failed: false, failures: [] }))).toBeNull();
    expect(cleanCollapse(null)).toBeNull();
    expect(cleanCollapse('{not json')).toBeNull();
    // A policy set with no invocations planned served none of nothing: not a collapse.
    expect(cleanCollapse(run([policy({ invocations: { planned: 0, served: 0 } })]))).toBeNull();
  });
});
