// The command-line flags of every k8s backend (bench:cluster, calibrate,
// fidelity), parsed one way. No @kubernetes/client-node here: the local path
// imports this module and must not pay for the client.

import { workerCpuValue } from '../../scenarios/cpu-flag.ts';

/** Flags of the k8s backend: which cluster, which image, and whether to keep the run's namespace. */
export interface K8sFlags {
  image: string;
  kubeconfig?: string;
  context?: string;
  keepNamespace: boolean;
  /**
   * --worker-cpu: the cpu request of every worker pod, in millicores, in
   * place of its pool's (and its limit, where the pool sets one), so that a
   * scenario written for bigger nodes fits a small cluster.
   */
  workerCpuMilli?: number;
}

/** The image of a k8s run unless --image says otherwise: what scripts/cluster-up.sh builds and loads. */
export const DEFAULT_K8S_IMAGE = 'actorsim:dev';

/** The k8s flags as `util.parseArgs` options, to spread into a command's own. */
export const K8S_FLAG_OPTIONS = {
  image: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'keep-namespace': { type: 'boolean' },
  'worker-cpu': { type: 'string' },
} as const;

/** The parsed values of {@link K8S_FLAG_OPTIONS}. */
export interface K8sFlagValues {
  image?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  'keep-namespace'?: boolean | undefined;
  'worker-cpu'?: string | undefined;
}

/** The help lines of the k8s flags, shared by every command that has them. */
export const K8S_FLAGS_HELP = `  --image IMAGE      image of workers, store and driver (default: ${DEFAULT_K8S_IMAGE},
                     built and loaded into kind by scripts/cluster-up.sh)
  --kubeconfig FILE  kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     kubeconfig context (default: the current one)
  --keep-namespace   leave the run's namespace for inspection instead of deleting it
  --worker-cpu Q     cpu request of every worker pod, a Kubernetes quantity such as 100m,
                     in place of its pool's (and its cpu limit, where the pool sets one);
                     recorded in the report; use it to fit a scenario to a small cluster
`;

/** The k8s flags of a parsed command line, with their defaults. */
export function k8sFlagsFrom(v: K8sFlagValues): K8sFlags {
  return {
    image: v.image ?? DEFAULT_K8S_IMAGE,
    keepNamespace: v['keep-namespace'] === true,
    ...(v.kubeconfig === undefined ? {} : { kubeconfig: v.kubeconfig }),
    ...(v.context === undefined ? {} : { context: v.context }),
    ...(v['worker-cpu'] === undefined ? {} : { workerCpuMilli: workerCpuValue(v['worker-cpu']) }),
  };
}

/** A cpu request in millicores as a Kubernetes quantity: 100m, 1500m. */
export function cpuQuantity(milli: number): string {
  return `${milli}m`;
}

/**
 * The k8s-only flags given (as `--name`) among `names`: a command refuses
 * them without `--backend k8s`, rather than ignore a cluster the user named.
 */
export function k8sOnlyFlagsGiven(v: Readonly<Record<string, unknown>>, names: readonly string[] = Object.keys(K8S_FLAG_OPTIONS)): string[] {
  return names.filter((f) => v[f] !== undefined).map((f) => `--${f}`);
}

/** The k8s flags as command-line arguments again, to pass them on to a child command. */
export function k8sFlagArgs(flags: K8sFlags): string[] {
  return [
    '--image',
    flags.image,
    ...(flags.kubeconfig === undefined ? [] : ['--kubeconfig', flags.kubeconfig]),
    ...(flags.context === undefined ? [] : ['--context', flags.context]),
    ...(flags.keepNamespace ? ['--keep-namespace'] : []),
    ...(flags.workerCpuMilli === undefined ? [] : ['--worker-cpu', cpuQuantity(flags.workerCpuMilli)]),
  ];
}
