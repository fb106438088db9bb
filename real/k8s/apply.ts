import {
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Job,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Role,
  type V1RoleBinding,
  type V1Secret,
  type V1Service,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import type { RunManifest } from './manifests.ts';

/**
 * Creates the manifests of a run, each through its typed API (no discovery
 * round trips, and exactly the calls the tests' fake API server answers).
 * A run's namespace is new, so an object that already exists is an error,
 * not something to patch.
 */
export class ManifestApplier {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly networking: NetworkingV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
  }

  /** Creates one manifest. */
  async create(m: RunManifest): Promise<void> {
    const namespace = m.metadata?.namespace ?? '';
    switch (m.kind) {
      case 'Namespace':
        await this.core.createNamespace({ body: m as V1Namespace });
        return;
      case 'Secret':
        await this.core.createNamespacedSecret({ namespace, body: m as V1Secret });
        return;
      case 'ConfigMap':
        await this.core.createNamespacedConfigMap({ namespace, body: m as V1ConfigMap });
        return;
      case 'ServiceAccount':
        await this.core.createNamespacedServiceAccount({ namespace, body: m as V1ServiceAccount });
        return;
      case 'PersistentVolumeClaim':
        await this.core.createNamespacedPersistentVolumeClaim({ namespace, body: m as V1PersistentVolumeClaim });
        return;
      case 'Pod':
        await this.core.createNamespacedPod({ namespace, body: m as V1Pod });
        return;
      case 'Service':
        await this.core.createNamespacedService({ namespace, body: m as V1Service });
        return;
      case 'Role':
        await this.rbac.createNamespacedRole({ namespace, body: m as V1Role });
        return;
      case 'RoleBinding':
        await this.rbac.createNamespacedRoleBinding({ namespace, body: m as V1RoleBinding });
        return;
      case 'NetworkPolicy':
        await this.networking.createNamespacedNetworkPolicy({ namespace, body: m as V1NetworkPolicy });
        return;
      case 'Job':
        await this.batch.createNamespacedJob({ namespace, body: m as V1Job });
        return;
      default:
        throw new Error(`cannot create a ${m.kind ?? 'manifest without kind'}`);
    }
  }
}
