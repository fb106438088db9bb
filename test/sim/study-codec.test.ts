import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload } from '../../scenarios/workload.ts';
import { simulate } from '../../sim/runtime.ts';
import { decodeSimResult, encodeSimResult } from '../../sim/study-codec.ts';

describe('study codec', () => {
  it('a result survives encoding with every field, value and key order', async () => {
    const base = loadScenarioFile('scenarios/small.yaml');
    // No parking and two workers: some invocations are rejected (NaN start, a reason).
    const scenario = { ...base, durationMs: 30 * 60_000 };
    const policy = { ...scenario.policies[1]!, admission: { parkTimeoutMs: 0, maxParked: 0 }, pools: { agents: { ...scenario.policies[1]!.pools.agents!, replicas: 1, actorSlots: 1 } } };
    const workload = await generateWorkload(scenario, 3);
    const r = simulate(scenario, policy, workload, { seed: 3, sampleEveryMs: 60_000 });
    expect(r.replies.some((x) => x.outcome === 'rejected' && Number.isNaN(x.startMs))).toBe(true);
    expect(r.samples.length).toBeGreaterThan(10);
    const { message, transfer } = encodeSimResult(r);
    expect(transfer.every((b) => b instanceof ArrayBuffer)).toBe(true);
    // Through a real structured clone with the buffers transferred, as postMessage does.
    const back = decodeSimResult(structuredClone(message, { transfer }));
    expect(back).toEqual(r);
    expect(JSON.stringify(back)).toBe(JSON.stringify(r));
    expect(back.replies.map((x) => Object.is(x.startMs, Number.NaN))).toEqual(r.replies.map((x) => Object.is(x.startMs, Number.NaN)));
  });
});
