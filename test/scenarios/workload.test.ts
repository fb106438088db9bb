import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { generateWorkload, materialise, MATERIALISE_LIMIT, openWorkload, workloadFor, workloadSize, type Workload } from '../../scenarios/workload.ts';
import { scratchDir, writeNative } from './traces/files.ts';

const HOUR_MS = 3_600_000;
const REFERENCE = ['default', 'fleet-2000', 'azure-like', 'kagent-six-agents', 'thundering-herd', 'small'];

/** Equal bit for bit (-0 is not 0). */
function expectSameWorkload(got: Workload, want: Workload): void {
  expect(got.actorNames).toEqual(want.actorNames);
  expect(got.actorTemplates).toEqual(want.actorTemplates);
  expect(got.arrivalMs.length).toBe(want.arrivalMs.length);
  expect(Buffer.from(got.arrivalMs.buffer).equals(Buffer.from(want.arrivalMs.buffer))).toBe(true);
  expect(Buffer.from(got.actor.buffer).equals(Buffer.from(want.actor.buffer))).toBe(true);
  expect(Buffer.from(got.workMs.buffer).equals(Buffer.from(want.workMs.buffer))).toBe(true);
}

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

describe('streamed workload', () => {
  for (const name of REFERENCE) {
    it(`holds exactly generateWorkload's invocations: ${name}.yaml`, async () => {
      const scenario = loadScenarioFile(new URL(`../../scenarios/${name}.yaml`, import.meta.url).pathname);
      for (const seed of [scenario.seed, 99]) {
        const want = await generateWorkload(scenario, seed);
        const stream = await openWorkload(scenario, seed);
        expect(stream.size).toBe(want.arrivalMs.length);
        expectSameWorkload(materialise(stream), want);
        // A second read is the same (each policy set opens its own cursor).
        expectSameWorkload(materialise(stream), want);
      }
    });
  }

  it('merges groups as the stable sort did: shared actors, several templates, a trace', async () => {
    const base = loadScenarioFile(new URL('../../scenarios/kagent-six-agents.yaml', import.meta.url).pathname);
    const trace = dir.path('mixed.csv');
    // Arrivals on round times tie with each other and with the synchronized group.
    await writeNative(trace, [
      ['x', 0, 5],
      ['agent-1', 600_000, 7],
      ['x', 600_000, 1],
      ['y', 7_200_000, 2],
      ['x', 99 * HOUR_MS, 3],
    ]);
    const [first, second] = base.templates;
    const scenario: Scenario = {
      ...base,
      durationMs: 3 * HOUR_MS,
      workload: [
        { kind: 'model', template: first!.name, actors: 30, arrivals: { kind: 'poisson', ratePerSec: 0.05, perActor: false } },
        // Same template and names as the group above: the same actors.
        { kind: 'model', template: first!.name, actors: 40, arrivals: { kind: 'synchronized', atMs: 600_000, windowMs: 0, spread: 'uniform', repeatEveryMs: HOUR_MS } },
        { kind: 'model', template: second!.name, actors: 50, arrivals: { kind: 'heavy-tailed', medianRatePerHour: 2, sigma: 1.5, maxRatePerHour: 60 } },
        {
          kind: 'trace',
          trace: { format: 'native', files: [trace], template: second!.name, actorBy: 'function', spread: 'uniform', compression: 1 },
        },
      ],
    };
    const want = await generateWorkload(scenario, 5);
    const stream = await openWorkload(scenario, 5);
    expect(want.arrivalMs.length).toBeGreaterThan(500);
    expectSameWorkload(materialise(stream), want);
  });

  it('is held as columns when small, streamed when large', async () => {
    const scenario = loadScenarioFile(new URL('../../scenarios/small.yaml', import.meta.url).pathname);
    const w = await workloadFor(scenario, scenario.seed);
    expect('open' in w).toBe(false);
    expect(workloadSize(w)).toBeLessThan(MATERIALISE_LIMIT);
    const million = loadScenarioFile(new URL('../../scenarios/million.yaml', import.meta.url).pathname);
    // Six simulated hours of the million-actor day: about 14 million invocations, never held.
    const big = await workloadFor({ ...million, durationMs: 6 * HOUR_MS }, million.seed);
    expect('open' in big).toBe(true);
    expect(workloadSize(big)).toBeGreaterThan(MATERIALISE_LIMIT);
  }, 120_000);
});
