/** A k8s bench failure the user can act on from its message alone: printed without a stack, exit code 1. */
export class K8sBenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'K8sBenchError';
  }
}

/** No cluster answered: the message says how to get one, or how to run without one. */
export class ClusterUnreachableError extends K8sBenchError {
  constructor(detail: string) {
    super(
      `no reachable Kubernetes cluster: ${detail}\n` +
        '  Create a kind cluster with gVisor: scripts/cluster-up.sh (needs docker, kind and kubectl),\n' +
        '  or run on worker processes on this machine instead: --backend local',
    );
    this.name = 'ClusterUnreachableError';
  }
}

/**
 * The run's pods cannot all be scheduled on the cluster (capacity.ts): found
 * before anything is applied, so it is bad input, exit code 2; the message
 * names the policy set, its pods and requests against the allocatable, and
 * what to do.
 */
export class ClusterCapacityError extends K8sBenchError {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterCapacityError';
  }
}
