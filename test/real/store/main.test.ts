import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../../../real/store/client.ts';
import { REPO, removeTempDirs, spawnReady, tempDir } from '../helpers.ts';
import { WAIT_CEILING_MS } from '../../helpers/wait.ts';

describe('store main', () => {
  afterAll(removeTempDirs);

  it('prints READY <url>, serves, and exits 0 on SIGTERM', async () => {
    const store = await spawnReady('real/store/main.ts', ['--dir', tempDir('store-main'), '--port', '0'], { ACTORSIM_TOKEN: 'main-token' });
    try {
      expect(store.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new StoreClient({ url: store.url, token: 'main-token' });
      await client.put('golden/agent', Buffer.from('golden'));
      expect((await client.get('golden/agent'))?.toString()).toBe('golden');
    } finally {
      store.child.kill('SIGTERM');
    }
    expect(await store.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 2 with the usage when the token or the directory is missing, or the cap on used grants is bad', () => {
    // Node itself, not the tsx wrapper: should a regression let the store start, the ceiling's kill stops the store.
    const store = (args: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'real/store/main.ts', ...args], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8', timeout: WAIT_CEILING_MS, killSignal: 'SIGKILL' });
    const noToken = store(['--dir', tempDir('store-main')], { ACTORSIM_TOKEN: '' });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('ACTORSIM_TOKEN is not set');
    const noDir = store([], { ACTORSIM_TOKEN: 't', ACTORSIM_STORE_DIR: '' });
    expect(noDir.status).toBe(2);
    const badCap = store(['--dir', tempDir('store-main'), '--max-used-grants', '0'], { ACTORSIM_TOKEN: 't' });
    expect(badCap.status).toBe(2);
    expect(badCap.stderr).toContain('bad --max-used-grants');
  });
});
