import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';

afterAll(removeTempDirs);

// Through the command line, as a user runs it: the two files must give the same summary.csv byte for byte.
const tsx = join('node_modules', '.bin', 'tsx');

function summaryOf(scenario: string): string {
  const out = join(tempDir('kagent-'), 'report');
  const r = spawnSync(tsx, ['sim/cli.ts', '--scenario', scenario, '--jobs', '1', '--out', out], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
  return readFileSync(join(out, 'summary.csv'), 'utf8');
}

describe('kagent-six-agents as Substrate manifests', () => {
  it('gives the same summary.csv as the plain scenario', () => {
    const plain = summaryOf('scenarios/kagent-six-agents.yaml');
    const manifests = summaryOf('scenarios/kagent-six-agents-manifests.yaml');
    // Not a vacuous match: three policy sets, every invocation of the day served or rejected.
    const lines = plain.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.split(',')[0])).toEqual(['policy', 'replicas-1', 'replicas-2', 'replicas-3']);
    expect(Number(lines[1]!.split(',')[1])).toBeGreaterThan(50);
    expect(manifests).toBe(plain);
  });
});
