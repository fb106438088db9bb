import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { stringify } from 'csv-stringify/sync';
import { repoFile } from '../cli/repo.ts';
import { csvText, type CsvValue } from '../reports/csv.ts';
import { INVOCATION_COLUMNS, ms } from '../reports/summary.ts';
import { invocationsCsvChunks, summaries, writeReport } from '../reports/write.ts';
import { loadScenarioFile } from '../scenarios/load.ts';
import { makeRng } from '../scenarios/rng.ts';
import { workloadFor } from '../scenarios/workload.ts';
import { simulate } from './runtime.ts';

/** Rows per timed call: enough for a few MB of text, the size where the writer's cost showed. */
const ROWS = 20_000;

/** Rows shaped as invocations.csv's: policy, ids, times rounded to microseconds, paths, empty reasons. */
function invocationLikeRows(): CsvValue[][] {
  const rng = makeRng(1, 'csv-bench');
  const paths = ['warm', 'resume-local', 'resume-external', 'golden', 'cold-boot'];
  const rows: CsvValue[][] = [];
  let t = 0;
  for (let i = 0; i < ROWS; i++) {
    t += rng() * 10_000;
    const exec = rng() * 5000;
    const restore = rng() < 0.2 ? rng() * 800 : 0;
    rows.push(['shared-p2c-ttl-pause', i, `agent-${String(i % 2000).padStart(4, '0')}`, ms(t), ms(t), ms(t + restore + exec), paths[i % paths.length]!, 0, 0, ms(restore), ms(exec), 'served', '', 0, 1, 1]);
  }
  return rows;
}

/** The CSV writer's speed in MB/s of text (tinybench medians), and csv-stringify's on the same rows. */
export async function csvWriterSpeed(): Promise<{ bytes: number; writerMBps: number; csvStringifyMBps: number }> {
  const rows = invocationLikeRows();
  const columns = [...INVOCATION_COLUMNS];
  const text = csvText(columns, rows);
  if (text !== stringify(rows, { header: true, columns })) throw new Error('csv bench: csvText and csv-stringify disagree');
  const bytes = Buffer.byteLength(text);
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench.add('csvText', () => {
    csvText(columns, rows);
  });
  bench.add('csv-stringify', () => {
    stringify(rows, { header: true, columns });
  });
  await bench.run();
  const mbps = (name: string): number => {
    const r = bench.tasks.find((t) => t.name === name)!.result;
    if (r.state !== 'completed') throw new Error(`csv bench ${name}: ${r.state}`);
    return bytes / 1e6 / (r.latency.p50 / 1000);
  };
  return { bytes, writerMBps: mbps('csvText'), csvStringifyMBps: mbps('csv-stringify') };
}

/** What invocationsCsvSpeed measured. */
export interface InvocationsCsvFigures {
  readonly scenario: string;
  readonly policies: number;
  readonly rows: number;
  /** Size of the file written. */
  readonly bytes: number;
  /** Timed writes (after one untimed). */
  readonly writes: number;
  /** Median over the writes; min and max for the spread. */
  readonly medianMBps: number;
  readonly minMBps: number;
  readonly maxMBps: number;
}

/**
 * invocations.csv written as `npm run simulate` writes it, timed from the
 * runs' results to the file's bytes: every policy set of the default
 * scenario simulated once, their summary rows computed (as the simulate
 * command does before writing, which builds the reply objects the writer
 * reads), then the file written `writes` times with writeReport and
 * invocationsCsvChunks into a new folder of a temporary one, removed after.
 * MB/s of the file's size over the wall time of each write, median.
 */
export async function invocationsCsvSpeed(writes = 7, scenarioFile = repoFile('scenarios', 'default.yaml')): Promise<InvocationsCsvFigures> {
  const scenario = loadScenarioFile(scenarioFile);
  const workload = await workloadFor(scenario, scenario.seed);
  const results = scenario.policies.map((p) => simulate(scenario, p, workload, { seed: scenario.seed, sampleEveryMs: 60_000 }));
  summaries(results, scenario.nodes);
  const dir = mkdtempSync(join(tmpdir(), 'actorsim-csv-bench-'));
  try {
    const out = join(dir, 'report');
    const file = join(out, 'invocations.csv');
    // Each write into a new folder, as a run's report is: replacing the previous file would add its deletion.
    const write = (): number => {
      rmSync(out, { recursive: true, force: true });
      const t = performance.now();
      writeReport(out, { 'invocations.csv': invocationsCsvChunks(results) });
      return performance.now() - t;
    };
    write();
    const bytes = statSync(file).size;
    const mbps: number[] = [];
    for (let i = 0; i < writes; i++) mbps.push(bytes / 1e6 / (write() / 1000));
    mbps.sort((a, b) => a - b);
    return {
      scenario: scenario.name,
      policies: results.length,
      rows: results.reduce((s, r) => s + r.replies.length, 0),
      bytes,
      writes,
      medianMBps: mbps[mbps.length >> 1]!,
      minMBps: mbps[0]!,
      maxMBps: mbps[mbps.length - 1]!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
