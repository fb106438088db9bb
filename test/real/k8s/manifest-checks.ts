import { isDeepStrictEqual } from 'node:util';
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { RuntimeClass } from 'kubernetes-models/node.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

/** A manifest as plain JSON (the wire form). */
export type Doc = Record<string, any>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Pod': Pod,
  'v1/Service': Service,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'batch/v1/Job': Job,
  'node.k8s.io/v1/RuntimeClass': RuntimeClass,
};

/** Parses multi-document YAML into its non-empty documents. */
export function yamlDocs(text: string): Doc[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJSON() as Doc | null;
    })
    .filter((d): d is Doc => d !== null);
}

/**
 * Problems of one manifest against the Kubernetes schemas, two ways:
 * kubernetes-models (types, formats, required fields, enums), and a round
 * trip through @kubernetes/client-node's models, which drop any field the
 * API does not define (kubernetes-models lets unknown fields through, so a
 * misspelt `runtimeClass:` would otherwise pass).
 */
export function schemaProblems(doc: Doc): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = MODELS[key];
  if (Model === undefined) return [`no schema for ${key}`];
  const problems: string[] = [];
  try {
    new Model(doc as never).validate();
  } catch (err) {
    problems.push(`${key} ${doc.metadata?.name}: ${(err as Error).message}`);
  }
  const roundTrip = parseYaml(dumpYaml(loadYaml(JSON.stringify(doc)))) as Doc;
  if (!isDeepStrictEqual(roundTrip, doc)) problems.push(`${key} ${doc.metadata?.name}: fields unknown to the API: ${unknownPaths(doc, roundTrip).join(', ')}`);
  return problems;
}

function unknownPaths(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null) return isDeepStrictEqual(a, b) ? [] : [path || '/'];
  if (typeof b !== 'object' || b === null) return [path || '/'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(a)) out.push(...unknownPaths(v, (b as Record<string, unknown>)[k], `${path}/${k}`));
  return out;
}

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/**
 * The Pod Security Standard `restricted` (v1.25+), checked here
 * independently of the code that builds the pods, plus what the issue adds:
 * a read-only root filesystem and a non-zero runAsUser.
 */
export function restrictedProblems(podSpec: Doc, where: string): string[] {
  const p: string[] = [];
  const psc = podSpec.securityContext ?? {};
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (podSpec[f] === true) p.push(`${where}: ${f}`);
  for (const v of podSpec.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    for (const t of types) if (!ALLOWED_VOLUMES.has(t)) p.push(`${where}: volume ${v.name} of type ${t}`);
  }
  const containers: Doc[] = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
  if (containers.length === 0) p.push(`${where}: no containers`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `${where} container ${c.name}`;
    if (sc.privileged === true) p.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) p.push(`${at}: allowPrivilegeEscalation is not false`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) p.push(`${at}: capabilities do not drop ALL`);
    for (const add of sc.capabilities?.add ?? []) if (add !== 'NET_BIND_SERVICE') p.push(`${at}: adds capability ${add}`);
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) p.push(`${at}: runAsNonRoot is not true`);
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (typeof uid !== 'number' || uid === 0) p.push(`${at}: runAsUser is ${uid}`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') p.push(`${at}: seccompProfile is ${seccomp}`);
    if (sc.readOnlyRootFilesystem !== true) p.push(`${at}: root filesystem is writable`);
    for (const port of c.ports ?? []) if (port.hostPort !== undefined) p.push(`${at}: hostPort`);
  }
  return p;
}

/** The pod spec of a Pod or of a Job's template. */
export function podSpecOf(doc: Doc): Doc | null {
  if (doc.kind === 'Pod') return doc.spec ?? null;
  if (doc.kind === 'Job') return doc.spec?.template?.spec ?? null;
  return null;
}
