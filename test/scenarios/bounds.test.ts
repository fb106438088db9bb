// Hostile but honest input: every kind is refused up front with a located message,
// before anything is generated, and without reading what it must not read.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import { importTrace, TraceError } from '../../scenarios/traces/index.ts';
import { MAX_ACTORS, MAX_INVOCATIONS, MAX_SCENARIO_FILE_BYTES } from '../../scenarios/limits.ts';
import {
  actorIdProblem,
  expectedInvocations,
  runBoundProblems,
  workerWorkloadProblems,
} from '../../scenarios/bounds.ts';
import { BASE, edit, loc, problemsOf, scratch } from './load-fixtures.ts';

const tmp = scratch('bounds-test-');
afterAll(() => tmp.cleanup());
let counter = 0;
const fixture = (text: string): string => tmp.write(`b${counter++}.yaml`, text);

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr.toString()}`);
}

function loadAllowingOutside(file: string): readonly string[] {
  try {
    loadScenarioFile(file, { allowOutside: true });
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error(`${file} loaded`);
}

// Reaching any of these messages means the file was never opened for reading (a FIFO
// would block the test for ever, /dev/zero would fill memory): the type is checked first.
describe('files that are not regular files', () => {
  it('a FIFO as the scenario', () => {
    const fifo = join(tmp.dir, 'fifo.yaml');
    mkfifo(fifo);
    expect(problemsOf(fifo)).toEqual([`${fifo}:1:1 (root): is a FIFO, not a regular file`]);
  });

  it('a FIFO as an include and as the costs, each at its field', () => {
    mkdirSync(join(tmp.dir, 'pipes'), { recursive: true });
    mkfifo(join(tmp.dir, 'pipes', 'manifests.yaml'));
    mkfifo(join(tmp.dir, 'pipes', 'profile.yaml'));
    const text = edit(edit(BASE, 'costs: substrate-kind', 'costs: pipes/profile.yaml'), 'duration: 1h\n', 'duration: 1h\ninclude: [pipes/manifests.yaml]\n');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([
      `${file}:${loc(text, 'costs: pipes/profile.yaml', 'pipes')} costs: cost profile file pipes/profile.yaml is a FIFO, not a regular file`,
      `${file}:${loc(text, '[pipes/manifests.yaml]', 'pipes')} include[0]: pipes/manifests.yaml is a FIFO, not a regular file`,
    ]);
  });

  it('/dev/zero is outside the folder, and a character device even where outside files are allowed', () => {
    const text = edit(BASE, 'duration: 1h\n', 'duration: 1h\ninclude: [/dev/zero]\n');
    const file = fixture(text);
    const at = loc(text, '[/dev/zero]', '/dev');
    expect(problemsOf(file)).toEqual([`${file}:${at} include[0]: /dev/zero is outside the scenario's folder (${tmp.dir}); files outside it are read only when allowed explicitly (--allow-outside)`]);
    expect(loadAllowingOutside(file)).toEqual([`${file}:${at} include[0]: /dev/zero is a character device, not a regular file`]);
  });

  it('a folder as a trace file', () => {
    mkdirSync(join(tmp.dir, 'traces.csv'), { recursive: true });
    const text = edit(BASE, '  - template: agent\n    actors: 20\n    arrivals: {kind: poisson, ratePerSec: 0.5}\n', '  - trace: {format: native, files: [traces.csv], template: agent}\n');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, '[traces.csv]', 'traces')} workload[0].trace.files[0]: traces.csv is a folder, not a regular file`]);
  });

  it('a FIFO given to the trace reader directly is refused before it is opened', async () => {
    const fifo = join(tmp.dir, 'trace-fifo.csv');
    mkfifo(fifo);
    const err = await importTrace({ format: 'native', files: [fifo] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).message).toBe(`${fifo}: is a FIFO, not a regular file`);
  });
});

describe('file size', () => {
  it('a scenario one byte over the cap is refused by its size, unread', () => {
    // Sparse: the size is there, the bytes are not; reading it would cost 16 MiB of zeros.
    const file = tmp.write('huge.yaml', '');
    truncateSync(file, MAX_SCENARIO_FILE_BYTES + 1);
    expect(problemsOf(file)).toEqual([`${file}:1:1 (root): is 16,777,217 bytes, more than the 16,777,216 a scenario, profile or included file may have`]);
  });

  it('an included file over the cap is refused at the include', () => {
    const big = tmp.write('big/manifests.yaml', '');
    truncateSync(big, MAX_SCENARIO_FILE_BYTES + 4096);
    const text = edit(BASE, 'duration: 1h\n', 'duration: 1h\ninclude: [big/manifests.yaml]\n');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([
      `${file}:${loc(text, '[big/manifests.yaml]', 'big')} include[0]: big/manifests.yaml is 16,781,312 bytes, more than the 16,777,216 a scenario, profile or included file may have`,
    ]);
  });
});

describe('paths outside the scenario folder', () => {
  const secret = 'root:x:0:0:root:/root:/bin/bash\nhunter2 is the password\n';
  const outside = scratch('bounds-outside-');
  afterAll(() => outside.cleanup());
  const secretFile = outside.write('passwd', secret);

  it('costs naming a file outside is refused without reading it', () => {
    const text = edit(BASE, 'costs: substrate-kind', `costs: ${secretFile}`);
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems).toEqual([`${file}:${loc(text, `costs: ${secretFile}`, secretFile)} costs: cost profile file ${secretFile} is outside the scenario's folder (${tmp.dir}); files outside it are read only when allowed explicitly (--allow-outside)`]);
  });

  it('allowed explicitly, a file that is no profile is still not echoed', () => {
    const file = fixture(edit(BASE, 'costs: substrate-kind', `costs: ${secretFile}`));
    const problems = loadAllowingOutside(file);
    expect(problems).toEqual([`${secretFile}:1:1 (root): expected a cost profile (a map of fields), got a string`]);
    for (const line of problems) {
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('/bin/bash');
    }
  });

  it('a profile with a line of text for a key or a value does not quote it', () => {
    const profile = tmp.write('profiles/leaky.yaml', 'name: leaky\nthe secret is hunter2: yes\nworkerStart: {kind: constant, value: the secret is hunter2}\n');
    const file = fixture(edit(BASE, 'costs: substrate-kind', 'costs: profiles/leaky.yaml'));
    const problems = problemsOf(file);
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).not.toContain('hunter2');
    expect(problems).toContain(`${profile}:2:1 (root): unknown field(s) (a key not shown: it is not a field name)`);
  });

  it('a symbolic link inside the folder that points out of it counts as outside', () => {
    const link = join(tmp.dir, 'linked-profile.yaml');
    symlinkSync(secretFile, link);
    const text = edit(BASE, 'costs: substrate-kind', 'costs: linked-profile.yaml');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'costs: linked-profile.yaml', 'linked')} costs: cost profile file linked-profile.yaml is outside the scenario's folder (${tmp.dir}); files outside it are read only when allowed explicitly (--allow-outside)`]);
  });

  it('an include and a trace climbing out with .. are refused at their fields', () => {
    const text = edit(
      edit(BASE, 'duration: 1h\n', 'duration: 1h\ninclude: [../etc/manifests.yaml]\n'),
      '  - template: agent\n    actors: 20\n',
      '  - trace: {format: native, files: [../../trace.csv], template: agent}\n  - template: agent\n    actors: 20\n',
    );
    const file = fixture(text);
    const why = "is outside the scenario's folder";
    expect(problemsOf(file)).toEqual([
      `${file}:${loc(text, '[../etc/manifests.yaml]', '../etc')} include[0]: ../etc/manifests.yaml ${why} (${tmp.dir}); files outside it are read only when allowed explicitly (--allow-outside)`,
      `${file}:${loc(text, '[../../trace.csv]', '../../')} workload[0].trace.files[0]: ../../trace.csv ${why} (${tmp.dir}); files outside it are read only when allowed explicitly (--allow-outside)`,
    ]);
  });

  it('the shipped profiles may still be named by absolute path', () => {
    const s = loadScenarioFile(fixture(edit(BASE, 'costs: substrate-kind', 'costs: substrate-cloud')));
    expect(s.costs.name).toBe('substrate-cloud');
  });
});

describe('upper bounds, checked before anything is generated', () => {
  it('actors: 2000000000', () => {
    const text = edit(BASE, 'actors: 20', 'actors: 2000000000');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'actors: 2000000000', '2000000000')} workload[0].actors: at most 10,000,000 actors, got 2000000000`]);
  });

  it('actors over the limit together, at the group that crosses it', () => {
    const half = MAX_ACTORS / 2;
    const text = edit(BASE, '  - template: agent\n    actors: 20\n    arrivals: {kind: poisson, ratePerSec: 0.5}\n', `  - {template: agent, actors: ${half}, arrivals: {kind: poisson, ratePerSec: 0.5}}\n  - {template: agent, actors: ${half}, arrivals: {kind: synchronized, at: 1m, window: 10s}}\n  - {template: agent, actors: 2, arrivals: {kind: poisson, ratePerSec: 0.5}}\n`);
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems).toEqual([
      `${file}:${loc(text, 'actors: 2,', '2')} workload[2].actors: brings the workload to 10,000,002 actors, more than 10,000,000`,
      `${file}:${loc(text, 'name: one-pod-per-agent', 'one')} policies[1].name: dedicated pool "agents" would start 5,000,000 workers (one per actor), more than 1,000,000`,
    ]);
  });

  it('ratePerSec: 1e12 is about 3.6e15 invocations in an hour', () => {
    const text = edit(BASE, 'ratePerSec: 0.5', 'ratePerSec: 1e12');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([
      `${file}:${loc(text, '{kind: poisson, ratePerSec: 1e12}')} workload[0].arrivals: about 3,600,000,000,000,000 invocations over 1h, more than 100,000,000 a workload may have: lower the rate, the actors or the duration`,
    ]);
  });

  it('duration: 100000000d', () => {
    const text = edit(BASE, 'duration: 1h', 'duration: 100000000d');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([
      `${file}:${loc(text, '{kind: poisson, ratePerSec: 0.5}')} workload[0].arrivals: about 4,320,000,000,000 invocations over 100000000d, more than 100,000,000 a workload may have: lower the rate, the actors or the duration`,
    ]);
  });

  it('a dedicated pool of 1.5 million actors would start 1.5 million workers', () => {
    const text = edit(BASE, 'actors: 20\n    arrivals: {kind: poisson, ratePerSec: 0.5}', 'actors: 1500000\n    arrivals: {kind: poisson, ratePerSec: 0.5}');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'name: one-pod-per-agent', 'one')} policies[1].name: dedicated pool "agents" would start 1,500,000 workers (one per actor), more than 1,000,000`]);
  });

  it('replicas past the per-pool limit', () => {
    const text = edit(BASE, 'replicas: 2', 'replicas: 5000000');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'replicas: 5000000', '5000000')} pools[0].replicas: at most 1,000,000 workers per pool, got 5000000`]);
  });

  it('a study of 1.5 million runs', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => i).join(', ');
    const replicas = Array.from({ length: 100 }, (_, i) => i + 1).join(', ');
    const text = `${BASE}study:\n  matrix: {replicas: [${replicas}], placement: [random, p2c, least-loaded, binpack, locality], eviction: [lru, greedy-dual, none]}\n  seeds: [${seeds}]\n`;
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, '  matrix:', 'matrix')} study: 1,502 policy set(s) x 1000 seed(s) = 1,502,000 runs, more than 10,000`]);
  });

  it('more seeds than the limit', () => {
    const seeds = Array.from({ length: 1001 }, (_, i) => i).join(', ');
    const text = `${BASE}study:\n  seeds: [${seeds}]\n`;
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, `[${seeds}]`)} study.seeds: at most 1,000 seeds, got 1,001`]);
  });

  it('a scaling interval of 1ns', () => {
    const text = edit(BASE, 'placement: p2c', 'placement: p2c\n    scaling: {kind: parking, maxReplicas: 8, interval: 1ns}');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'interval: 1ns', '1ns')} policies[0].scaling.interval: a scaling interval of 0.000001ms over 1h is 3,600,000,000,000 ticks, more than 10,000,000`]);
  });

  it('expected invocations of the shipped million-actor model stay under the limit, and each kind is its mean', () => {
    // million.yaml's heavy-tailed group: about 58 million in a day (its comment says so).
    const million = expectedInvocations({ kind: 'heavy-tailed', medianRatePerHour: 0.4, sigma: 2, maxRatePerHour: 60 }, 1_000_000, 86_400_000);
    expect(Math.round(million / 1e6)).toBe(58);
    expect(million).toBeLessThan(MAX_INVOCATIONS);
    expect(expectedInvocations({ kind: 'poisson', ratePerSec: 2, perActor: true }, 10, 60_000)).toBe(1200);
    expect(expectedInvocations({ kind: 'synchronized', atMs: 1000, windowMs: 10, spread: 'uniform', repeatEveryMs: 1000, count: 3 }, 10, 5000)).toBe(15);
    expect(expectedInvocations({ kind: 'onoff', onRatePerMin: 6, offRatePerMin: 0, meanOnMs: 1000, meanOffMs: 3000 }, 4, 600_000)).toBe(60);
  });
});

describe('run flags', () => {
  const scenario = loadScenarioFile(fixture(BASE));
  const ok = { scenario, seeds: [1], jobs: 4, sampleEveryMs: 60_000, cpus: 8 };

  it('the defaults pass', () => {
    expect(runBoundProblems(ok)).toEqual([]);
  });

  it('--sample-every 1ns over an hour', () => {
    expect(runBoundProblems({ ...ok, sampleEveryMs: 1e-6 })).toEqual([
      '--sample-every: 0.000001ms over 1h is 3,600,000,000,000 samples per run, more than 10,000,000; use at least 0.36ms',
    ]);
  });

  it('--jobs 1000', () => {
    expect(runBoundProblems({ ...ok, jobs: 1000 })).toEqual(["--jobs: 1000 threads, more than 64 (the larger of 64 and this machine's 8 cpus)"]);
    expect(runBoundProblems({ ...ok, jobs: 128, cpus: 128 })).toEqual([]);
  });

  it('--seeds and runs', () => {
    const seeds = Array.from({ length: 5001 }, (_, i) => i);
    expect(runBoundProblems({ ...ok, seeds })).toEqual(['--seeds: 5,001 seeds, more than 1,000', '2 policy set(s) x 5001 seed(s) = 10,002 runs, more than 10,000: narrow the study or the seeds']);
  });

  it('--duration that makes the workload too large', () => {
    expect(runBoundProblems({ ...ok, scenario: { ...scenario, durationMs: 1e12 }, sampleEveryMs: 1e6 })).toEqual([
      'workload: about 500,000,000 invocations over 11574d1h46m40s, more than 100,000,000: lower the rates, the actors or the duration',
    ]);
  });
});

describe('what a real worker accepts', () => {
  it('actor ids: the worker rule, never quoting the id', () => {
    expect(actorIdProblem('agent-0001')).toBeNull();
    expect(actorIdProblem('owner/app/fn')).toBe('holds "/": a real worker takes only letters, digits, ".", "_" and "-"');
    expect(actorIdProblem('a\u0000b')).toBe('holds U+0000: a real worker takes only letters, digits, ".", "_" and "-"');
    expect(actorIdProblem('a..b')).toBe('holds "..": a real worker refuses it');
    expect(actorIdProblem('.')).toBe('holds "..": a real worker refuses it');
    expect(actorIdProblem('')).toBe('is empty');
    expect(actorIdProblem('x'.repeat(257))).toBe('is 257 characters long, more than 256');
    expect(actorIdProblem('x'.repeat(256))).toBeNull();
  });

  it('a workload of trace actors with / and NUL, and a template of 0 MiB', () => {
    const names = ['ok-1', 'owner/app/fn', 'a\u0000b', ...Array.from({ length: 12 }, (_, i) => `x/${i}`)];
    const problems = workerWorkloadProblems('s.yaml', { actorNames: names, actorTemplates: names.map(() => 'fn') }, [{ name: 'fn', memoryMiB: 0 }], 3);
    expect(problems).toEqual([
      's.yaml:1:1 templates: template "fn" has 0 MiB of memory; a real worker takes (0, 4095] MiB',
      's.yaml:1:1 workload: actor 1 (template "fn") has an id that holds "/": a real worker takes only letters, digits, ".", "_" and "-"',
      's.yaml:1:1 workload: actor 2 (template "fn") has an id that holds U+0000: a real worker takes only letters, digits, ".", "_" and "-"',
      's.yaml:1:1 workload: actor 3 (template "fn") has an id that holds "/": a real worker takes only letters, digits, ".", "_" and "-"',
      's.yaml:1:1 workload: 11 more actor(s) with ids a real worker refuses',
    ]);
  });

  it('template memory: 0 is refused by the scenario', () => {
    const text = edit(BASE, 'memory: 256Mi', 'memory: 0Mi');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, 'memory: 0Mi', '0Mi')} templates[0].memory: must be more than 0 (a real worker refuses an actor without memory)`]);
  });

  it('a template name with .. is refused (its actor ids would be)', () => {
    const text = edit(edit(BASE, 'name: agent\n', 'name: a..gent\n'), '- template: agent', '- template: a..gent');
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems[0]).toBe(`${file}:${loc(text, 'name: a..gent', 'a..gent')} templates[0].name: expected a lowercase name of letters, digits, "-" and "." (as Kubernetes names), at most 63 characters, without ".."`);
  });
});

