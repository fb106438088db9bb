import { readFlags } from '../../cli/flags.ts';
import { runCli } from '../../cli/shell.ts';
import { measureRealRun } from '../run.ts';
import { readJobRun } from './job-run.ts';
import { driverEnv, streamReport, waitForStore } from './job-common.ts';
import { K8sRuntime, type K8sPoolShape } from './runtime.ts';
import { poolShape } from './worker-pod.ts';

// The driver of a real run inside the cluster, as the Job runs it: bench.json in, the
// same measuring loop as the local backend against worker pods, the report
// out as marked lines of stdout (see report-stream.ts); progress on stderr.
// SIGTERM (the launcher deleting the run's namespace on Ctrl-C, or the Job's
// deadline) ends the run and still prints the partial report.
const USAGE = 'usage: node --import tsx real/k8s/job-main.ts --bench FILE\n  token from ACTORSIM_TOKEN, the store\'s secret from ACTORSIM_STORE_TOKEN, the store from ACTORSIM_STORE_URL; the API server from the pod\'s service account';

async function main(argv: readonly string[]): Promise<number> {
  const { bench: file } = readFlags(argv, { bench: { type: 'string' } });
  if (file === undefined) throw new Error(USAGE);
  const run = readJobRun(file);
  const { token, storeToken, storeUrl, kc, signal } = driverEnv(USAGE);
  await waitForStore(storeUrl, storeToken, signal);
  const { plan } = run;
  const poolDefs = new Map(run.scenario.pools.map((p) => [p.name, p]));
  const templateMemoryMiB = Object.fromEntries(run.scenario.templates.map((t) => [t.name, t.memoryMiB]));
  const outcome = await measureRealRun(
    run,
    {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      isoNow: () => new Date().toISOString(),
      signal,
    },
    {
      name: 'k8s',
      where: `on worker pods in namespace ${plan.namespace}`,
      info: {
        k8s: {
          namespace: plan.namespace,
          runId: plan.runId,
          image: plan.image,
          runtimeClasses: [...new Set(run.scenario.pools.map((p) => p.runtimeClass))],
          // --worker-cpu, when given: every worker pod's cpu request (null: each pool's own).
          workerCpu: plan.workerCpuMilli === undefined ? null : `${plan.workerCpuMilli}m`,
        },
      },
      start: (policy, index) => {
        const pools: Record<string, K8sPoolShape> = {};
        for (const [name, setup] of Object.entries(policy.pools)) {
          const def = poolDefs.get(name);
          pools[name] = poolShape(setup, def);
        }
        return K8sRuntime.start({
          kubeConfig: kc,
          plan,
          policyIndex: index,
          policyName: policy.name,
          pools,
          templateMemoryMiB,
          token,
          storeToken,
          storeUrl,
          execMode: run.exec,
          // Density from the pods' cgroups where the kubelet lets the driver ask (pod-memory.ts).
          podMemory: true,
          log: (l) => process.stderr.write(`  ${l}\n`),
        });
      },
    },
  );
  await streamReport({ ...outcome.files, 'stdout.txt': outcome.lines.join('') });
  for (const f of outcome.failures) process.stderr.write(`driver: run failed: ${f}\n`);
  return outcome.interrupted ? 130 : outcome.failures.length > 0 ? 1 : 0;
}

await runCli('driver', main, { driver: true });
