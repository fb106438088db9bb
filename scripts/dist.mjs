// The compiled commands: builds dist/ and runs its entry points.
//
//   node scripts/dist.mjs build            compile to dist/ (npm run build), then fill the
//                                          listing cache of `simulate --list` for the shipped
//                                          scenarios (sim/list-cache-fill.ts)
//   node scripts/dist.mjs prepare          the same, run by npm ci / npm install; skipped
//                                          when typescript is not installed (--omit=dev)
//   node scripts/dist.mjs run sim/cli.ts [args...]
//                                          run an entry point compiled: rebuilds dist/ first
//                                          when a source changed since the last build
//
// Why compiled: tsx compiles the TypeScript at every start, seconds before
// `npm run simulate -- --help` could answer (issue 15). Why a rebuild when
// stale rather than an error: `npm run simulate` after an edit or a git pull
// must run the code as it now is, never a silently old dist/; the check is a
// stat of every source file and folder (about 200: 10-25 ms here, where a stat
// costs some 20 microseconds). Plain JavaScript, so it runs before anything is
// built.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'dist');
/** Touched when a build succeeds, with the time the build started. */
const STAMP = join(DIST, '.built');
const LOCK = join(ROOT, '.dist-build.lock');
const require = createRequire(import.meta.url);
/** `simulate --list`'s listings (sim/list-cache.ts): recorded by the code of one build, emptied by the next. */
const LIST_CACHE = join(DIST, '.cache', 'list');
/** What tsconfig.build.json compiles, and the configuration itself. */
const SOURCE_DIRS = ['cli', 'core', 'session', 'sim', 'real', 'fidelity', 'scenarios', 'reports'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

function fail(message) {
  process.stderr.write(`actorsim: ${message}\n`);
  process.exit(1);
}

/** The newest modification time among the sources: .ts files and their folders (a folder's changes when a file is added, removed or renamed). */
function newestSourceMs() {
  let newest = 0;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, e.name)).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  for (const f of CONFIGS) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

function stale() {
  if (!existsSync(STAMP)) return true;
  return newestSourceMs() > statSync(STAMP).mtimeMs;
}

function tscPath() {
  try {
    return join(require.resolve('typescript/package.json'), '..', 'bin', 'tsc');
  } catch {
    return null;
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Holds the build lock (a file naming its process) while `fn` runs, so two commands started at once do not both write dist/. */
function withLock(fn) {
  for (let waitedMs = 0; ; waitedMs += 200) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      writeFileSync(LOCK, String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(LOCK, 'utf8'));
      let alive = Number.isInteger(pid) && pid > 0;
      try {
        if (alive) process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(LOCK, { force: true });
      else if (waitedMs > 300_000) fail(`${LOCK} is held by process ${pid} for 5 minutes; remove it if no build runs`);
      else sleepMs(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/**
 * Compiles to dist/; exits with tsc's errors when the sources do not compile.
 * `why` says why a command rebuilds before it runs; without it (npm run build,
 * prepare) the listing cache is filled as well.
 */
function build(why) {
  const tsc = tscPath();
  if (tsc === null) fail('cannot build dist/: typescript is not installed (run npm ci, without --omit=dev)');
  // Only a build starts processes: a command that runs does not load child_process (and the 30-odd internal modules it brings).
  const { spawnSync } = require('node:child_process');
  withLock(() => {
    if (why !== undefined && !stale()) return; // another command built it while this one waited
    if (why !== undefined) process.stderr.write(`actorsim: ${why}; building dist/ (npm run build)...\n`);
    const startedMs = Date.now();
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (r.status !== 0) fail(`the build failed (tsc -p tsconfig.build.json${r.status === null ? `, ${r.signal}` : `, exit ${r.status}`}); dist/ is left as it was`);
    mkdirSync(DIST, { recursive: true });
    writeFileSync(STAMP, '');
    // The build's start, not its end: a source saved while tsc ran makes the next run rebuild.
    utimesSync(STAMP, startedMs / 1000, startedMs / 1000);
    // Listings of the old code would be misses anyway (each records a stamp of the loader's file);
    // they go so that the folder holds no more than what this build can use.
    rmSync(LIST_CACHE, { recursive: true, force: true });
    if (why === undefined) {
      // About a second (the loader once, then each scenario); a failure costs the first listing's speed only.
      const fill = spawnSync(process.execPath, [join(DIST, 'sim', 'list-cache-fill.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 2] });
      if (fill.status !== 0) process.stderr.write(`actorsim: the --list cache was not filled (${fill.status === null ? fill.signal : `exit ${fill.status}`}); listings work, each slower until it is listed once\n`);
    }
  });
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'build') {
  build(undefined);
} else if (command === 'prepare') {
  if (tscPath() === null) process.stderr.write('actorsim: typescript is not installed (--omit=dev): dist/ not built; the image and the pods run the sources with tsx\n');
  else build(undefined);
} else if (command === 'run' && rest[0] !== undefined && rest[0].endsWith('.ts')) {
  const entry = rest[0];
  if (!existsSync(join(ROOT, entry))) fail(`no entry point ${entry}`);
  if (!existsSync(STAMP)) build('dist/ has not been built');
  else if (stale()) build('sources changed since the last build');
  const compiled = join(DIST, entry.replace(/\.ts$/, '.js'));
  // The entry sees the argv it would see when started as `node dist/<entry>.js args...`.
  process.argv.splice(1, 3, compiled);
  await import(pathToFileURL(compiled).href);
} else {
  fail('usage: node scripts/dist.mjs build | prepare | run ENTRY.ts [args...]');
}
