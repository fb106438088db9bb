import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';

const DIR = 'scenarios';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('shipped scenarios', () => {
  it('are all here', () => {
    expect(files).toContain('default.yaml');
    expect(files).toContain('policy-study.yaml');
    expect(files).toContain('kagent-six-agents-manifests.yaml');
  });

  // The run ends with an answer only when there is an SLO, and the reader needs the question it answers.
  it.each(files)('%s states its question and an SLO, and loads', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const head = text.split('\n').filter((l) => l.startsWith('#')).slice(0, 12).join('\n');
    expect(head).toMatch(/Question:/);
    const scenario = loadScenarioFile(join(DIR, file));
    expect(scenario.slo).toBeDefined();
  });

  it('policy-study covers every placement, idle policy and scaling policy, and both dedicated variants', () => {
    const s = loadScenarioFile(join(DIR, 'policy-study.yaml'));
    const shared = s.policies.filter((p) => Object.values(p.pools).every((x) => x.mode === 'shared'));
    expect(new Set(shared.map((p) => p.placement))).toEqual(new Set(['random', 'p2c', 'least-loaded', 'binpack', 'locality']));
    expect(new Set(shared.map((p) => p.idle.kind))).toEqual(new Set(['ttl', 'immediate', 'hybrid-histogram']));
    expect(new Set(shared.map((p) => p.scaling?.kind ?? 'static'))).toEqual(new Set(['static', 'target-utilization', 'parking', 'scale-to-zero']));
    const dedicated = s.policies.flatMap((p) => Object.values(p.pools).filter((x) => x.mode === 'dedicated').map((x) => x.dedicated?.variant));
    expect(new Set(dedicated)).toEqual(new Set(['always-on', 'scale-to-zero']));
    expect(s.prices).toEqual({ workerHour: 0.05, gibHour: 0.005 });
  });
});
