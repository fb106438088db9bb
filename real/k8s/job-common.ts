import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { StoreClient } from '../store/client.ts';
import { encodeReport } from './report-stream.ts';

// What every driver inside the cluster does the same way, whatever it
// measures (the real run of job-main.ts, the calibration of job-calibrate.ts):
// read its environment, stop on SIGTERM, wait for the store, stream its
// files back through its log.

/** The driver's environment: the run's token, the store's secret and URL (from the Job's env), and the API server (the pod's service account). */
export interface DriverEnv {
  readonly token: string;
  /** The store's secret: the driver alone among the pods that talk to the store holds it, to mint workers' grants. */
  readonly storeToken: string;
  readonly storeUrl: string;
  readonly kc: KubeConfig;
  /** Aborted on SIGTERM or SIGINT (the launcher deleting the namespace, the Job's deadline). */
  readonly signal: AbortSignal;
}

/** Reads the driver's environment and arms its signal handlers; throws `usage` when the token or store URL is missing. */
export function driverEnv(usage: string): DriverEnv {
  const token = process.env.ACTORSIM_TOKEN ?? '';
  const storeToken = process.env.ACTORSIM_STORE_TOKEN ?? '';
  const storeUrl = process.env.ACTORSIM_STORE_URL ?? '';
  if (token === '' || storeToken === '' || storeUrl === '') throw new Error(`ACTORSIM_TOKEN, ACTORSIM_STORE_TOKEN and ACTORSIM_STORE_URL must be set\n${usage}`);
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
  return { token, storeToken, storeUrl, kc, signal: controller.signal };
}

/** Waits until the store answers (its pod may still be starting); a 404 for a key nobody wrote is an answer. */
export async function waitForStore(url: string, token: string, signal: AbortSignal): Promise<void> {
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

/** Prints `files` as the report stream on stdout and resolves once it is flushed. */
export function streamReport(files: Readonly<Record<string, string>>): Promise<void> {
  const lines = encodeReport(files);
  return new Promise<void>((resolve) => process.stdout.write(`${lines.join('\n')}\n`, () => resolve()));
}
