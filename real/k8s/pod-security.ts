import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { RUN_AS_USER } from './plan.ts';

/**
 * The Pod Security Standard `restricted`, as every pod of a run wears it:
 * a non-root user, no privilege escalation, every capability dropped, the
 * runtime's default seccomp profile, and a read-only root filesystem (the
 * pods write only to the volumes they mount). The run's namespace enforces
 * `restricted`, so a pod missing any of this is refused at admission, not
 * discovered later.
 */

/** The pod-level half of the restricted profile. */
export function restrictedPodSecurity(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    // Volumes that support ownership (emptyDir) become writable by the group.
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The container-level half of the restricted profile. */
export function restrictedContainerSecurity(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
