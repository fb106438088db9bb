import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantMinter } from '../../../real/store/grants.ts';
import { WorkerClient, WorkerError } from '../../../real/worker/client.ts';
import { removeTempDirs, spawnReady, stopChild, tempDir, type ReadyChild } from '../helpers.ts';

// How long a worker lets one read of the store take: 60 s unless
// --store-timeout-ms or ACTORSIM_STORE_TIMEOUT_MS says otherwise (the k8s
// runtime sets the variable in a worker pod; calibrate's 10-minute wait for a
// primitive must not end at the worker's 60 s). A store that never answers
// shows which budget the worker used: its error names it.
const grants = new GrantMinter('timeout-store-secret');

describe('worker: the store timeout', () => {
  let silent: Server;
  let silentUrl: string;
  const children: ReadyChild[] = [];

  beforeAll(async () => {
    // Accepts every request and never answers it.
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => stopChild(c.child)));
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
    removeTempDirs();
  });

  async function readFromSilentStore(env: Record<string, string>, args: string[] = []): Promise<WorkerError> {
    const worker = await spawnReady('real/worker/main.ts', ['--store-url', silentUrl, '--node-dir', tempDir('wtimeout-node'), ...args], { ACTORSIM_TOKEN: 't', ...env });
    children.push(worker);
    const client = new WorkerClient({ url: worker.url, token: 't' });
    const err = await client.restore('a', { template: 'agent', memoryMiB: 1, source: 'external', version: 0, storeGrant: grants.mint('r', 'actors/a') }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerError);
    return err as WorkerError;
  }

  it('takes ACTORSIM_STORE_TIMEOUT_MS from the environment, as a worker pod gets it', async () => {
    const err = await readFromSilentStore({ ACTORSIM_STORE_TIMEOUT_MS: '300' });
    expect(err).toMatchObject({ status: 503, code: 'store-failed' });
    expect(err.message).toContain('timed out after 300 ms');
  });

  it('prefers the flag to the variable', async () => {
    const err = await readFromSilentStore({ ACTORSIM_STORE_TIMEOUT_MS: '90000' }, ['--store-timeout-ms', '250']);
    expect(err.message).toContain('timed out after 250 ms');
  });

  it('refuses a variable that is not a whole number of milliseconds', async () => {
    await expect(spawnReady('real/worker/main.ts', ['--store-url', silentUrl, '--node-dir', tempDir('wtimeout-bad')], { ACTORSIM_TOKEN: 't', ACTORSIM_STORE_TIMEOUT_MS: '1m' })).rejects.toThrow(/bad --store-timeout-ms 1m/);
  });
});
