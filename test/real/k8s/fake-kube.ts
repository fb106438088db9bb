import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { restrictedProblems, type Doc } from './manifest-checks.ts';

/**
 * A Kubernetes API server and kubelet small enough to read, for the k8s
 * runtime's tests: it answers exactly the calls the launcher and the driver
 * make (create namespaces, secrets, config maps, service accounts, roles,
 * role bindings, network policies, claims, services, pods and jobs; get,
 * list, watch with `?watch=true` as JSON lines, and delete pods; read pod
 * logs, following them), over plain HTTP on 127.0.0.1 through the real
 * @kubernetes/client-node. What Kubernetes would check, it checks: bearer
 * tokens, RBAC for the driver's service account token against the Roles the
 * launcher created, the namespace's `restricted` Pod Security label, known
 * RuntimeClasses and the image.
 *
 * Pods run for real: the "kubelet" starts each container's command (`node`
 * is this Node, the image's /app is the repository) as a process with the
 * container's environment resolved (secret keys, status.podIP, mounted
 * paths mapped to temporary folders, Service names mapped to the backing
 * pod's IP: a stand-in for cluster DNS). Each pod gets its own loopback
 * address (127.77.x.y) as its IP, so a worker binds its pod IP and the
 * driver dials it, as in a cluster. A pod that mounts the service account
 * token gets a kubeconfig for this server with its own token instead (the
 * in-cluster config), so the driver's calls carry the driver's identity.
 * Logs are the process's stdout and stderr lines, in order.
 */
export interface FakeKubeOptions {
  /** The repository, which the image's /app stands for. */
  readonly repo: string;
  /** Folder for volumes, kubeconfigs and logs. */
  readonly workDir: string;
  /** Token of the user (cluster admin). */
  readonly adminToken: string;
  /** Images the nodes have; any other image fails with ErrImageNeverPull (an Indexed Job's pod that may pull: ImagePullBackOff, for ever). */
  readonly images: readonly string[];
  /** Digests the nodes list for images (by tag, e.g. actorsim:dev: sha256:...): a pod may then name the image as tag@digest. */
  readonly digests?: Readonly<Record<string, string>>;
  readonly runtimeClasses?: readonly string[];
  /** The cluster's nodes: names, or nodes with what they report as allocatable and their taints (default: two nodes reporting none). */
  readonly nodes?: readonly (string | FakeNode)[];
  /** Listing nodes is forbidden (403) even to the user: a namespaced account without cluster-scoped reads. */
  readonly nodesForbidden?: boolean;
  /**
   * Runs the pods of an Indexed Job (`completionMode: Indexed`) in this
   * process instead of spawning their command: called once per pod with its
   * completion index, which attempt at that index it is (0 first), the
   * files of the ConfigMaps it mounts (by mount path) and a sink for its log
   * lines; resolves to the container's exit code. The job controller around
   * it is Kubernetes': parallelism, backoffLimitPerIndex, maxFailedIndexes,
   * podFailurePolicy (FailJob on exit codes), completedIndexes and
   * failedIndexes, Foreground deletion (pods first, then the Job).
   */
  readonly indexedPod?: (pod: IndexedPodContext) => Promise<number>;
}

/** A node as the fake lists it. */
export interface FakeNode {
  readonly name: string;
  /** status.allocatable, e.g. {cpu: '2', memory: '8Gi', pods: '110'}. */
  readonly allocatable?: Readonly<Record<string, string>>;
  readonly taints?: readonly { readonly key: string; readonly effect: string }[];
}

/** What an in-process pod of an Indexed Job gets. */
export interface IndexedPodContext {
  readonly index: number;
  readonly attempt: number;
  /** Files of the mounted ConfigMaps, by their path in the container. */
  readonly files: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly writeLine: (line: string) => void;
  /** Aborted when the pod is deleted. */
  readonly signal: AbortSignal;
}

interface Watcher {
  readonly prefix: string;
  readonly selector: string | null;
  readonly res: ServerResponse;
}

interface PodRuntime {
  child: ChildProcess | null;
  readonly lines: string[];
  readonly followers: Set<ServerResponse>;
  exited: boolean;
  killTimer: NodeJS.Timeout | null;
}

/** A request the server saw: who asked for what. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly user: string;
  readonly status: number;
  /** The request's JSON body, for a POST (what was created). */
  readonly body?: unknown;
}

const RESOURCE_KINDS: Record<string, { kind: string; apiVersion: string }> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1' },
  secrets: { kind: 'Secret', apiVersion: 'v1' },
  configmaps: { kind: 'ConfigMap', apiVersion: 'v1' },
  serviceaccounts: { kind: 'ServiceAccount', apiVersion: 'v1' },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', apiVersion: 'v1' },
  pods: { kind: 'Pod', apiVersion: 'v1' },
  services: { kind: 'Service', apiVersion: 'v1' },
  roles: { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1' },
  rolebindings: { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1' },
  networkpolicies: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
  jobs: { kind: 'Job', apiVersion: 'batch/v1' },
};

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fake API server; see {@link FakeKubeOptions}. */
export class FakeKube {
  /** Every request, in order. */
  readonly requests: SeenRequest[] = [];
  /** Requests no route answered (the runtime made a call the fake does not know: a test failure). */
  readonly unhandled: string[] = [];
  private readonly objects = new Map<string, Doc>();
  private readonly events: { rv: number; key: string; type: string; obj: Doc }[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly pods = new Map<string, PodRuntime>();
  private readonly saTokens = new Map<string, { namespace: string; name: string }>();
  private rv = 100;
  private nextIp = 2;
  private closed = false;
  private server!: Server;
  /** Base URL of the API server. */
  url = '';

  private constructor(private readonly options: FakeKubeOptions) {}

  /** Starts the server on a free port of 127.0.0.1. */
  static async start(options: FakeKubeOptions): Promise<FakeKube> {
    const fake = new FakeKube(options);
    fake.server = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** A kubeconfig file for this server with `token`. */
  kubeconfig(token: string, file: string): string {
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        // client-node refuses plain HTTP unless TLS verification is (vacuously) skipped.
        'clusters: [{name: fake, cluster: {server: "' + this.url + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: fake, user: {token: "' + token + '"}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** A kubeconfig for a service account of a namespace: what a pod mounting its token would get. */
  serviceAccountKubeconfig(namespace: string, name: string, file: string): string {
    const token = `sa-${randomBytes(12).toString('hex')}`;
    this.saTokens.set(token, { namespace, name });
    return this.kubeconfig(token, file);
  }

  /** Objects of a resource (e.g. `pods`) in a namespace, or cluster-wide. */
  list(resource: string, namespace?: string): Doc[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/${namespace === undefined ? '' : `${namespace}/`}`)).map(([, o]) => o);
  }

  /** Deletes a pod as a user would (`kubectl delete pod`): graceful, then gone. */
  deletePod(namespace: string, name: string, gracePeriodSeconds = 1): void {
    this.deleteObject(`pods/${namespace}/${name}`, gracePeriodSeconds);
  }

  /** Log lines of a pod so far. */
  podLog(namespace: string, name: string): string[] {
    return [...(this.pods.get(`${namespace}/${name}`)?.lines ?? [])];
  }

  /** Kills every process and stops the server. */
  async close(): Promise<void> {
    this.closed = true;
    const exits: Promise<void>[] = [];
    for (const p of this.pods.values()) {
      if (p.child !== null && !p.exited) {
        exits.push(new Promise((r) => p.child!.once('exit', () => r())));
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(exits);
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- HTTP ----

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const sa = this.saTokens.get(token);
      const user = token === this.options.adminToken ? 'admin' : sa !== undefined ? `system:serviceaccount:${sa.namespace}:${sa.name}` : 'anonymous';
      const record = (status: number): void => {
        this.requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, user, status, ...(req.method === 'POST' && body.length > 0 ? { body: JSON.parse(body) as unknown } : {}) });
      };
      try {
        if (user === 'anonymous') throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        const done = this.route(req.method ?? 'GET', url, body.length > 0 ? (JSON.parse(body) as Doc) : null, user, sa, res);
        record(done);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', (err as Error).stack ?? String(err));
        record(e.code);
        if (!res.headersSent) {
          res.writeHead(e.code, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code }));
        }
      }
    });
  }

  private json(res: ServerResponse, code: number, obj: unknown): number {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
    return code;
  }

  /** Serves one request; returns the status it answered. */
  private route(method: string, url: URL, body: Doc | null, user: string, sa: { namespace: string; name: string } | undefined, res: ServerResponse): number {
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    if (url.pathname === '/version') return this.json(res, 200, { major: '1', minor: '34', gitVersion: 'v1.34.0-fake' });
    // /api/v1/... or /apis/<group>/<version>/...
    let group: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1]!;
      rest = parts.slice(3);
    } else {
      return this.unknown(method, url);
    }
    let namespace: string | null = null;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
    const [resource, name, sub] = rest as [string | undefined, string | undefined, string | undefined];
    if (resource === undefined) return this.unknown(method, url);
    const watch = url.searchParams.get('watch') === 'true';
    const verb = method === 'GET' ? (name !== undefined ? 'get' : watch ? 'watch' : 'list') : method === 'POST' ? 'create' : method === 'DELETE' ? (name !== undefined ? 'delete' : 'deletecollection') : method.toLowerCase();
    if (user !== 'admin') this.authorize(sa!, group, namespace, sub === undefined ? resource : `${resource}/${sub}`, verb);

    // Cluster-scoped reads.
    if (namespace === null) {
      if (group === '' && resource === 'nodes' && verb === 'list') {
        if (this.options.nodesForbidden === true) throw new ApiError(403, 'Forbidden', `nodes is forbidden: User "${user}" cannot list resource "nodes" in API group "" at the cluster scope`);
        const nodes = (this.options.nodes ?? ['fake-worker', 'fake-worker2']).map((n): FakeNode => (typeof n === 'string' ? { name: n } : n));
        const items = nodes.map((n) => ({
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: n.name },
          spec: n.taints === undefined ? {} : { taints: n.taints.map((t) => ({ ...t })) },
          status: { images: this.nodeImages(), ...(n.allocatable === undefined ? {} : { allocatable: { ...n.allocatable }, capacity: { ...n.allocatable } }) },
        }));
        return this.json(res, 200, { apiVersion: 'v1', kind: 'NodeList', metadata: { resourceVersion: String(this.rv) }, items });
      }
      if (group === 'node.k8s.io' && resource === 'runtimeclasses' && verb === 'get') {
        if (!(this.options.runtimeClasses ?? ['gvisor']).includes(name!)) throw new ApiError(404, 'NotFound', `runtimeclasses.node.k8s.io "${name}" not found`);
        return this.json(res, 200, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runsc' });
      }
      if (group === '' && resource === 'namespaces') {
        if (verb === 'create') return this.json(res, 201, this.create('namespaces', null, body!));
        if (verb === 'get') return this.json(res, 200, this.get(`namespaces/${name}`));
        if (verb === 'delete') return this.json(res, 200, this.deleteNamespace(name!));
      }
      return this.unknown(method, url);
    }

    if (RESOURCE_KINDS[resource] === undefined || RESOURCE_KINDS[resource]!.apiVersion !== (group === '' ? 'v1' : `${group}/${url.pathname.split('/')[3]}`)) return this.unknown(method, url);
    if (resource === 'pods' && sub === 'log' && verb === 'get') return this.log(namespace, name!, url, res);
    if (sub !== undefined) return this.unknown(method, url);
    const key = `${resource}/${namespace}/${name ?? ''}`;
    switch (verb) {
      case 'create':
        return this.json(res, 201, this.create(resource, namespace, body!));
      case 'get':
        return this.json(res, 200, this.get(key));
      case 'list': {
        const items = this.list(resource, namespace).filter((o) => matches(o, url.searchParams.get('labelSelector')));
        return this.json(res, 200, { apiVersion: RESOURCE_KINDS[resource]!.apiVersion, kind: `${RESOURCE_KINDS[resource]!.kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
      }
      case 'watch':
        return this.watch(`${resource}/${namespace}/`, url, res);
      case 'delete': {
        const grace = url.searchParams.get('gracePeriodSeconds');
        return this.json(res, 200, this.deleteObject(key, grace === null ? undefined : Number(grace)));
      }
      default:
        return this.unknown(method, url);
    }
  }

  private unknown(method: string, url: URL): number {
    this.unhandled.push(`${method} ${url.pathname}${url.search}`);
    throw new ApiError(404, 'NotFound', `the fake API server does not serve ${method} ${url.pathname}`);
  }

  /** RBAC for service account tokens: a rule of a Role bound to the account must allow the verb on the resource. */
  private authorize(sa: { namespace: string; name: string }, group: string, namespace: string | null, resource: string, verb: string): void {
    const allowed =
      namespace === sa.namespace &&
      this.list('rolebindings', namespace).some(
        (b) =>
          b.roleRef?.kind === 'Role' &&
          (b.subjects ?? []).some((s: Doc) => s.kind === 'ServiceAccount' && s.name === sa.name && (s.namespace ?? namespace) === namespace) &&
          (this.objects.get(`roles/${namespace}/${b.roleRef.name}`)?.rules ?? []).some(
            (r: Doc) => (r.apiGroups ?? []).some((g: string) => g === group || g === '*') && (r.resources ?? []).some((x: string) => x === resource || x === '*') && (r.verbs ?? []).some((v: string) => v === verb || v === '*'),
          ),
      );
    if (!allowed) {
      throw new ApiError(403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:${sa.namespace}:${sa.name}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace ?? ''}"`);
    }
  }

  // ---- objects ----

  private get(key: string): Doc {
    const o = this.objects.get(key);
    if (o === undefined) throw new ApiError(404, 'NotFound', `${key} not found`);
    return o;
  }

  private bump(key: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Doc): void {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const snapshot = JSON.parse(JSON.stringify(obj)) as Doc;
    this.events.push({ rv: this.rv, key, type, obj: snapshot });
    for (const w of this.watchers) if (key.startsWith(w.prefix) && matches(snapshot, w.selector)) w.res.write(`${JSON.stringify({ type, object: snapshot })}\n`);
  }

  private create(resource: string, namespace: string | null, body: Doc): Doc {
    const name = body.metadata?.name ?? `${body.metadata?.generateName ?? 'x-'}${randomBytes(3).toString('hex')}`;
    const key = namespace === null ? `${resource}/${name}` : `${resource}/${namespace}/${name}`;
    if (this.objects.has(key)) throw new ApiError(409, 'AlreadyExists', `${resource} "${name}" already exists`);
    if (namespace !== null) {
      const ns = this.objects.get(`namespaces/${namespace}`);
      if (ns === undefined) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`);
      if (ns.status?.phase === 'Terminating') throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
    const kind = RESOURCE_KINDS[resource]!;
    if (body.kind !== undefined && body.kind !== kind.kind) throw new ApiError(400, 'BadRequest', `kind ${body.kind} posted to ${resource}`);
    const obj: Doc = {
      ...body,
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      metadata: { ...body.metadata, name, ...(namespace === null ? {} : { namespace }), uid: randomBytes(8).toString('hex'), creationTimestamp: new Date().toISOString() },
    };
    if (resource === 'namespaces') obj.status = { phase: 'Active' };
    if (resource === 'persistentvolumeclaims') obj.status = { phase: 'Bound' };
    if (resource === 'pods') this.admitPod(obj, namespace!);
    this.objects.set(key, obj);
    this.bump(key, 'ADDED', obj);
    if (resource === 'pods') setImmediate(() => this.runPod(namespace!, name));
    if (resource === 'jobs') setImmediate(() => (obj.spec?.completionMode === 'Indexed' ? this.runIndexedJob(namespace!, name) : this.runJob(namespace!, name)));
    return obj;
  }

  /** What admission would refuse: a RuntimeClass that does not exist, a pod the namespace's Pod Security level forbids. */
  private admitPod(pod: Doc, namespace: string): void {
    const rc = pod.spec?.runtimeClassName;
    if (rc !== undefined && !(this.options.runtimeClasses ?? ['gvisor']).includes(rc)) throw new ApiError(403, 'Forbidden', `pod rejected: RuntimeClass "${rc}" not found`);
    const level = this.objects.get(`namespaces/${namespace}`)?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
    if (level === 'restricted') {
      const problems = restrictedProblems(pod.spec ?? {}, `pod ${pod.metadata.name}`);
      if (problems.length > 0) throw new ApiError(403, 'Forbidden', `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "restricted:latest": ${problems.join('; ')}`);
    }
    pod.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], podIP: undefined };
    delete pod.status.podIP;
    pod.metadata.annotations = { ...pod.metadata.annotations, 'fake.actorsim.dev/ip': `127.77.${Math.floor(this.nextIp / 250)}.${(this.nextIp % 250) + 2}` };
    this.nextIp += 1;
  }

  private deleteObject(key: string, gracePeriodSeconds?: number): Doc {
    const obj = this.get(key);
    if (key.startsWith('jobs/')) {
      // Foreground or background, the pods go with the Job (the fake has no garbage collector to wait for).
      const [, namespace] = key.split('/') as [string, string];
      for (const pod of this.list('pods', namespace)) {
        if (!(pod.metadata.ownerReferences ?? []).some((o: Doc) => o.kind === 'Job' && o.uid === obj.metadata.uid)) continue;
        const inProc = this.inProcess.get(`${namespace}/${pod.metadata.name}`);
        if (inProc !== undefined) {
          inProc.abort();
          this.objects.delete(`pods/${namespace}/${pod.metadata.name}`);
          this.bump(`pods/${namespace}/${pod.metadata.name}`, 'DELETED', pod);
        } else this.deleteObject(`pods/${namespace}/${pod.metadata.name}`, 0);
      }
      this.objects.delete(key);
      this.bump(key, 'DELETED', obj);
      return obj;
    }
    if (!key.startsWith('pods/')) {
      this.objects.delete(key);
      this.bump(key, 'DELETED', obj);
      return obj;
    }
    const [, namespace, name] = key.split('/') as [string, string, string];
    const pr = this.pods.get(`${namespace}/${name}`);
    const grace = gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
    if (pr === undefined || pr.child === null || pr.exited) {
      this.objects.delete(key);
      this.bump(key, 'DELETED', obj);
      return obj;
    }
    if (obj.metadata.deletionTimestamp === undefined) {
      obj.metadata.deletionTimestamp = new Date().toISOString();
      obj.metadata.deletionGracePeriodSeconds = grace;
      this.bump(key, 'MODIFIED', obj);
    }
    if (grace === 0) pr.child.kill('SIGKILL');
    else {
      pr.child.kill('SIGTERM');
      pr.killTimer ??= setTimeout(() => pr.child?.kill('SIGKILL'), grace * 1000);
    }
    return obj;
  }

  private deleteNamespace(name: string): Doc {
    const ns = this.get(`namespaces/${name}`);
    if (ns.status.phase === 'Terminating') return ns;
    ns.status.phase = 'Terminating';
    ns.metadata.deletionTimestamp = new Date().toISOString();
    this.bump(`namespaces/${name}`, 'MODIFIED', ns);
    for (const pod of this.list('pods', name)) this.deleteObject(`pods/${name}/${pod.metadata.name}`);
    const sweep = (): void => {
      if (this.list('pods', name).length > 0 && !this.closed) {
        setTimeout(sweep, 50);
        return;
      }
      for (const key of [...this.objects.keys()]) if (key.split('/')[1] === name && !key.startsWith('namespaces/')) this.objects.delete(key);
      this.objects.delete(`namespaces/${name}`);
      this.bump(`namespaces/${name}`, 'DELETED', ns);
    };
    sweep();
    return ns;
  }

  // ---- watch and logs ----

  private watch(prefix: string, url: URL, res: ServerResponse): number {
    const from = Number(url.searchParams.get('resourceVersion') ?? '0') || 0;
    const selector = url.searchParams.get('labelSelector');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const e of this.events) if (e.rv > from && e.key.startsWith(prefix) && matches(e.obj, selector)) res.write(`${JSON.stringify({ type: e.type, object: e.obj })}\n`);
    const w: Watcher = { prefix, selector, res };
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
    return 200;
  }

  private log(namespace: string, name: string, url: URL, res: ServerResponse): number {
    this.get(`pods/${namespace}/${name}`);
    const pr = this.pods.get(`${namespace}/${name}`);
    if (pr === undefined || (pr.child === null && !this.inProcess.has(`${namespace}/${name}`))) throw new ApiError(400, 'BadRequest', `container in pod ${name} is waiting to start`);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    const tail = url.searchParams.get('tailLines');
    for (const line of tail === null ? pr.lines : pr.lines.slice(-Number(tail))) res.write(`${line}\n`);
    if (url.searchParams.get('follow') === 'true' && !pr.exited) {
      pr.followers.add(res);
      res.on('close', () => pr.followers.delete(res));
    } else {
      res.end();
    }
    return 200;
  }

  // ---- the kubelet and the job controller ----

  private runJob(namespace: string, name: string): void {
    const job = this.objects.get(`jobs/${namespace}/${name}`);
    if (job === undefined) return;
    const template = job.spec.template;
    try {
      this.create('pods', namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
          labels: { ...template.metadata?.labels, 'job-name': name, 'batch.kubernetes.io/job-name': name, 'controller-uid': job.metadata.uid },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid, controller: true }],
        },
        spec: template.spec,
      });
    } catch (err) {
      // A real job controller records FailedCreate events; here the status says it.
      job.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'FailedCreate', message: (err as Error).message }] };
      this.bump(`jobs/${namespace}/${name}`, 'MODIFIED', job);
    }
  }

  private setPodStatus(namespace: string, name: string, status: Doc): void {
    const key = `pods/${namespace}/${name}`;
    const pod = this.objects.get(key);
    if (pod === undefined) return;
    pod.status = { ...pod.status, ...status };
    this.bump(key, 'MODIFIED', pod);
  }

  /** Overwrites a line of a pod's log (a test's corruption). */
  corruptLog(namespace: string, name: string, edit: (lines: string[]) => string[]): void {
    const pr = this.pods.get(`${namespace}/${name}`);
    if (pr === undefined) throw new Error(`no pod ${namespace}/${name}`);
    const next = edit([...pr.lines]);
    pr.lines.length = 0;
    pr.lines.push(...next);
  }

  /** Called when an in-process pod's log is complete, before its status says so (a test's hook, e.g. to corrupt it). */
  onIndexedPodExit: ((namespace: string, pod: string, index: number, code: number) => void) | null = null;

  private readonly inProcess = new Map<string, AbortController>();

  /** The Job controller of an Indexed Job whose pods run in this process (options.indexedPod). */
  private runIndexedJob(namespace: string, name: string): void {
    const key = `jobs/${namespace}/${name}`;
    const job = this.objects.get(key);
    const runner = this.options.indexedPod;
    if (job === undefined) return;
    if (runner === undefined) throw new Error('an Indexed Job needs FakeKubeOptions.indexedPod');
    const spec = job.spec;
    const completions: number = spec.completions;
    const parallelism: number = spec.parallelism ?? 1;
    const backoff: number = spec.backoffLimitPerIndex ?? 0;
    const failJobCodes: number[] = (spec.podFailurePolicy?.rules ?? []).filter((r: Doc) => r.action === 'FailJob' && r.onExitCodes?.operator === 'In').flatMap((r: Doc) => r.onExitCodes.values);
    const queue = Array.from({ length: completions }, (_, i) => i);
    const failures = new Map<number, number>();
    const completed = new Set<number>();
    const failedIndexes = new Set<number>();
    let active = 0;
    let failedPods = 0;
    let ended = false;
    const ranges = (set: Set<number>): string => [...set].sort((a, b) => a - b).join(',');
    const status = (condition?: Doc): void => {
      if (!this.objects.has(key)) return;
      job.status = {
        active,
        succeeded: completed.size,
        failed: failedPods,
        completedIndexes: ranges(completed),
        ...(failedIndexes.size > 0 ? { failedIndexes: ranges(failedIndexes) } : {}),
        ...(condition === undefined ? {} : { conditions: [condition] }),
      };
      this.bump(key, 'MODIFIED', job);
    };
    const start = (index: number): void => {
      const template = job.spec.template;
      const podName = `${name}-${index}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const pod = this.create('pods', namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          labels: { ...template.metadata?.labels, 'job-name': name, 'batch.kubernetes.io/job-name': name, 'batch.kubernetes.io/job-completion-index': String(index) },
          annotations: { 'batch.kubernetes.io/job-completion-index': String(index), 'fake.actorsim.dev/in-process': 'true' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid, controller: true }],
        },
        spec: template.spec,
      });
      const container = pod.spec.containers[0] as Doc;
      const files: Record<string, string> = {};
      for (const m of container.volumeMounts ?? []) {
        const vol = (pod.spec.volumes ?? []).find((v: Doc) => v.name === m.name);
        if (vol?.configMap === undefined) continue;
        for (const [k, v] of Object.entries(this.get(`configmaps/${namespace}/${vol.configMap.name}`).data ?? {})) files[`${m.mountPath}/${k}`] = v as string;
      }
      const env: Record<string, string> = { JOB_COMPLETION_INDEX: String(index) };
      for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      if (!this.hasImage(container.image)) {
        // The fake has no registry: the pull never succeeds, and the pod stays Pending (and active) as a kubelet leaves it.
        active += 1;
        const waiting =
          container.imagePullPolicy === 'Never'
            ? { reason: 'ErrImageNeverPull', message: `Container image "${container.image}" is not present with pull policy of Never` }
            : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}": ErrImagePull: failed to pull and unpack image "${container.image}": not found` };
        this.setPodStatus(namespace, podName, { phase: 'Pending', containerStatuses: [{ name: container.name, ready: false, started: false, restartCount: 0, image: container.image, imageID: '', state: { waiting } }] });
        return;
      }
      const pr: PodRuntime = { child: null, lines: [], followers: new Set(), exited: false, killTimer: null };
      this.pods.set(`${namespace}/${podName}`, pr);
      const controller = new AbortController();
      this.inProcess.set(`${namespace}/${podName}`, controller);
      active += 1;
      this.setPodStatus(namespace, podName, { phase: 'Running', containerStatuses: [{ name: container.name, ready: true, started: true, restartCount: 0, image: container.image, imageID: 'fake', state: { running: { startedAt: new Date().toISOString() } } }] });
      const attempt = failures.get(index) ?? 0;
      void runner({ index, attempt, files, env, writeLine: (l) => pr.lines.push(l), signal: controller.signal })
        .catch((err: unknown) => {
          pr.lines.push(String((err as Error).stack ?? err));
          return 1;
        })
        .then((code) => {
          pr.exited = true;
          active -= 1;
          if (controller.signal.aborted || !this.objects.has(key)) return;
          this.onIndexedPodExit?.(namespace, podName, index, code);
          this.setPodStatus(namespace, podName, {
            phase: code === 0 ? 'Succeeded' : 'Failed',
            containerStatuses: [{ name: container.name, ready: false, started: false, restartCount: 0, image: container.image, imageID: 'fake', state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } } }],
          });
          if (code === 0) completed.add(index);
          else {
            failedPods += 1;
            const f = attempt + 1;
            failures.set(index, f);
            if (failJobCodes.includes(code)) {
              ended = true;
              status({ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: `Container ${container.name} for pod ${namespace}/${podName} failed with exit code ${code} matching FailJob rule at index 0` });
              return;
            }
            if (f > backoff) failedIndexes.add(index);
            else queue.push(index);
          }
          if (failedIndexes.size > (spec.maxFailedIndexes ?? completions)) {
            ended = true;
            status({ type: 'Failed', status: 'True', reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' });
            return;
          }
          if (completed.size + failedIndexes.size === completions) {
            ended = true;
            status(failedIndexes.size > 0 ? { type: 'Failed', status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' } : { type: 'Complete', status: 'True' });
            return;
          }
          status();
          pump();
        });
    };
    const pump = (): void => {
      while (!ended && active < parallelism && queue.length > 0 && this.objects.has(key)) start(queue.shift()!);
    };
    status();
    pump();
  }

  /** Every image a pod was started with (not in-process pods). */
  readonly podImages = new Set<string>();

  /** The nodes' status.images, as a kubelet lists them: tag names and, given a digest, the repository digest name. */
  private nodeImages(): { names: string[]; sizeBytes: number }[] {
    return this.options.images.map((image) => {
      const digest = this.options.digests?.[image];
      const repo = `docker.io/library/${image.replace(/:[^:/]*$/, '')}`;
      return { names: digest === undefined ? [`docker.io/library/${image}`] : [`${repo}@${digest}`, `docker.io/library/${image}`], sizeBytes: 1 };
    });
  }

  private hasImage(image: string): boolean {
    if (this.options.images.includes(image)) return true;
    const at = image.indexOf('@');
    return at > 0 && this.options.images.includes(image.slice(0, at)) && this.options.digests?.[image.slice(0, at)] === image.slice(at + 1);
  }

  private runPod(namespace: string, name: string): void {
    const pod = this.objects.get(`pods/${namespace}/${name}`);
    if (pod === undefined || this.closed || pod.metadata.annotations?.['fake.actorsim.dev/in-process'] === 'true') return;
    const pr: PodRuntime = { child: null, lines: [], followers: new Set(), exited: false, killTimer: null };
    this.pods.set(`${namespace}/${name}`, pr);
    const container = pod.spec.containers[0] as Doc;
    this.podImages.add(container.image);
    if (!this.hasImage(container.image)) {
      this.setPodStatus(namespace, name, {
        containerStatuses: [{ name: container.name, ready: false, restartCount: 0, image: container.image, imageID: '', state: { waiting: { reason: 'ErrImageNeverPull', message: `Container image "${container.image}" is not present with pull policy of Never` } } }],
      });
      return;
    }
    const ip = pod.metadata.annotations['fake.actorsim.dev/ip'] as string;
    const podDir = join(this.options.workDir, 'pods', namespace, name);
    const mounts: [string, string][] = [['/app', this.options.repo]];
    for (const m of container.volumeMounts ?? []) {
      const vol = (pod.spec.volumes ?? []).find((v: Doc) => v.name === m.name);
      let dir: string;
      if (vol?.persistentVolumeClaim !== undefined) dir = join(this.options.workDir, 'claims', namespace, vol.persistentVolumeClaim.claimName);
      else if (vol?.configMap !== undefined) {
        dir = join(podDir, 'volumes', m.name);
        mkdirSync(dir, { recursive: true });
        for (const [k, v] of Object.entries(this.get(`configmaps/${namespace}/${vol.configMap.name}`).data ?? {})) writeFileSync(join(dir, k), v as string);
      } else dir = join(podDir, 'volumes', m.name);
      mkdirSync(dir, { recursive: true });
      mounts.push([m.mountPath, dir]);
    }
    mounts.sort((a, b) => b[0].length - a[0].length);
    const mapPath = (s: string): string => {
      for (const [from, to] of mounts) if (s === from || s.startsWith(`${from}/`)) return to + s.slice(from.length);
      return s;
    };
    const dns = (s: string): string => {
      let out = s;
      for (const svc of this.list('services', namespace)) {
        const target = this.list('pods', namespace).find((p) => matchesSelector(p, svc.spec?.selector ?? {}));
        const targetIp = target?.metadata?.annotations?.['fake.actorsim.dev/ip'];
        if (targetIp === undefined) continue;
        const host = new RegExp(`(//)${svc.metadata.name}(\\.${namespace}(\\.svc(\\.cluster\\.local)?)?)?(?=[:/]|$)`, 'g');
        out = out.replace(host, `$1${targetIp}`);
      }
      return out;
    };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: podDir, NODE_NO_WARNINGS: '1' };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = dns(mapPath(e.value));
      else if (e.valueFrom?.secretKeyRef !== undefined) {
        const secret = this.get(`secrets/${namespace}/${e.valueFrom.secretKeyRef.name}`);
        const key = e.valueFrom.secretKeyRef.key;
        env[e.name] = secret.stringData?.[key] ?? Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
      } else if (e.valueFrom?.fieldRef !== undefined) {
        const path = e.valueFrom.fieldRef.fieldPath;
        env[e.name] = path === 'status.podIP' ? ip : path === 'metadata.name' ? name : path === 'metadata.namespace' ? namespace : '';
      }
    }
    if (pod.spec.automountServiceAccountToken === true) {
      mkdirSync(podDir, { recursive: true });
      env.KUBECONFIG = this.serviceAccountKubeconfig(namespace, pod.spec.serviceAccountName ?? 'default', join(podDir, 'in-cluster-kubeconfig'));
    }
    const argv = [...(container.command ?? []), ...(container.args ?? [])].map(mapPath);
    // A pod's processes die with it; here a pod is one process, killed by SIGKILL when deleted with grace 0
    // or at close(). So the container must be node itself: a wrapper (tsx, npm, sh -c) would take the
    // SIGKILL and leave the real server running as an orphan.
    if (argv[0] !== 'node') throw new Error(`fake kube: container ${container.name} runs ${JSON.stringify(argv[0])}; fake pods run node itself, never a wrapper`);
    const command = process.execPath;
    const child = spawn(command, argv.slice(1), { cwd: mapPath(container.workingDir ?? '/app'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    pr.child = child;
    const onLine = (line: string): void => {
      pr.lines.push(line);
      for (const f of pr.followers) f.write(`${line}\n`);
    };
    const outClosed = new Promise<void>((r) => createInterface({ input: child.stdout! }).on('line', onLine).on('close', r));
    const errClosed = new Promise<void>((r) => createInterface({ input: child.stderr! }).on('line', onLine).on('close', r));
    child.once('spawn', () => {
      const now = new Date().toISOString();
      this.setPodStatus(namespace, name, {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: '127.0.0.1',
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: [{ name: container.name, ready: true, started: true, restartCount: 0, image: container.image, imageID: 'fake', state: { running: { startedAt: now } } }],
      });
    });
    child.once('exit', (code, signal) => {
      void Promise.all([outClosed, errClosed]).then(() => {
        pr.exited = true;
        if (pr.killTimer !== null) clearTimeout(pr.killTimer);
        for (const f of pr.followers) f.end();
        pr.followers.clear();
        const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
        const key = `pods/${namespace}/${name}`;
        const current = this.objects.get(key);
        if (current === undefined) return;
        this.setPodStatus(namespace, name, {
          phase: exitCode === 0 ? 'Succeeded' : 'Failed',
          conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }],
          containerStatuses: [{ name: container.name, ready: false, started: false, restartCount: 0, image: container.image, imageID: 'fake', state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date().toISOString() } } }],
        });
        const owner = current.metadata.ownerReferences?.find((o: Doc) => o.kind === 'Job');
        if (owner !== undefined) {
          const job = this.objects.get(`jobs/${namespace}/${owner.name}`);
          if (job !== undefined) {
            job.status = exitCode === 0 ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } : { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
            this.bump(`jobs/${namespace}/${owner.name}`, 'MODIFIED', job);
          }
        }
        if (current.metadata.deletionTimestamp !== undefined) {
          this.objects.delete(key);
          this.bump(key, 'DELETED', current);
        }
      });
    });
  }
}

/** Whether an object's labels satisfy a label selector (`a=b`, `a==b`, `a!=b`, `a`, comma-separated). */
function matches(obj: Doc, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  const labels: Record<string, string> = obj.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne !== null) return labels[ne[1]!] !== ne[2];
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq !== null) return labels[eq[1]!] === eq[2];
    return labels[term] !== undefined;
  });
}

function matchesSelector(obj: Doc, selector: Record<string, string>): boolean {
  const labels: Record<string, string> = obj.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
