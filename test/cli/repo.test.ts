import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILED, REPO_ROOT, entryArgs, entryModule, repoFile } from '../../cli/repo.ts';

describe('cli/repo', () => {
  it('finds the repository root from the sources, and the data files in it', () => {
    expect(COMPILED).toBe(false);
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(repoFile('scenarios', 'default.yaml'))).toBe(true);
  });

  it('runs an entry point from its source with tsx when not compiled', () => {
    expect(entryModule('real/worker/main.ts')).toBe(join(REPO_ROOT, 'real/worker/main.ts'));
    expect(entryArgs('real/worker/main.ts')).toEqual(['--import', 'tsx', join(REPO_ROOT, 'real/worker/main.ts')]);
  });
});
