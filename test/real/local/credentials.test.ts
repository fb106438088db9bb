import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../../real/local/runtime.ts';
import type { RuntimeEvent } from '../../../real/runtime.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { WAIT_CEILING_MS, waitFor } from '../../helpers/wait.ts';

const TOKEN = 'local-credentials-worker-token';

/** The environment of each child process of this one, by the entry point it runs (Linux /proc). */
function childEnvironments(): { entry: string; env: Map<string, string> }[] {
  const out: { entry: string; env: Map<string, string> }[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const entry = cmdline.find((a) => /real\/(worker|store)\/main\.(ts|js)$/.test(a));
      if (entry === undefined) continue;
      const env = new Map(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter((kv) => kv.includes('='))
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
      );
      out.push({ entry, env });
    } catch {
      // The process ended while being read: not ours to judge.
    }
  }
  return out;
}

afterAll(() => removeTempDirs());

describe.skipIf(process.platform !== 'linux')('local runtime credentials', () => {
  it("gives workers their API token and per-request grants, never the store's secret, and still moves actors through the store", async () => {
    // Even a store secret in the driver's own environment must not reach the workers.
    process.env.ACTORSIM_STORE_TOKEN = 'a-store-secret-in-the-drivers-env';
    const rt = await LocalRuntime.start({ workDir: tempDir('local-cred'), token: TOKEN, poolSlots: { p: 2 }, templateMemoryMiB: { t: 1 }, startTimeoutMs: WAIT_CEILING_MS });
    const events: RuntimeEvent[] = [];
    rt.attach((e) => events.push(e));
    try {
      rt.run({ kind: 'startWorker', worker: 1, pool: 'p', node: 'n', memoryMiB: 64 });
      rt.run({ kind: 'startWorker', worker: 2, pool: 'p', node: 'm', memoryMiB: 64 });
      await waitFor('two workers ready', () => events.filter((e) => e.kind === 'workerReady').length === 2);

      const children = childEnvironments();
      const store = children.filter((c) => c.entry.includes('store'));
      const workers = children.filter((c) => c.entry.includes('worker'));
      expect(store.length).toBe(1);
      expect(workers.length).toBe(2);
      const storeSecret = store[0]!.env.get('ACTORSIM_TOKEN')!;
      expect(storeSecret.length).toBeGreaterThan(16);
      expect(storeSecret).not.toBe(TOKEN);
      for (const w of workers) {
        expect(w.env.get('ACTORSIM_TOKEN')).toBe(TOKEN);
        expect(w.env.has('ACTORSIM_STORE_TOKEN')).toBe(false);
        expect([...w.env.values()]).not.toContain(storeSecret);
      }

      // Golden restore (reads and publishes golden/t), external checkpoint and a resume on the other node's worker.
      const done = (kind: RuntimeEvent['kind'], op: number) => waitFor(`${kind} ${op}`, () => events.find((e) => e.kind === kind && 'op' in e && e.op === op));
      const base = { actor: 'a', actorIndex: 0, snapshotBytes: 0, template: 't' } as const;
      rt.run({ kind: 'restore', op: 1, ...base, worker: 1, source: 'golden', version: 0 });
      expect(await done('restoreDone', 1)).toMatchObject({ ok: true });
      rt.run({ kind: 'checkpoint', op: 2, actor: 'a', actorIndex: 0, worker: 1, target: 'external', version: 0, snapshotBytes: 0 });
      expect(await done('checkpointDone', 2)).toMatchObject({ ok: true });
      rt.run({ kind: 'restore', op: 3, ...base, worker: 2, source: 'external', version: 0 });
      expect(await done('restoreDone', 3)).toMatchObject({ ok: true });
      rt.run({ kind: 'restore', op: 4, ...base, actor: 'b', actorIndex: 1, worker: 1, source: 'golden', version: 0 });
      expect(await done('restoreDone', 4)).toMatchObject({ ok: true });
    } finally {
      delete process.env.ACTORSIM_STORE_TOKEN;
      await rt.close();
    }
  });
});
