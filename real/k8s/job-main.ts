import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { StoreClient } from '../store/client.ts';
import { measureBench } from '../main.ts';
import { readJobBench } from './job-bench.ts';
import { encodeReport } from './report-stream.ts';
import { K8sRuntime, type K8sPoolShape } from './runtime.ts';

// The driver inside the cluster, as the Job runs it: bench.json in, the
// same measuring loop as the local backend against worker pods, the report
// out as marked lines of stdout (see report-stream.ts); progress on stderr.
// SIGTERM (the launcher deleting the run's namespace on Ctrl-C, or the Job's
// deadline) ends the run and still prints the partial report.
const USAGE = 'usage: node --import tsx real/k8s/job-main.ts --bench FILE\n  token from ACTORSIM_TOKEN, the store from ACTORSIM_STORE_URL; the API server from the pod\'s service account';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { bench: { type: 'string' } }, strict: true });
  if (values.bench === undefined) throw new Error(USAGE);
  const bench = readJobBench(values.bench);
  const token = process.env.ACTORSIM_TOKEN ?? '';
  const storeUrl = process.env.ACTORSIM_STORE_URL ?? '';
  if (token === '' || storeUrl === '') throw new Error(`ACTORSIM_TOKEN and ACTORSIM_STORE_URL must be set\n${USAGE}`);

  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      process.stderr.write(`driver: ${signal}: ending the run and printing a partial report\n`);
      controller.abort();
    });
  }
  const kc = new KubeConfig();
  // In the pod: the service account's token and the cluster's CA (KUBECONFIG, when set, wins: the tests' fake cluster).
  kc.loadFromDefault();

  await waitForStore(storeUrl, token, controller.signal);
  const { plan } = bench;
  const poolDefs = new Map(bench.scenario.pools.map((p) => [p.name, p]));
  const templateMemoryMiB = Object.fromEntries(bench.scenario.templates.map((t) => [t.name, t.memoryMiB]));
  const outcome = await measureBench(
    bench,
    {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      isoNow: () => new Date().toISOString(),
      signal: controller.signal,
    },
    {
      name: 'k8s',
      where: `on worker pods in namespace ${plan.namespace}`,
      info: { k8s: { namespace: plan.namespace, runId: plan.runId, image: plan.image, runtimeClasses: [...new Set(bench.scenario.pools.map((p) => p.runtimeClass))] } },
      start: (policy, index) => {
        const pools: Record<string, K8sPoolShape> = {};
        for (const [name, setup] of Object.entries(policy.pools)) {
          const def = poolDefs.get(name);
          pools[name] = {
            actorSlots: setup.mode === 'dedicated' ? 1 : setup.actorSlots,
            runtimeClass: def?.runtimeClass ?? 'gvisor',
            nodeSelector: def?.nodeSelector ?? {},
            ...(def?.workerCpuMilli === undefined ? {} : { cpuMilli: def.workerCpuMilli }),
          };
        }
        return K8sRuntime.start({
          kubeConfig: kc,
          plan,
          policyIndex: index,
          policyName: policy.name,
          pools,
          templateMemoryMiB,
          token,
          storeUrl,
          execMode: bench.exec,
          log: (l) => process.stderr.write(`  ${l}\n`),
        });
      },
    },
  );
  const lines = encodeReport({ ...outcome.files, 'stdout.txt': outcome.lines.join('') });
  await new Promise<void>((resolve) => process.stdout.write(`${lines.join('\n')}\n`, () => resolve()));
  return outcome.interrupted ? 130 : 0;
}

/** Waits until the store answers (its pod may still be starting); a 404 for a key nobody wrote is an answer. */
async function waitForStore(url: string, token: string, signal: AbortSignal): Promise<void> {
  const store = new StoreClient({ url, token, timeoutMs: 2_000 });
  const deadline = performance.now() + 180_000;
  let last = '';
  while (!signal.aborted) {
    try {
      await store.head('actorsim-driver-probe');
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (performance.now() > deadline) throw new Error(`the store at ${url} did not answer within 180 s: ${last}`);
    await sleep(250);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`driver: ${(err as Error).stack ?? String(err)}\n`, () => process.exit(1));
  },
);
