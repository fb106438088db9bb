import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serveUntilStopped } from '../store/listen.ts';
import { startWorkerServer } from './server.ts';

// The shell of one worker: flags (or, in a pod, the environment) in, one
// READY line out, a clean exit on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
const USAGE = `usage: tsx real/worker/main.ts --store-url URL --node-dir DIR [--worker-id ID] [--actor-slots N]
                      [--host H] [--port P] [--cold-boot-ms MS] [--store-timeout-ms MS]
  token from ACTORSIM_TOKEN; the store is reached with the grant each restore and checkpoint carries
  (ACTORSIM_STORE_TOKEN, if set, serves requests without one: a worker run by hand);
  flags fall back to ACTORSIM_STORE_URL, ACTORSIM_NODE_DIR, ACTORSIM_WORKER_ID (else the host name),
  ACTORSIM_ACTOR_SLOTS (else 1), ACTORSIM_HOST (else 127.0.0.1), ACTORSIM_PORT (else any free port),
  ACTORSIM_STORE_TIMEOUT_MS (else 60000: how long one read or write of the store may take)`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'store-url': { type: 'string' },
        'node-dir': { type: 'string' },
        'worker-id': { type: 'string' },
        'actor-slots': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'cold-boot-ms': { type: 'string' },
        'store-timeout-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // An empty variable counts as unset: `X= cmd` must never mean "the current directory".
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  const token = env.ACTORSIM_TOKEN ?? '';
  const storeUrl = values['store-url'] ?? env.ACTORSIM_STORE_URL;
  const nodeDir = values['node-dir'] ?? env.ACTORSIM_NODE_DIR;
  const actorSlots = int(values['actor-slots'] ?? env.ACTORSIM_ACTOR_SLOTS ?? '1', 'actor-slots', 1);
  const port = int(values.port ?? env.ACTORSIM_PORT ?? '0', 'port', 0);
  const coldBootMs = int(values['cold-boot-ms'] ?? '0', 'cold-boot-ms', 0);
  const storeTimeoutMs = int(values['store-timeout-ms'] ?? env.ACTORSIM_STORE_TIMEOUT_MS ?? '60000', 'store-timeout-ms', 1);
  if (token === '') usage('ACTORSIM_TOKEN is not set');
  if (storeUrl === undefined) usage('--store-url is required');
  if (nodeDir === undefined) usage('--node-dir is required');
  if (port > 65535) usage(`bad --port ${port}`);

  const server = await startWorkerServer({
    host: values.host ?? env.ACTORSIM_HOST ?? '127.0.0.1',
    port,
    token,
    workerId: values['worker-id'] ?? env.ACTORSIM_WORKER_ID ?? hostname(),
    actorSlots,
    nodeDir,
    // Never the worker's own token: the store's secret is not the worker's to hold.
    store: { url: storeUrl, ...(env.ACTORSIM_STORE_TOKEN === undefined ? {} : { token: env.ACTORSIM_STORE_TOKEN }), timeoutMs: storeTimeoutMs },
    coldBootMs,
    collectGarbage: garbageCollector(),
  });
  serveUntilStopped(server, env.ACTORSIM_EXIT_WITH_PARENT === '1');
}

/** V8's collector, exposed at run time, so a checkpointed actor's memory leaves RSS promptly. */
function garbageCollector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function int(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) usage(`bad --${name} ${text}`);
  return n;
}

function usage(problem: string): never {
  process.stderr.write(`worker: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
