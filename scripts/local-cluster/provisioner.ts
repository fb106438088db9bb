// The local cluster's volume provisioner: gives every PersistentVolumeClaim of
// StorageClass `local-path` a folder on this host, as kind's local-path
// provisioner does on its nodes, and removes the folder once the claim is
// gone. A bench run asks one claim per scenario node (that node's disk, where
// pauses go). Started by scripts/local-cluster-up.sh, stopped by -down.sh:
//
//   node --import tsx scripts/local-cluster/provisioner.ts KUBECONFIG ROOT NODE
//
// It polls rather than watches: two list calls every 300 ms are nothing to an
// API server, and a poll needs no resume logic after a broken watch.
import { mkdirSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, type V1PersistentVolume, type V1PersistentVolumeClaim } from '@kubernetes/client-node';

/** The provisioner name the StorageClass names. */
const PROVISIONER = 'actorsim.local/hostpath';
const STORAGE_CLASS = 'local-path';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

const [kubeconfig, root, node] = process.argv.slice(2);
if (kubeconfig === undefined || root === undefined || node === undefined) {
  process.stderr.write('usage: provisioner.ts KUBECONFIG ROOT NODE\n');
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

function wanted(pvc: V1PersistentVolumeClaim): boolean {
  return pvc.status?.phase === 'Pending' && !pvc.spec?.volumeName && pvc.spec?.storageClassName === STORAGE_CLASS;
}

async function provision(pvc: V1PersistentVolumeClaim): Promise<void> {
  const { namespace = '', name = '', uid = '' } = pvc.metadata ?? {};
  const dir = join(root!, `${namespace}_${name}_${uid}`);
  mkdirSync(dir, { recursive: true });
  // Pods run as uid 1000 and hostPath volumes get no fsGroup ownership: the folder is writable by all, as local-path makes it.
  chmodSync(dir, 0o777);
  const pv: V1PersistentVolume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${uid}`, annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: STORAGE_CLASS,
      volumeMode: 'Filesystem',
      hostPath: { path: dir, type: 'Directory' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node!] }] }] } },
    },
  };
  try {
    await core.createPersistentVolume({ body: pv });
    log(`provisioned ${pv.metadata!.name} at ${dir} for ${namespace}/${name}`);
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

async function release(pv: V1PersistentVolume): Promise<void> {
  const path = pv.spec?.hostPath?.path;
  if (path !== undefined && path.startsWith(`${root!}/`)) rmSync(path, { recursive: true, force: true });
  try {
    await core.deletePersistentVolume({ name: pv.metadata!.name! });
    log(`deleted ${pv.metadata!.name} and ${path ?? '(no path)'}`);
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));
mkdirSync(root, { recursive: true });
log(`provisioning StorageClass ${STORAGE_CLASS} under ${root} on node ${node}`);
while (!stopping) {
  try {
    for (const pvc of (await core.listPersistentVolumeClaimForAllNamespaces()).items) if (wanted(pvc)) await provision(pvc);
    for (const pv of (await core.listPersistentVolume()).items) {
      const phase = pv.status?.phase;
      if (pv.metadata?.annotations?.[PROVISIONED_BY] === PROVISIONER && (phase === 'Released' || phase === 'Failed')) await release(pv);
    }
  } catch (err) {
    log(`poll failed: ${(err as Error).message}`);
  }
  await sleep(300);
}
