import type { V1Pod } from '@kubernetes/client-node';

/**
 * Reading a pod's status the way the runtime and the launcher need it: is
 * it up, is it gone for good, and if it is stuck, why, in one line a user
 * can act on. Here in cli/ because bench:cluster (real/k8s) and a study's
 * Indexed Job (sim/k8s-study.ts) both need it, and sim/ and real/ do not
 * import each other.
 */

/** Waiting reasons a container does not recover from by waiting longer. */
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

/** Waiting reasons that say the node cannot get the image: rebuilding or loading it, or naming another, is the fix. */
const IMAGE_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

/** A container stuck for good: which, why, the kubelet's message and the image it was to run. */
export interface StuckContainer {
  readonly container: string;
  readonly reason: string;
  readonly message: string;
  readonly image: string;
  /** The reason is about the image (cannot be pulled, not present, bad name). */
  readonly imageProblem: boolean;
}

/** The first container of the pod stuck for good (an image that cannot be pulled, a config error), else null. */
export function stuckContainer(pod: V1Pod): StuckContainer | null {
  for (const c of pod.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason === undefined || !FATAL_WAITING.has(w.reason)) continue;
    // The status names the image the kubelet was given; the spec is the fallback for an older status.
    const image = c.image || (pod.spec?.containers.find((s) => s.name === c.name)?.image ?? '?');
    return { container: c.name, reason: w.reason, message: w.message ?? '', image, imageProblem: IMAGE_WAITING.has(w.reason) };
  }
  return null;
}

/** The reason and message of a container stuck for good (an image that cannot be pulled, a config error), else null. */
export function fatalWaiting(pod: V1Pod): string | null {
  const stuck = stuckContainer(pod);
  return stuck === null ? null : `${stuck.container}: ${stuck.reason}${stuck.message ? `: ${stuck.message}` : ''}`;
}

/** Whether the pod runs, with an IP to dial (its container started; workers have no readiness probe, see worker-pod.ts). */
export function runningWithIp(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && typeof pod.status.podIP === 'string' && pod.status.podIP.length > 0;
}

/** Whether the pod has ended (its containers exited and will not restart). */
export function ended(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Exit code of the pod's first terminated container, or null. */
export function exitCode(pod: V1Pod): number | null {
  for (const c of pod.status?.containerStatuses ?? []) {
    const t = c.state?.terminated;
    if (t !== undefined) return t.exitCode;
  }
  return null;
}

/** One line on where the pod is: phase, unmet conditions, container states, with reasons and messages. */
export function describePod(pod: V1Pod): string {
  const parts: string[] = [`phase ${pod.status?.phase ?? 'unknown'}`];
  if (pod.status?.reason) parts.push(`${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ''}`);
  for (const cond of pod.status?.conditions ?? []) {
    if (cond.status !== 'True' && (cond.reason || cond.message)) parts.push(`${cond.type}=${cond.status} ${cond.reason ?? ''}${cond.message ? `: ${cond.message}` : ''}`.trim());
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    const t = c.state?.terminated;
    if (w?.reason) parts.push(`${c.name} waiting: ${w.reason}${w.message ? `: ${w.message}` : ''}`);
    if (t !== undefined) parts.push(`${c.name} terminated: exit ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${t.message ? `: ${t.message}` : ''}`);
  }
  return parts.join('; ');
}

/** A client-node error as one line: the API's status message when there is one. */
export function apiErrorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  if (typeof e.code === 'number') {
    let message = '';
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
      message = body?.message ?? '';
    } catch {
      message = typeof e.body === 'string' ? e.body : '';
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  const code = typeof e.code === 'string' ? e.code : e.cause?.code;
  return `${e.message ?? String(err)}${code !== undefined && !(e.message ?? '').includes(code) ? ` (${code})` : ''}`;
}

/** The HTTP status of a client-node API error, or null when no answer came. */
export function apiStatus(err: unknown): number | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : null;
}
