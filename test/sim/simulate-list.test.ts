import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO_FILE, listPolicySets, plainListArgs } from '../../sim/simulate-list.ts';
import { repoFile } from '../../cli/repo.ts';

describe('plainListArgs', () => {
  it('takes --list with at most --scenario and --allow-outside', () => {
    expect(plainListArgs(['--list'])).toEqual({ scenario: DEFAULT_SCENARIO_FILE, allowOutside: false });
    expect(plainListArgs(['--scenario', 'a.yaml', '--list'])).toEqual({ scenario: 'a.yaml', allowOutside: false });
    expect(plainListArgs(['--list', '--scenario=a.yaml', '--allow-outside'])).toEqual({ scenario: 'a.yaml', allowOutside: true });
  });

  it('leaves everything else to the full parser', () => {
    for (const argv of [[], ['--help'], ['--list', '--list'], ['--list', '--jobs', '2'], ['--list', '--scenario'], ['--scenario', '--list'], ['--list', '--scenario='], ['--list', 'x'], ['--scenario', 'a.yaml', '--scenario', 'b.yaml', '--list']]) {
      expect(plainListArgs(argv)).toBeNull();
    }
  });
});

describe('listPolicySets', () => {
  it('prints the policy sets of the scenario, one a line', async () => {
    let out = '';
    expect(await listPolicySets({ scenario: repoFile('scenarios', 'small.yaml'), allowOutside: false }, { out: (t) => (out += t) })).toBe(0);
    expect(out.split('\n').filter((l) => l.length > 0).length).toBeGreaterThan(1);
    expect(out.endsWith('\n')).toBe(true);
  });
});
