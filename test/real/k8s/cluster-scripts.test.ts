import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, removeTempDirs, tempDir } from '../helpers.ts';
import { WAIT_CEILING_MS } from '../../helpers/wait.ts';
import { schemaProblems, yamlDocs } from './manifest-checks.ts';

afterAll(removeTempDirs);

const BASH = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

/** A PATH holding only the named tools (links to this machine's), plus stubs. */
function pathWith(tools: readonly string[], stubs: Record<string, string> = {}): string {
  const bin = join(tempDir('path'), 'bin');
  mkdirSync(bin, { recursive: true });
  for (const t of tools) {
    const real = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    if (real !== '') symlinkSync(real, join(bin, t));
  }
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), `#!${BASH}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

const BASICS = ['dirname', 'awk', 'grep', 'sed', 'cat', 'mkdir', 'rm', 'mktemp', 'head', 'tar', 'bzip2', 'sha512sum', 'chmod', 'printf', 'sleep'];

function script(name: string, args: string[], path: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(BASH, [join(REPO, 'scripts', name), ...args], { cwd: REPO, env: { PATH: path, HOME: tempDir('home'), XDG_CACHE_HOME: tempDir('cache') }, encoding: 'utf8', timeout: WAIT_CEILING_MS });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/cluster-up.sh', () => {
  it('is clean under shellcheck, with every script', () => {
    const r = spawnSync('shellcheck', ['scripts/cluster-up.sh', 'scripts/cluster-down.sh', 'scripts/build-image.sh'], { cwd: REPO, encoding: 'utf8' });
    if (r.error !== undefined) return; // no shellcheck on this machine: CI's does the check
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('prints a kind config with the asked node count, the runsc handler for both containerd config versions, and a valid RuntimeClass', () => {
    const { code, out } = script('cluster-up.sh', ['--print-config', '--name', 'bench', '--nodes', '4'], pathWith(BASICS));
    expect(code).toBe(0);
    const sections = out.split(/^# /m).filter((s) => s.length > 0);
    const kind = parseYaml(sections.find((s) => s.startsWith('kind cluster config'))!.split('\n').slice(1).join('\n'));
    expect(kind).toEqual({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'bench', nodes: [{ role: 'control-plane' }, { role: 'worker' }, { role: 'worker' }, { role: 'worker' }] });
    expect(out).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"');
    expect(out).toContain('[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"');
    expect(out).toContain('systemd-cgroup = "true"');
    const rc = yamlDocs(sections.find((s) => s.startsWith('RuntimeClass'))!.split('\n').slice(1).join('\n'));
    expect(rc).toEqual([{ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'gvisor', labels: { 'app.kubernetes.io/part-of': 'actorsim' } }, handler: 'runsc' }]);
    expect(schemaProblems(rc[0]!)).toEqual([]);
  });

  it('names every missing prerequisite and changes nothing', () => {
    const { code, err } = script('cluster-up.sh', [], pathWith(BASICS.filter((t) => t !== 'bzip2')));
    expect(code).toBe(1);
    for (const tool of ['docker', 'kind', 'kubectl', 'curl']) expect(err).toMatch(new RegExp(`^  - ${tool}\\b`, 'm'));
    if (execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar')) expect(err).toMatch(/^ {2}- bzip2/m);
  });

  it('refuses a gVisor download whose sha512 does not match the published and pinned sums, installing nothing', () => {
    const log = join(tempDir('calls'), 'calls.log');
    const stubs = {
      docker: `echo "docker $*" >> ${log}
case "$1" in
  info) exit 0 ;;
  exec) [ "$3" = uname ] && echo x86_64; exit 0 ;;
  *) exit 0 ;;
esac`,
      kind: `echo "kind $*" >> ${log}
case "$1 $2" in
  "version ") echo "kind v0.30.0 go1.24 linux/amd64" ;;
  "get clusters") echo actorsim ;;
  "get nodes") echo actorsim-control-plane ;;
esac`,
      kubectl: `echo "kubectl $*" >> ${log}`,
      // A "release" that is not gVisor's: its published sum matches it, the pinned one does not.
      curl: `echo "curl $*" >> ${log}
out=""; url=""
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac; done
case "$url" in
  *.sha512) sum=$(sha512sum "$(dirname "$out")/gvisor.tar.bz2" | awk '{print $1}'); echo "$sum  gvisor.tar.bz2" > "$out" ;;
  *) echo "not gvisor" > "$out" ;;
esac`,
    };
    const { code, err } = script('cluster-up.sh', [], pathWith(BASICS, stubs));
    expect(code).toBe(1);
    expect(err).toContain('failed its checksum');
    expect(err).toContain('nothing was installed');
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('curl -fsSL --retry 3 -o');
    expect(calls).toContain('https://storage.googleapis.com/gvisor/releases/release/20260928.0/x86_64/gvisor.tar.bz2');
    expect(calls).not.toContain('kind create');
    expect(calls).not.toMatch(/docker cp/);
    expect(calls).not.toContain('kubectl');
  });

  it('asks for a checksum for a release it has none pinned for', () => {
    const stubs = {
      docker: 'case "$1" in info) exit 0 ;; exec) [ "$3" = uname ] && echo aarch64; exit 0 ;; esac',
      kind: 'case "$1 $2" in "version ") echo "kind v0.30.0" ;; "get clusters") echo actorsim ;; "get nodes") echo actorsim-control-plane ;; esac',
      kubectl: 'exit 0',
      curl: 'exit 1',
    };
    const { code, err } = script('cluster-up.sh', ['--gvisor-release', '20261005.0'], pathWith(BASICS, stubs));
    expect(code).toBe(1);
    expect(err).toContain('no sha512 is pinned for gVisor 20261005.0 on aarch64; pass --gvisor-sha512');
  });
});

describe('scripts/cluster-down.sh', () => {
  it('is idempotent: no cluster, nothing to do', () => {
    const stubs = { docker: 'exit 0', kind: 'case "$1 $2" in "get clusters") exit 0 ;; *) echo "unexpected kind $*" >&2; exit 1 ;; esac' };
    const { code, out } = script('cluster-down.sh', ['--name', 'gone'], pathWith(BASICS, stubs));
    expect(code).toBe(0);
    expect(out).toContain('no kind cluster named gone; nothing to do');
  });
});

describe('the image', () => {
  it('holds every file the worker, store and driver import, and installs every package they import', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const dockerfile = readFileSync(join(REPO, 'real/k8s/Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \.\/\S*$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(join(file, '..', spec).replace(/\\/g, '/'));
        else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    };
    for (const entry of ['real/worker/main.ts', 'real/store/main.ts', 'real/k8s/job-main.ts']) visit(entry);
    expect(seen.size).toBeGreaterThan(20);
    for (const file of seen) {
      const top = file.split('/')[0]!;
      expect(copied, `${file} is not copied into the image`).toContain(top);
      expect(ignore, `${file} is excluded from the build context`).toContain(`!${top}/**`);
      expect(existsSync(join(REPO, file))).toBe(true);
    }
    // `npm ci --omit=dev` installs dependencies only; tsx runs the TypeScript.
    for (const p of [...packages, 'tsx']) expect(Object.keys(pkg.dependencies), `${p} must be a dependency, not a devDependency`).toContain(p);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });
});
