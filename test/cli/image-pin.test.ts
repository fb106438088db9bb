import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { parseImageRef, pinImage } from '../../cli/image-pin.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function node(name: string, ...images: string[][]): V1Node {
  return { metadata: { name }, status: { images: images.map((names) => ({ names, sizeBytes: 1 })) } };
}

describe('parseImageRef', () => {
  it('normalizes as the CRI does: docker.io, library/, :latest', () => {
    expect(parseImageRef('actorsim:dev')).toEqual({ repository: 'docker.io/library/actorsim', tag: 'dev', digest: null });
    expect(parseImageRef('actorsim')).toEqual({ repository: 'docker.io/library/actorsim', tag: 'latest', digest: null });
    expect(parseImageRef('me/actorsim:1')).toEqual({ repository: 'docker.io/me/actorsim', tag: '1', digest: null });
    expect(parseImageRef('localhost:5000/actorsim')).toEqual({ repository: 'localhost:5000/actorsim', tag: 'latest', digest: null });
    expect(parseImageRef('ghcr.io/x/actorsim:dev@' + A)).toEqual({ repository: 'ghcr.io/x/actorsim', tag: 'dev', digest: A });
    expect(parseImageRef('localhost/actorsim-pause:1')).toEqual({ repository: 'localhost/actorsim-pause', tag: '1', digest: null });
  });
});

describe('pinImage', () => {
  it('pins a tag to the one digest the nodes list beside it', () => {
    const nodes = [node('n1', ['docker.io/library/actorsim@' + A, 'docker.io/library/actorsim:dev'], ['docker.io/library/other@' + B, 'docker.io/library/other:dev']), node('n2')];
    expect(pinImage('actorsim:dev', nodes)).toEqual({ kind: 'pinned', image: `actorsim:dev@${A}`, note: `image actorsim:dev pinned to ${A}` });
  });

  it('keeps the tag, and says why, when no node lists a digest or the nodes cannot be listed', () => {
    expect(pinImage('actorsim:dev', [node('n1', ['docker.io/library/actorsim:dev'])]).kind).toBe('unpinned');
    expect(pinImage('actorsim:dev', [node('n1', ['docker.io/library/actorsim:other', 'docker.io/library/actorsim@' + A])]).kind).toBe('unpinned');
    const none = pinImage('actorsim:dev', null);
    expect(none).toMatchObject({ kind: 'unpinned', image: 'actorsim:dev' });
    expect(none.kind === 'unpinned' && none.note).toMatch(/cannot be listed.*--image NAME@sha256/);
  });

  it('refuses two builds under one tag, naming the nodes and digests', () => {
    const pin = pinImage('actorsim:dev', [node('n1', ['docker.io/library/actorsim@' + A, 'docker.io/library/actorsim:dev']), node('n2', ['docker.io/library/actorsim:dev', 'docker.io/library/actorsim@' + B])]);
    expect(pin.kind).toBe('conflict');
    expect(pin.kind === 'conflict' && pin.message).toMatch(new RegExp(`n1: ${A}; n2: ${B}`));
  });

  it('keeps an image given by digest, and refuses a malformed digest', () => {
    expect(pinImage(`actorsim@${A}`, null)).toMatchObject({ kind: 'pinned', image: `actorsim@${A}` });
    expect(pinImage('actorsim@sha256:zz', null).kind).toBe('conflict');
  });
});
