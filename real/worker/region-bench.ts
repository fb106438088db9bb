import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { bootRegion } from './region.ts';

/**
 * `npm run bench:region`: how fast a worker fills an actor's memory region
 * (the floor of a cold boot), in MiB/s, at 64 and 256 MiB. A figure of the
 * machine, not a verdict: it prints the load average beside it. On this
 * project's 2-core machine a 256 MiB fill took well under a second when it
 * was quiet (the figure a test once asserted, issue 14).
 */
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
  for (const mib of [64, 256]) bench.add(`boot ${mib} MiB`, () => void bootRegion(mib * MiB, `agent-${mib}`, 'agent'));
  const before = loadavg()[0]!;
  await bench.run();
  const after = loadavg()[0]!;
  for (const task of bench.tasks) {
    const mib = Number(/(\d+) MiB/.exec(task.name)![1]);
    const r = task.result;
    if (r === undefined || !('latency' in r)) throw new Error(`${task.name}: no result`);
    const meanMs = r.latency.mean;
    process.stdout.write(`${task.name}: mean ${meanMs.toFixed(0)} ms, max ${r.latency.max.toFixed(0)} ms, ${((mib * 1000) / meanMs).toFixed(0)} MiB/s (n=${r.latency.samplesCount})\n`);
  }
  process.stdout.write(`load average (1 min) ${before.toFixed(2)} before, ${after.toFixed(2)} after: indicative only\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:region: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
