import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoFile } from '../../cli/repo.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import { loadScenarioFile, type LoadDependency } from '../../scenarios/load.ts';
import { ListCache } from '../../sim/list-cache.ts';
import { cachedListing, listPolicySets, type ListArgs } from '../../sim/simulate-list.ts';
import { ACTOR_TEMPLATES, BASE, edit, scratch, SUBSTRATE_SCENARIO, WORKER_POOL } from '../scenarios/load-fixtures.ts';

const SHIPPED = readdirSync(repoFile('scenarios')).filter((f) => f.endsWith('.yaml')).sort();

const tmp = scratch('list-cache-');
afterAll(() => tmp.cleanup());

let counter = 0;
/** A fresh folder under the scratch folder. */
function folder(): string {
  const dir = join(tmp.dir, `d${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What `simulate --list` prints for `args`, with the cache in `cacheDir` (null: none). */
async function listed(args: ListArgs, cacheDir: string | null): Promise<string> {
  let out = '';
  expect(await listPolicySets(args, { out: (t) => (out += t) }, cacheDir)).toBe(0);
  return out;
}

/** The error a listing throws, and what it printed before (nothing, when it is the loader's). */
async function listingError(args: ListArgs, cacheDir: string | null): Promise<{ error: unknown; out: string }> {
  let out = '';
  try {
    await listPolicySets(args, { out: (t) => (out += t) }, cacheDir);
  } catch (error) {
    return { error, out };
  }
  throw new Error(`${args.scenario} listed: ${out}`);
}

/** The loader's own error for `file`. */
function loaderError(file: string, allowOutside = false): unknown {
  try {
    loadScenarioFile(file, { allowOutside });
  } catch (err) {
    return err;
  }
  throw new Error(`${file} loads`);
}

/** A scenario whose pools and templates come from an included file: scenario.yaml and manifests/kagent.yaml. */
function withInclude(dir: string): { scenario: string; include: string } {
  const scenario = join(dir, 'scenario.yaml');
  const include = join(dir, 'manifests', 'kagent.yaml');
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  writeFileSync(scenario, edit(SUBSTRATE_SCENARIO, 'costs: substrate-kind', 'include: [manifests/kagent.yaml]\ncosts: substrate-kind'));
  writeFileSync(include, `${WORKER_POOL}---\n${ACTOR_TEMPLATES}`);
  return { scenario, include };
}

describe('the listing cache of simulate --list', () => {
  it.each(SHIPPED)('answers %s from the cache with the bytes of a full load', async (name) => {
    const args = { scenario: repoFile('scenarios', name), allowOutside: false };
    const cacheDir = folder();
    const full = await listed(args, null);
    expect(full.length).toBeGreaterThan(0);
    expect(await new ListCache(cacheDir, args).lookup()).toBeNull();
    expect(await listed(args, cacheDir)).toBe(full);
    // Recorded by that listing, so the next one is answered without the loader: by sim/cli.ts itself, or here.
    expect(await new ListCache(cacheDir, args).lookup()).toEqual(full.split('\n').slice(0, -1));
    expect(await cachedListing(args, cacheDir)).toBe(full);
    expect(await listed(args, cacheDir)).toBe(full);
  });

  it('the loader reports what the result depends on, and loads the same with the observer as without', () => {
    const dir = folder();
    const { scenario, include } = withInclude(dir);
    const dependencies: LoadDependency[] = [];
    const observed = loadScenarioFile(scenario, { onDependency: (d) => dependencies.push(d) });
    expect(observed).toEqual(loadScenarioFile(scenario));
    const texts = dependencies.filter((d) => d.kind === 'text');
    expect(texts.map((d) => d.path)).toEqual([scenario, repoFile('scenarios', 'profiles', 'substrate-kind.yaml'), include]);
    expect(texts[2]!.text).toBe(readFileSync(include, 'utf8'));
    expect(dependencies).toContainEqual({ kind: 'real-path', path: include, real: include });
  });

  it('loads again when the scenario or an included file changed, and prints what the files now say', async () => {
    const { scenario, include } = withInclude(folder());
    const args = { scenario, allowOutside: false };
    const cacheDir = folder();
    expect(await listed(args, cacheDir)).toBe('ttl-1m\n');
    writeFileSync(scenario, edit(readFileSync(scenario, 'utf8'), '- name: ttl-1m', '- name: ttl-2m'));
    expect(await new ListCache(cacheDir, args).lookup()).toBeNull();
    expect(await listed(args, cacheDir)).toBe('ttl-2m\n');
    expect(await new ListCache(cacheDir, args).lookup()).toEqual(['ttl-2m']);
    writeFileSync(include, edit(readFileSync(include, 'utf8'), 'replicas: 3', 'replicas: 4'));
    expect(await new ListCache(cacheDir, args).lookup()).toBeNull();
    expect(await listed(args, cacheDir)).toBe('ttl-2m\n');
  });

  it('sees an edit of the same size with its mtime put back, made right after the listing', async () => {
    const file = join(folder(), 'scenario.yaml');
    writeFileSync(file, BASE);
    const args = { scenario: file, allowOutside: false };
    const cacheDir = folder();
    expect(await listed(args, cacheDir)).toBe('shared-p2c\none-pod-per-agent\n');
    const before = statSync(file);
    writeFileSync(file, edit(BASE, '- name: shared-p2c', '- name: shared-p2d'));
    utimesSync(file, before.atime, before.mtime);
    expect(await listed(args, cacheDir)).toBe('shared-p2d\none-pod-per-agent\n');
  });

  it('trusts the stat of a file older than the listing, and records the new stat of one touched but unchanged', async () => {
    const { scenario, include } = withInclude(folder());
    const args = { scenario, allowOutside: false };
    const cacheDir = folder();
    // A clock 10 s ahead: the files were written long enough before the listing for their stats to count.
    const later = { nowMs: () => Date.now() + 10_000 };
    await new ListCache(cacheDir, args, later).store(dependenciesOf(scenario), ['ttl-1m']);
    const [entry] = readdirSync(cacheDir);
    const recorded = readFileSync(join(cacheDir, entry!), 'utf8');
    expect(await new ListCache(cacheDir, args, later).lookup()).toEqual(['ttl-1m']);
    expect(readFileSync(join(cacheDir, entry!), 'utf8')).toBe(recorded);
    // Touched (a checkout, an editor saving the same text): compared by content, still a hit, its new stat recorded.
    const t = new Date(Date.now() - 60_000);
    utimesSync(include, t, t);
    expect(await new ListCache(cacheDir, args, later).lookup()).toEqual(['ttl-1m']);
    expect(readFileSync(join(cacheDir, entry!), 'utf8')).not.toBe(recorded);
    expect(JSON.parse(readFileSync(join(cacheDir, entry!), 'utf8')).dependencies).toContainEqual(expect.objectContaining({ path: include, stat: expect.objectContaining({ mtimeMs: statSync(include).mtimeMs }) }));
    // A change of size is seen from the stat alone.
    writeFileSync(include, `${readFileSync(include, 'utf8')}\n`);
    expect(await new ListCache(cacheDir, args, later).lookup()).toBeNull();
  });

  it('a scenario made invalid after it was listed gives the loader\'s error, and is never answered from the cache', async () => {
    const { scenario, include } = withInclude(folder());
    const args = { scenario, allowOutside: false };
    const cacheDir = folder();
    expect(await listed(args, cacheDir)).toBe('ttl-1m\n');
    writeFileSync(include, edit(readFileSync(include, 'utf8'), 'kind: WorkerPool', 'kind: WorkerPools'));
    const { error, out } = await listingError(args, cacheDir);
    expect(out).toBe('');
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).message).toBe((loaderError(scenario) as ScenarioError).message);
    // Still the loader's each time: an error is not recorded.
    expect(await new ListCache(cacheDir, args).lookup()).toBeNull();
    expect((await listingError(args, cacheDir)).error).toBeInstanceOf(ScenarioError);
  });

  it('a trace file removed after the listing is the loader\'s error', async () => {
    const dir = folder();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, edit(BASE, '  - template: agent\n    actors: 20\n    arrivals: {kind: poisson, ratePerSec: 0.5}\n', '  - trace: {format: native, files: [traces.csv], template: agent}\n'));
    writeFileSync(join(dir, 'traces.csv'), 'not read by a listing\n');
    const args = { scenario: file, allowOutside: false };
    const cacheDir = folder();
    expect(await listed(args, cacheDir)).toBe('shared-p2c\none-pod-per-agent\n');
    rmSync(join(dir, 'traces.csv'));
    const { error } = await listingError(args, cacheDir);
    expect((error as ScenarioError).message).toBe((loaderError(file) as ScenarioError).message);
  });

  it('an included file swapped for a symbolic link out of the folder is refused, as the loader refuses it', async () => {
    const { scenario, include } = withInclude(folder());
    const args = { scenario, allowOutside: false };
    const cacheDir = folder();
    expect(await listed(args, cacheDir)).toBe('ttl-1m\n');
    const outside = join(folder(), 'kagent.yaml');
    renameSync(include, outside);
    symlinkSync(outside, include);
    const { error } = await listingError(args, cacheDir);
    expect((error as ScenarioError).message).toMatch(/outside the scenario's folder/);
    expect((error as ScenarioError).message).toBe((loaderError(scenario) as ScenarioError).message);
  });

  it('keys --allow-outside apart: a listing allowed to read outside is not one that is not', async () => {
    const root = folder();
    mkdirSync(join(root, 'inner'));
    const file = join(root, 'inner', 'scenario.yaml');
    writeFileSync(file, edit(BASE, 'costs: substrate-kind', 'costs: ../profile.yaml'));
    writeFileSync(join(root, 'profile.yaml'), readFileSync(repoFile('scenarios', 'profiles', 'substrate-kind.yaml')));
    const cacheDir = folder();
    const allowed = { scenario: file, allowOutside: true };
    const refused = { scenario: file, allowOutside: false };
    expect(await listed(allowed, cacheDir)).toBe('shared-p2c\none-pod-per-agent\n');
    expect(await new ListCache(cacheDir, allowed).lookup()).not.toBeNull();
    expect(await new ListCache(cacheDir, refused).lookup()).toBeNull();
    const { error } = await listingError(refused, cacheDir);
    expect((error as ScenarioError).message).toBe((loaderError(file) as ScenarioError).message);
    expect(await listed(allowed, cacheDir)).toBe('shared-p2c\none-pod-per-agent\n');

    // And the other way round: a listing inside the folder is recorded for itself only.
    const inside = join(root, 'inner', 'plain.yaml');
    writeFileSync(inside, BASE);
    expect(await listed({ scenario: inside, allowOutside: false }, cacheDir)).toBe('shared-p2c\none-pod-per-agent\n');
    expect(await new ListCache(cacheDir, { scenario: inside, allowOutside: true }).lookup()).toBeNull();
  });

  it('lists the same when the cache folder cannot be written or holds junk', async () => {
    const args = { scenario: repoFile('scenarios', 'small.yaml'), allowOutside: false };
    const full = await listed(args, null);
    // A folder under a regular file cannot be made, even by root.
    const blocker = join(folder(), 'a-file');
    writeFileSync(blocker, '');
    const unwritable = join(blocker, 'cache');
    expect(await listed(args, unwritable)).toBe(full);
    expect(await listed(args, unwritable)).toBe(full);
    expect(await new ListCache(unwritable, args).lookup()).toBeNull();

    const junk = folder();
    expect(await listed(args, junk)).toBe(full);
    for (const f of readdirSync(junk)) writeFileSync(join(junk, f), '{"format":1,');
    expect(await new ListCache(junk, args).lookup()).toBeNull();
    expect(await listed(args, junk)).toBe(full);
    expect(await new ListCache(junk, args).lookup()).not.toBeNull();
  });

  it('a listing recorded by other code of the loader is not used', async () => {
    const file = join(folder(), 'scenario.yaml');
    writeFileSync(file, BASE);
    const args = { scenario: file, allowOutside: false };
    const cacheDir = folder();
    const loaderFile = join(folder(), 'load.js');
    writeFileSync(loaderFile, '// one build\n');
    await new ListCache(cacheDir, args, { loaderFile }).store(dependenciesOf(file), ['shared-p2c', 'one-pod-per-agent']);
    expect(await new ListCache(cacheDir, args, { loaderFile }).lookup()).toEqual(['shared-p2c', 'one-pod-per-agent']);
    writeFileSync(loaderFile, '// the next build\n');
    expect(await new ListCache(cacheDir, args, { loaderFile }).lookup()).toBeNull();
  });
});

/** What loading `file` depends on, as listPolicySets collects it. */
function dependenciesOf(file: string): LoadDependency[] {
  const dependencies: LoadDependency[] = [];
  loadScenarioFile(file, { onDependency: (d) => dependencies.push(d) });
  return dependencies;
}
