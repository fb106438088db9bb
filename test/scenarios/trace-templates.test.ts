import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { TraceError } from '../../scenarios/traces/errors.ts';
import { importNativeTrace } from '../../scenarios/traces/native.ts';
import { generateWorkload, materialise, openWorkload } from '../../scenarios/workload.ts';
import { scratchDir, writeNative } from './traces/files.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

const kagent = (): Scenario => loadScenarioFile(new URL('../../scenarios/kagent-six-agents.yaml', import.meta.url).pathname);

describe('a native trace’s template column', () => {
  it('gives each actor the template its rows name, the group’s template to the others', async () => {
    const trace = dir.path('templates.csv');
    await writeNative(
      trace,
      [
        ['a', 0, 5, 'helm-agent'],
        ['b', 10, 5, ''],
        ['c', 20, 5, 'promql-agent'],
        ['a', 30, 5, 'helm-agent'],
      ],
      true,
    );
    const base = kagent();
    const scenario: Scenario = {
      ...base,
      workload: [{ kind: 'trace', trace: { format: 'native', files: [trace], template: 'k8s-agent', actorBy: 'function', spread: 'uniform', compression: 1 } }],
    };
    for (const w of [await generateWorkload(scenario, 1), materialise(await openWorkload(scenario, 1))]) {
      expect(w.actorNames).toEqual(['a', 'b', 'c']);
      expect(w.actorTemplates).toEqual(['helm-agent', 'k8s-agent', 'promql-agent']);
      expect([...w.actor]).toEqual([0, 1, 2, 0]);
    }
  });

  it('refuses a template the scenario does not define, at file:line:col', async () => {
    const trace = dir.path('unknown.csv');
    await writeFile(trace, 'actor,arrival_ms,work_ms,template\na,0,5,helm-agent\n"b,1",10,5,helm-agnet\n');
    const base = kagent();
    const scenario: Scenario = {
      ...base,
      workload: [{ kind: 'trace', trace: { format: 'native', files: [trace], template: 'k8s-agent', actorBy: 'function', spread: 'uniform', compression: 1 } }],
    };
    const err = await generateWorkload(scenario, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    // Line 3, the field after `"b,1",10,5,` (a quoted comma is not a delimiter): column 12.
    expect((err as TraceError).message).toBe(
      `${trace}:3:12: column 4 ("template"): unknown template "helm-agnet" (known: k8s-agent, helm-agent, istio-agent, observability-agent, promql-agent, argo-rollouts-agent)`,
    );
    expect((err as TraceError).column).toBe(12);
    await expect(openWorkload(scenario, 1)).rejects.toThrow(`${trace}:3:12: column 4`);
  });

  it('checks rows outside the sample and the window too, and accepts any template without a list', async () => {
    const trace = dir.path('late.csv');
    await writeNative(trace, [['a', 0, 5, 'x'], ['b', 9_000, 5, 'typo']], true);
    await expect(importNativeTrace({ files: [trace], templates: ['x'], window: { startMs: 0, endMs: 1000 } })).rejects.toThrow(`${trace}:3:10: column 4 ("template"): unknown template "typo" (known: x)`);
    const any = await importNativeTrace({ files: [trace] });
    expect(any.workload.actorTemplates).toEqual(['x', 'typo']);
  });
});
