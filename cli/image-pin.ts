import type { CoreV1Api, V1Node } from '@kubernetes/client-node';

// The image of a k8s run or study (real/k8s, sim/k8s-study.ts), here because
// sim/ and real/ do not import each other.
//
// Every pod of a run (store, driver, workers, a study's pods) runs the image by
// digest when the cluster can say which digest its tag names: a tag can be
// re-pointed between two pods of one run (an image rebuilt and loaded mid-run,
// or a node holding an older build), a digest cannot. Without a registry the
// only witness is the kubelet: each node lists the names of the images it
// holds (`status.images[].names`), tags and repository digests alike.
// scripts/local-cluster-up.sh gives the image it imports a digest name for
// this; an image pulled from a registry has one already.

/** A Docker-style reference split into its parts, the repository normalized as the CRI does (docker.io/library/...). */
export interface ImageRef {
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses `name[:tag][@sha256:...]`, with Docker Hub's defaults: no registry is docker.io, a one-part name is library/name, no tag and no digest is :latest. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repository = hasRegistry ? rest : parts.length === 1 ? `docker.io/library/${rest}` : `docker.io/${rest}`;
  if (tag === null && digest === null) tag = 'latest';
  return { repository, tag, digest };
}

/** What a run's pods will name: the image, pinned or not, and one line saying which. */
export type ImagePin =
  | { readonly kind: 'pinned'; readonly image: string; readonly note: string }
  | { readonly kind: 'unpinned'; readonly image: string; readonly note: string }
  | { readonly kind: 'conflict'; readonly message: string };

/**
 * Pins `image` to the digest the cluster's nodes hold under its tag. An image
 * given with a digest is kept as it is. `nodes` null: the nodes could not be
 * listed. Nodes holding the tag under two digests is a conflict: the run would
 * mix two builds.
 */
export function pinImage(image: string, nodes: readonly V1Node[] | null): ImagePin {
  const ref = parseImageRef(image);
  if (ref.digest !== null) {
    return DIGEST.test(ref.digest)
      ? { kind: 'pinned', image, note: `image ${image} (pinned by --image)` }
      : { kind: 'conflict', message: `--image ${image}: the digest after @ is not sha256:<64 hex digits>` };
  }
  const tagged = `${ref.repository}:${ref.tag}`;
  if (nodes === null) return { kind: 'unpinned', image, note: `image ${image}, by tag: the nodes cannot be listed, so its digest is unknown (pass --image NAME@sha256:... to pin it)` };
  const byDigest = new Map<string, string[]>();
  for (const node of nodes) {
    for (const held of node.status?.images ?? []) {
      const names = held.names ?? [];
      if (!names.some((n) => n === image || n === tagged)) continue;
      for (const n of names) {
        const r = parseImageRef(n);
        if (r.repository === ref.repository && r.digest !== null && DIGEST.test(r.digest)) {
          const list = byDigest.get(r.digest) ?? [];
          list.push(node.metadata?.name ?? '?');
          byDigest.set(r.digest, list);
        }
      }
    }
  }
  if (byDigest.size === 0) {
    return { kind: 'unpinned', image, note: `image ${image}, by tag: no node lists a digest for it (an image loaded without a registry has none unless scripts/local-cluster-up.sh imported it; pass --image NAME@sha256:... to pin it)` };
  }
  if (byDigest.size > 1) {
    const which = [...byDigest].map(([d, ns]) => `${[...new Set(ns)].join(', ')}: ${d}`).join('; ');
    return { kind: 'conflict', message: `the nodes hold different images under ${image} (${which}): load one build on every node (scripts/build-image.sh, scripts/local-cluster-up.sh), or pass --image NAME@sha256:... to choose one` };
  }
  const [digest] = [...byDigest.keys()];
  return { kind: 'pinned', image: `${image}@${digest}`, note: `image ${image} pinned to ${digest}` };
}

/** Lists the nodes for {@link pinImage}; null (not an error) when this user may not list them, after telling `onError` why. */
export async function listNodesOrNull(core: CoreV1Api, onError: (err: unknown) => void): Promise<V1Node[] | null> {
  try {
    return (await core.listNode()).items;
  } catch (err) {
    onError(err);
    return null;
  }
}
