import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterUnreachableError } from './errors.ts';

/** How the launcher finds its cluster. */
export interface ClusterTarget {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** A loaded kubeconfig and what it points at, for messages. */
export interface Cluster {
  readonly kc: KubeConfig;
  readonly server: string;
  readonly context: string;
}

/** Loads the kubeconfig (--kubeconfig, else $KUBECONFIG, else ~/.kube/config) and picks the context. */
export function loadCluster(target: ClusterTarget): Cluster {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig !== undefined) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
    if (target.context !== undefined) kc.setCurrentContext(target.context);
  } catch (err) {
    throw new ClusterUnreachableError(`cannot load the kubeconfig${target.kubeconfig === undefined ? '' : ` ${target.kubeconfig}`}: ${(err as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ClusterUnreachableError(`the kubeconfig has no cluster for context "${kc.getCurrentContext()}"`);
  return { kc, server: cluster.server, context: kc.getCurrentContext() };
}

/**
 * Asks the API server for /version within `timeoutMs`, with the kubeconfig's
 * credentials, and throws a {@link ClusterUnreachableError} naming what to do
 * if it does not answer. The request is made here rather than through the
 * generated client so that the timeout really ends it: a half-open
 * connection must not keep the process alive after the message.
 */
export async function probeCluster(cluster: Cluster, timeoutMs = 5_000): Promise<string> {
  const where = `context "${cluster.context}", server ${cluster.server}`;
  // The options of node's own https.request: headers (tokens, exec plugins), the agent (CA, client certificates), basic auth.
  const opts: { headers: Record<string, string>; agent?: unknown; auth?: string; [tls: string]: unknown } = { headers: {} };
  try {
    await cluster.kc.applyToHTTPSOptions(opts as never);
  } catch (err) {
    throw new ClusterUnreachableError(`${where}: cannot apply the kubeconfig's credentials: ${(err as Error).message}`);
  }
  const url = new URL('/version', cluster.server);
  const answer = await new Promise<{ status: number; body: string } | Error>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // The agent carries the TLS material (CA, client certificate); the same fields on the request make sure of it.
    const tls = Object.fromEntries(['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
    const req = send(url, { method: 'GET', headers: opts.headers, ...tls, ...(opts.agent === undefined ? {} : { agent: opts.agent as Agent }), ...(opts.auth === undefined ? {} : { auth: opts.auth }), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve(err));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => resolve(err));
    req.end();
  });
  if (answer instanceof Error) {
    const code = (answer as Error & { code?: string }).code;
    throw new ClusterUnreachableError(`${where}: ${answer.message}${code !== undefined && !answer.message.includes(code) ? ` (${code})` : ''}`);
  }
  if (answer.status === 401 || answer.status === 403) {
    // The server is there; credentials are checked by the calls that follow, with their own messages.
    return 'unknown (version withheld)';
  }
  if (answer.status !== 200) throw new ClusterUnreachableError(`${where}: GET /version answered HTTP ${answer.status}`);
  try {
    return (JSON.parse(answer.body) as { gitVersion?: string }).gitVersion ?? 'unknown';
  } catch {
    throw new ClusterUnreachableError(`${where}: GET /version did not answer like a Kubernetes API server`);
  }
}
