import { positiveInt } from '../cli/flags.ts';
import { UsageError } from '../cli/usage-error.ts';

// simulate's k8s flags, apart from sim/k8s-study.ts so that a local run does
// not load @kubernetes/client-node (main.ts imports that module only for --backend k8s).

/** The k8s flags of simulate, as util.parseArgs options. */
export const K8S_STUDY_FLAG_OPTIONS = {
  backend: { type: 'string' },
  parallelism: { type: 'string' },
  namespace: { type: 'string' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  image: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-gvisor': { type: 'boolean' },
} as const;

/** Their help lines. */
export const K8S_STUDY_HELP = `  --backend local|k8s  where the runs are simulated: threads here (default), or the
                     pods of one Kubernetes Indexed Job (reports byte-identical)
  --parallelism N    k8s: pods at once (default 2)
  --namespace NS     k8s: namespace of the Job and its ConfigMap (default: the context's, else default)
  --context NAME, --kubeconfig FILE   k8s: which cluster (default: the current context)
  --image IMAGE      k8s: image with this checkout's sim/ (default actorsim:dev)
  --no-gvisor        k8s: pods without runtimeClassName gvisor
  --dry-run          k8s: print the Job and its ConfigMap as YAML and exit
`;

/** Parsed k8s options of simulate. */
export interface K8sStudyFlags {
  readonly parallelism: number;
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly image: string;
  readonly dryRun: boolean;
  readonly gvisor: boolean;
}

type FlagValues = { [K in keyof typeof K8S_STUDY_FLAG_OPTIONS]?: (typeof K8S_STUDY_FLAG_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The k8s flags of a parsed command line: null for the local backend (then any k8s-only flag is a usage error). */
export function k8sStudyFlagsFrom(v: FlagValues): K8sStudyFlags | null {
  const backend = v.backend ?? 'local';
  if (backend !== 'local' && backend !== 'k8s') throw new UsageError(`--backend: expected local or k8s, got "${backend}"`);
  if (backend === 'local') {
    const given = (Object.keys(K8S_STUDY_FLAG_OPTIONS) as (keyof FlagValues)[]).filter((k) => k !== 'backend' && v[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((g) => `--${g}`).join(', ')}: only with --backend k8s`);
    return null;
  }
  return {
    parallelism: v.parallelism === undefined ? 2 : positiveInt(v.parallelism, '--parallelism'),
    image: v.image ?? 'actorsim:dev',
    dryRun: v['dry-run'] === true,
    gvisor: v['no-gvisor'] !== true,
    ...(v.namespace === undefined ? {} : { namespace: v.namespace }),
    ...(v.context === undefined ? {} : { context: v.context }),
    ...(v.kubeconfig === undefined ? {} : { kubeconfig: v.kubeconfig }),
  };
}

/** A k8s study that failed in a way the user can act on: printed without a stack, exit 1. */
export class K8sStudyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'K8sStudyError';
  }
}

