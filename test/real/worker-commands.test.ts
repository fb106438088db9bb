import { describe, expect, it } from 'vitest';
import { GrantMinter, GrantVerifier, type StoreGrant } from '../../real/store/grants.ts';
import type { WorkerClient } from '../../real/worker/client.ts';
import { runWorkerRequest, type WorkerRequestCommand } from '../../real/worker-commands.ts';

const SECRET = 'worker-commands-store-secret';

/** Runs `cmd` with a runtime that sends its request `attempts` times; the grants each attempt carried. */
function grantsSent(cmd: WorkerRequestCommand, attempts: number): (StoreGrant | undefined)[] {
  const verifier = new GrantVerifier(SECRET);
  const sent: (StoreGrant | undefined)[] = [];
  const record = (_actor: string, body: { storeGrant?: string }): Promise<unknown> => {
    const grant = body.storeGrant === undefined ? undefined : verifier.verify(body.storeGrant);
    if (typeof grant === 'string') throw new Error(`a grant that does not verify: ${grant}`);
    sent.push(grant);
    return Promise.resolve({});
  };
  const client = { restore: record, checkpoint: record } as unknown as WorkerClient;
  runWorkerRequest(cmd, {
    runtime: 'test',
    // A runtime that retries by calling the request function again, as one might after a dropped connection.
    call: (_worker, request) => {
      for (let i = 0; i < attempts; i++) void request(client);
    },
    emit: () => {},
    templateMemoryMiB: { t: 1 },
    execMode: 'sleep',
    grants: new GrantMinter(SECRET),
  });
  return sent;
}

describe('store grants of worker requests', () => {
  const restore = (source: 'cold' | 'golden' | 'external' | 'local'): WorkerRequestCommand => ({ kind: 'restore', op: 1, actor: 'a', actorIndex: 0, snapshotBytes: 0, template: 't', worker: 1, source, version: 0 });

  it('mints a fresh grant for every request sent, retries included, scoped to the one key', () => {
    for (const [cmd, ops, key] of [
      [restore('external'), 'r', 'actors/a'],
      [restore('local'), 'r', 'actors/a'],
      [restore('golden'), 'rw', 'golden/t'],
      [{ kind: 'checkpoint', op: 2, actor: 'a', actorIndex: 0, worker: 1, target: 'external', version: 0, snapshotBytes: 0 }, 'w', 'actors/a'],
    ] as const) {
      const sent = grantsSent(cmd, 3);
      expect(sent.map((g) => g && { ops: g.ops, key: g.key })).toEqual(Array.from({ length: 3 }, () => ({ ops, key })));
      expect(new Set(sent.map((g) => g?.id)).size).toBe(3);
    }
  });

  it('sends no grant where the store is not touched', () => {
    expect(grantsSent(restore('cold'), 2)).toEqual([undefined, undefined]);
    expect(grantsSent({ kind: 'checkpoint', op: 2, actor: 'a', actorIndex: 0, worker: 1, target: 'local', version: 0, snapshotBytes: 0 }, 1)).toEqual([undefined]);
  });
});
