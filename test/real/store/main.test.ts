import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../../../real/store/client.ts';
import { REPO, removeTempDirs, spawnReady, tempDir } from '../helpers.ts';

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

  it('exits 2 with the usage when the token or the directory is missing', () => {
    const tsx = join(REPO, 'node_modules/.bin/tsx');
    const noToken = spawnSync(tsx, ['real/store/main.ts', '--dir', tempDir('store-main')], { cwd: REPO, env: { ...process.env, ACTORSIM_TOKEN: '' }, encoding: 'utf8' });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('ACTORSIM_TOKEN is not set');
    const noDir = spawnSync(tsx, ['real/store/main.ts'], { cwd: REPO, env: { ...process.env, ACTORSIM_TOKEN: 't', ACTORSIM_STORE_DIR: '' }, encoding: 'utf8' });
    expect(noDir.status).toBe(2);
  });
});
