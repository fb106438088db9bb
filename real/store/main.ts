import { parseArgs } from 'node:util';
import { DEFAULT_MAX_USED_GRANTS } from './grant-ledger.ts';
import { serveUntilStopped } from './listen.ts';
import { startStoreServer } from './server.ts';

// The shell of the store server: flags and environment in, one READY line out,
// a clean exit on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
const USAGE = `usage: tsx real/store/main.ts --dir DIR [--port P] [--host H] [--max-blob-bytes N] [--max-used-grants N]
  the store's secret from ACTORSIM_TOKEN (it also verifies the workers' grants); flags fall back to ACTORSIM_STORE_DIR, ACTORSIM_PORT, ACTORSIM_HOST
  --max-used-grants: used grants remembered to refuse their replay (default ${DEFAULT_MAX_USED_GRANTS}); beyond it the store answers 503`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'max-blob-bytes': { type: 'string' },
        'max-used-grants': { type: 'string' },
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
  const dir = values.dir ?? env.ACTORSIM_STORE_DIR;
  const token = env.ACTORSIM_TOKEN ?? '';
  const port = Number(values.port ?? env.ACTORSIM_PORT ?? 0);
  const maxBlobBytes = values['max-blob-bytes'] === undefined ? undefined : Number(values['max-blob-bytes']);
  const maxUsedGrants = values['max-used-grants'] === undefined ? undefined : Number(values['max-used-grants']);
  if (dir === undefined) usage('--dir is required');
  if (token === '') usage('ACTORSIM_TOKEN is not set');
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port ${values.port ?? ''}`);
  if (maxBlobBytes !== undefined && !(Number.isSafeInteger(maxBlobBytes) && maxBlobBytes > 0)) usage('bad --max-blob-bytes');
  if (maxUsedGrants !== undefined && !(Number.isSafeInteger(maxUsedGrants) && maxUsedGrants > 0)) usage('bad --max-used-grants');

  const server = await startStoreServer({ dir, token, port, host: values.host ?? env.ACTORSIM_HOST ?? '127.0.0.1', ...(maxBlobBytes ? { maxBlobBytes } : {}), ...(maxUsedGrants ? { maxUsedGrants } : {}) });
  serveUntilStopped(server, env.ACTORSIM_EXIT_WITH_PARENT === '1');
}

function usage(problem: string): never {
  process.stderr.write(`store: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`store: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
