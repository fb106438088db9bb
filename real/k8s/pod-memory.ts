import { request, type Agent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Port of the kubelet's authenticated API. */
export const KUBELET_PORT = 10250;

/** A worker pod as the memory reader needs it: where it runs and who it is. */
export interface PodRef {
  readonly hostIp: string;
  readonly uid: string;
}

/** Whether a failed read will fail again (refused, unauthorized, a certificate the cluster CA did not sign), unlike a slow or busy kubelet. */
function permanent(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (e.code !== undefined && e.code !== 'ECONNRESET') || /^HTTP 40[13]/.test(e.message ?? '');
}

/** The kubelet Summary API's fields this reads (GET /stats/summary). */
interface Summary {
  readonly pods?: readonly { readonly podRef?: { readonly uid?: string }; readonly memory?: { readonly workingSetBytes?: number } }[];
}

/**
 * A worker pod's memory as its node sees it: the working set of the pod's
 * cgroup, from the kubelet's Summary API, rather than the worker process's
 * RSS. Under gVisor the difference is the point: the pod's cgroup holds the
 * Sentry, the Gofer and the sandbox's memory file, all of which the host pays
 * for, while the worker's RSS is what the Sentry tells it.
 *
 * The driver asks each node's kubelet directly with its service account
 * token, which needs `get` on `nodes/stats` (scripts/local-cluster-up.sh
 * grants it) and a kubelet serving certificate the cluster CA signed (the
 * local cluster's is; kind's kubelets sign their own). If either is missing
 * the first read says why and the reader turns itself off: the runtime then
 * reports the workers' RSS, as before.
 */
export class PodMemoryReader {
  private disabledWhy: string | null = null;
  private skipped = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log?: (line: string) => void,
    private readonly timeoutMs = 15_000,
  ) {}

  /** Why it is off (null while it works). */
  get disabled(): string | null {
    return this.disabledWhy;
  }

  /** The working set of each pod by uid; null when pod memory cannot be had (then never again). */
  async read(pods: readonly PodRef[]): Promise<Map<string, number> | null> {
    if (this.disabledWhy !== null) return null;
    const out = new Map<string, number>();
    for (const hostIp of new Set(pods.map((p) => p.hostIp))) {
      let summary: Summary;
      try {
        summary = await this.summary(hostIp);
      } catch (err) {
        const why = `kubelet ${hostIp}:${KUBELET_PORT}/stats/summary: ${(err as Error).message}`;
        if (!permanent(err)) {
          // A busy node's kubelet can take long to gather container stats (runsc answers them slowly): skip this sample only.
          if (this.skipped++ === 0) this.log?.(`pod memory: ${why}; skipping this memory sample (said once)`);
          return new Map();
        }
        this.disabledWhy = why;
        this.log?.(`pod memory: ${why}; memory samples are the workers' RSS instead of their pods' cgroup`);
        return null;
      }
      for (const p of summary.pods ?? []) {
        const uid = p.podRef?.uid;
        const bytes = p.memory?.workingSetBytes;
        if (uid !== undefined && typeof bytes === 'number') out.set(uid, bytes);
      }
    }
    return out;
  }

  private async summary(hostIp: string): Promise<Summary> {
    const opts: { headers: Record<string, string>; agent?: unknown; [tls: string]: unknown } = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts as never);
    const tls = Object.fromEntries(['ca', 'cert', 'key'].filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
    return new Promise<Summary>((resolve, reject) => {
      const req = request(
        { host: hostIp, port: KUBELET_PORT, path: '/stats/summary', method: 'GET', headers: opts.headers, ...tls, ...(opts.agent === undefined ? {} : { agent: opts.agent as Agent }), timeout: this.timeoutMs },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`HTTP ${res.statusCode}: ${body.trim().slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(body) as Summary);
            } catch {
              reject(new Error('not a kubelet summary'));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }
}
